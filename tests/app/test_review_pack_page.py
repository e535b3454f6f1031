"""The Review pack page with AppTest: build, then a download of the ZIP."""

import datetime as dt
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from monitoring.demo import REGRESSOR
from monitoring.performance.applicable import readable_plan
from monitoring.store.connection import Store
from monitoring.store.overview import all_overviews
from tests.conftest import REPO
from ui.performance_view import MIN_LABELLED, ROWS_RANGE


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


def test_period_and_metric_come_from_the_link(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRIFTWATCH_DB", str(demo_db))
    window = {"model": REGRESSOR, "from": "2013-05-06", "to": "2013-05-19"}
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.query_params.update(window)
    at.run()
    at.switch_page("pages/review_pack.py").run()
    # Without a link: the spec's alert metric, and the period the Performance page opens on.
    summary = next(o for o in all_overviews(Store(demo_db)) if o.spec.name == REGRESSOR)
    assert summary.first is not None and summary.last is not None
    opens_on = readable_plan(
        summary.first, summary.last, summary.labelled, MIN_LABELLED, ROWS_RANGE
    ).period
    assert at.selectbox(key="pack_period").value == opens_on
    assert at.selectbox(key="pack_metric").value == "mae"

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.query_params.update({**window, "period": "month", "metric": "rmse"})
    at.run()
    at.switch_page("pages/review_pack.py").run()
    assert at.selectbox(key="pack_period").value == "month"
    assert at.selectbox(key="pack_metric").value == "rmse"
    at.multiselect(key="pack_formats").set_value(["html"]).run()
    at.multiselect(key="pack_parts").set_value(["performance"]).run()
    assert at.query_params["period"] == "month" and at.query_params["metric"] == "rmse"
    at.button(key="pack_build").click().run()
    assert not at.exception
    built = zipfile.ZipFile(io.BytesIO(at.session_state["pack_built"][1]))
    table = pd.read_csv(built.open("tables/performance.csv"))
    assert "rmse" in set(table["metric"])
    # Calendar months from the reference's first (January) to the current window's (May).
    starts = pd.to_datetime(table["start"]).drop_duplicates().dt.strftime("%Y-%m-%d")
    assert list(starts) == [f"2013-0{m}-01" for m in range(1, 6)]
    text = built.read("summary.md").decode()
    assert "## Performance vs reference band (rmse, per month)" in text
    assert "- month of 2013-05-01: " in text
