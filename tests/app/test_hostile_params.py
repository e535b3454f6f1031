"""No page shows a traceback, whatever a link holds: every value falls back or is said in words."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from monitoring.demo import CLASSIFIER
from tests.conftest import REPO

APP = str(REPO / "app.py")
PAGES = (
    "pages/overview.py",
    "pages/feature_drift.py",
    "pages/timeline.py",
    "pages/performance.py",
    "pages/upload.py",
    "pages/review_pack.py",
    "pages/data.py",
)
SCRIPT = "<script>alert(1)</script>"
LINKS = {
    # Dates a day past which no date exists (the reference's 9999-12-31 once raised OverflowError).
    "edges of time": {
        "model": CLASSIFIER,
        "ref_from": "0001-01-01",
        "ref_to": "9999-12-31",
        "range_from": "0001-01-01",
        "range_to": "9999-12-31",
        "from": "9999-12-31",
        "to": "9999-12-31",
        "window": "9999-12-31 23:59",
    },
    "junk everywhere": {
        "model": SCRIPT,
        "from": SCRIPT,
        "to": "2013-13-45",
        "period": "fortnight",
        "rows": "-5",
        "window": SCRIPT,
        "metric": "nope",
        "feature": "../../etc/passwd",
        "view": "3d",
        "slice": SCRIPT,
        "detector": "rm -rf",
        "correction": "holm",
        "rule": SCRIPT,
        "baseline": "rolling:0",
        "alpha": "nan",
        "min_effect": "1e309",
        "cap": "-1",
        "online": "dep_hour'; DROP TABLE dw_models; --",
        "against": "mars",
        "parts": ",,table,,exe",
        "formats": "exe",
    },
    "numbers out of range": {
        "model": CLASSIFIER,
        "period": "rows",
        "rows": "1e12",
        "alpha": "-0.5",
        "min_effect": "99",
        "cap": "100000000000000000000",
        "from": "2013-07-31",
        "to": "2013-07-01",
    },
    # Valid but far too many windows for a chart: the page says so instead of drawing.
    "too many windows": {"model": CLASSIFIER, "period": "rows", "rows": "100"},
}


@pytest.mark.parametrize("link", list(LINKS))
def test_no_page_raises_on_a_hostile_link(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch, link: str
) -> None:
    monkeypatch.setenv("DRIFTWATCH_DB", str(demo_db))
    for page in PAGES:
        at = AppTest.from_file(APP, default_timeout=180)
        at.query_params.update(LINKS[link])
        at.run()
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert at.title and at.title[0].value, page  # the page drew, it did not die early
        shown = " ".join(e.value for e in [*at.markdown, *at.caption, *at.warning, *at.info])
        assert "<script>" not in shown, page  # said as text, never as markup


def test_a_bad_link_is_named_in_plain_words(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTWATCH_DB", str(demo_db))
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update(LINKS["numbers out of range"])
    at.run()  # the sidebar reads the link once, on the session's first run
    warnings = " ".join(w.value for w in at.sidebar.warning)
    assert "2013-07-31 → 2013-07-01 ends before it starts" in warnings  # named, in words
    at.switch_page("pages/timeline.py").run()
    assert not at.exception
    assert at.selectbox(key="timeline_period").value == "rows"
    assert at.number_input(key="timeline_rows").value != 1e12  # out of range: the default

    for page in ("pages/timeline.py", "pages/performance.py"):
        at = AppTest.from_file(APP, default_timeout=180)
        at.query_params.update(LINKS["too many windows"])
        at.run()
        at.switch_page(page).run()
        assert not at.exception
        assert "more than a chart can show" in at.warning[0].value, page
