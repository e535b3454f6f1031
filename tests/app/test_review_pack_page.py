"""The Review pack page with AppTest: build, then a download of the ZIP."""

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from monitoring.demo import REGRESSOR
from tests.conftest import REPO


def test_build_then_download(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTWATCH_DB", str(demo_db))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.query_params.update({"model": REGRESSOR, "from": "2013-05-06", "to": "2013-05-19"})
    at.run()
    at.switch_page("pages/review_pack.py").run()
    assert not at.exception
    assert at.title[0].value == "Review pack"
    assert at.multiselect(key="pack_formats").value == ["png"]
    assert len(at.multiselect(key="pack_parts").value) == 6
    assert not at.get("download_button")
    at.multiselect(key="pack_formats").set_value(["html"]).run()
    at.button(key="pack_build").click().run()
    assert not at.exception
    downloads = at.get("download_button")
    assert len(downloads) == 1
    assert "Download review pack" in downloads[0].proto.label
    # Another window makes the built pack stale: its button goes away.
    at.multiselect(key="pack_parts").set_value(["table"]).run()
    assert not at.get("download_button")


def test_a_calendar_month_can_be_packed(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTWATCH_DB", str(demo_db))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.query_params.update({"model": REGRESSOR, "from": "2013-05-06", "to": "2013-05-19"})
    at.run()
    at.switch_page("pages/review_pack.py").run()
    at.selectbox(key="pack_window").set_value("month").run()
    months = at.selectbox(key="pack_month")
    assert months.value.start == dt.datetime(2013, 12, 1)  # the newest month first
    june = next(i for i, label in enumerate(months.options) if label.startswith("2013-06-01"))
    months.select_index(june).run()
    at.multiselect(key="pack_formats").set_value(["html"]).run()
    at.multiselect(key="pack_parts").set_value(["table"]).run()
    at.button(key="pack_build").click().run()
    assert not at.exception
    assert len(at.get("download_button")) == 1
    request = at.session_state["pack_built"][0]
    assert request[2] == (dt.datetime(2013, 6, 1), dt.datetime(2013, 7, 1))
