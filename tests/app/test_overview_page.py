"""The Overview with AppTest: one status line per model, each part linking to its page."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from streamlit.testing.v1 import AppTest

from monitoring.demo import CLASSIFIER, REGRESSOR
from tests.conftest import REPO

APP = str(REPO / "app.py")
LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


@pytest.fixture(scope="module")
def overview(demo_db: Path) -> AppTest:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DRIFTWATCH_DB", str(demo_db))
        at = AppTest.from_file(APP, default_timeout=180)
        at.run()
    assert not at.exception
    return at


def texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def test_one_status_line_per_model_for_its_latest_complete_week(overview: AppTest) -> None:
    heads = [t for t in texts(overview) if "· week 2013-" in t]
    # Both demo models end on 2013-12-31, a Tuesday: the week of 12-23 is the newest complete.
    assert len(heads) == 2
    assert REGRESSOR in heads[0] and CLASSIFIER in heads[1]
    assert all("week 2013-12-23 → 2013-12-29" in h for h in heads)
    parts = [t.split(" · ")[0] for t in texts(overview) if t.startswith("**")]
    assert parts[:5] == [
        "**Drift**", "**Performance**", "**Data quality**", "**Labels**", "**Last check**"
    ]  # fmt: skip
    assert parts[5:10] == parts[:5]  # the same parts for the second model
    checks = [t for t in texts(overview) if t.startswith("**Last check** · ")]
    assert len(checks) == 2 and all("never run" in t or "(exit " in t for t in checks)


def test_each_part_says_what_it_found(overview: AppTest) -> None:
    lines = texts(overview)
    drift = [t for t in lines if "features beyond their usual range" in t]
    assert len(drift) == 2 and all("furthest: **" in t for t in drift)
    performance = [t for t in lines if t.startswith("**Performance** · ") and "band" in t]
    assert any("F1 score" in t for t in performance) and any("MAE" in t for t in performance)
    assert any("the newest with labels" in t for t in performance)  # December is unlabelled
    assert sum("0% labelled" in t for t in lines) == 2


def test_every_link_opens_a_page_on_that_week(overview: AppTest) -> None:
    links = [url for t in texts(overview) for _, url in LINK.findall(t)]
    pages = {urlparse(u).path for u in links}
    assert pages == {"timeline", "feature_drift", "performance"}
    for url in links:
        query = parse_qs(urlparse(url).query)
        assert query["model"][0] in {REGRESSOR, CLASSIFIER}
        assert query["from"][0] <= query["to"][0]
    timeline = next(u for u in links if u.startswith("timeline?"))
    assert parse_qs(urlparse(timeline).query)["from"] == ["2013-12-23"]
    perf = next(u for u in links if u.startswith("performance?") and "metric=" in u)
    query = parse_qs(urlparse(perf).query)
    assert query["window"] == query["from"] and query["period"] == ["week"]


def test_the_selected_model_keeps_its_tiles_and_volume(overview: AppTest) -> None:
    assert [m.label for m in overview.metric] == [
        "Records",
        "Label coverage",
        "Latest week",
        "Production window",
    ]
    assert overview.dataframe[0].value["model"].tolist() == [REGRESSOR, CLASSIFIER]
