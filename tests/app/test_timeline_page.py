"""The Timeline page on the demo database, run headless with AppTest."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from monitoring.demo import CLASSIFIER
from tests.conftest import REPO

APP = str(REPO / "app.py")


@pytest.fixture
def app(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    db = tmp_path / "demo.duckdb"  # notes are written: keep the shared demo clean
    shutil.copy(demo_db, db)
    monkeypatch.setenv("DRIFTWATCH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"model": CLASSIFIER, "period": "week"})
    return at


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_heatmap_windows_and_a_note(app: AppTest) -> None:
    at = app.run()
    at.switch_page("pages/timeline.py").run()
    assert not at.exception
    assert at.title[0].value == "Timeline"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Windows"] == "53"  # weeks of 2013, Monday-aligned, clipped at both ends
    charts = _charts(at)
    heatmap = charts[0]
    assert heatmap["data"][0]["type"] == "heatmap"
    assert len(heatmap["data"][0]["x"]) == 53 and len(heatmap["data"][0]["y"]) == 12
    assert at.query_params["period"] == ["week"] or at.query_params["period"] == "week"

    at.date_input(key="timeline_note_day").set_value(dt.date(2013, 6, 3))
    at.text_input(key="timeline_note_text").input("model v2 deployed")
    at.button[0].click().run()
    assert not at.exception
    texts = [a.get("text") for a in _charts(at)[0]["layout"].get("annotations", [])]
    assert "model v2 deployed" in texts
    assert any("model v2 deployed" in m.value for m in at.markdown)


def test_small_windows_are_greyed_not_tested(app: AppTest) -> None:
    at = app.run()
    at.switch_page("pages/timeline.py").run()
    at.date_input(key="timeline_range").set_value((dt.date(2013, 7, 1), dt.date(2013, 7, 2)))
    at.selectbox(key="timeline_period").set_value("hour").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Windows"] == "48"
    assert int(metrics["Judged"]) < 48
    assert any(c.value.startswith("Not judged, greyed out: ") and "under 30 rows" in c.value
               for c in at.caption)  # fmt: skip
    grey = _charts(at)[0]["data"][1]["z"]
    assert any(v == 1.0 for row in grey for v in row)


def test_an_alert_link_with_rows_opens_windows_of_rows(app: AppTest) -> None:
    """`check --rows N` links carry period=rows&rows=N: the page must read both."""
    app.query_params.update({"period": "rows", "rows": "20000", "from": "2013-06-01"})
    at = app.run()
    at.switch_page("pages/timeline.py").run()
    assert not at.exception
    assert at.selectbox(key="timeline_period").value == "rows"
    assert at.number_input(key="timeline_rows").value == 20000
    assert at.query_params["rows"] in ("20000", ["20000"])
