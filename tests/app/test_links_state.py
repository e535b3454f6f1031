"""Every page's choices: in the link, restored from it, and kept across page switches."""

import datetime as dt
import re
import statistics
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from monitoring.demo import CLASSIFIER, REGRESSOR
from tests.conftest import REPO

APP = str(REPO / "app.py")
SIDEBAR = ("model", "from", "to")
LABELLED = re.compile(r" · ([\d,]+) labelled")


@pytest.fixture
def app(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("DRIFTWATCH_DB", str(demo_db))
    return AppTest.from_file(APP, default_timeout=180)


def param(at: AppTest, name: str) -> str | None:
    """A query parameter as one string (AppTest holds some as lists)."""
    value = at.query_params.get(name)
    return value[-1] if isinstance(value, list) else value


def go(at: AppTest, page: str) -> AppTest:
    """Switch pages as the navigation does: the browser drops the old page's parameters
    (only the sidebar's, which it writes on every run, stay)."""
    for name in [n for n in at.query_params if n not in SIDEBAR]:
        del at.query_params[name]
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_a_feature_drift_link_opens_its_month_and_view(app: AppTest) -> None:
    app.query_params.update(
        {"model": CLASSIFIER, "period": "month", "window": "2013-07-01", "view": "ecdf"}
    )
    at = app.run()
    at.switch_page("pages/feature_drift.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="drift_period").value == "month"
    assert at.selectbox(key="drift_period_start").value == dt.datetime(2013, 7, 1)
    assert param(at, "window") == "2013-07-01"
    at.button(key="drift_run").click().run()
    assert not at.exception, at.exception
    at.selectbox(key="drift_feature").set_value("temp").run()
    assert at.radio(key="drift_view").value == "ecdf"
    assert (param(at, "feature"), param(at, "view")) == ("temp", "ecdf")


def test_choices_survive_page_switches(app: AppTest) -> None:
    app.query_params.update({"model": CLASSIFIER})
    at = app.run()
    go(at, "pages/feature_drift.py")
    at.selectbox(key="drift_period").set_value("month").run()
    at.selectbox(key="drift_period_start").set_value(dt.datetime(2013, 7, 1)).run()
    at.selectbox(key="drift_detector").set_value("ks").run()

    go(at, "pages/timeline.py")
    assert param(at, "window") is None  # the Feature drift month does not leak onto the Timeline
    at.selectbox(key="timeline_period").set_value("month").run()
    at.selectbox(key="timeline_feature").set_value("dest").run()

    go(at, "pages/performance.py")
    at.selectbox(key="performance_metric").set_value("roc_auc").run()

    go(at, "pages/data.py")
    go(at, "pages/feature_drift.py")
    assert at.selectbox(key="drift_period").value == "month"
    assert at.selectbox(key="drift_period_start").value == dt.datetime(2013, 7, 1)
    assert at.selectbox(key="drift_detector").value == "ks"
    assert (param(at, "period"), param(at, "window")) == ("month", "2013-07-01")

    go(at, "pages/timeline.py")
    assert at.selectbox(key="timeline_period").value == "month"
    assert at.selectbox(key="timeline_feature").value == "dest"
    assert (param(at, "period"), param(at, "feature")) == ("month", "dest")

    go(at, "pages/performance.py")
    assert at.selectbox(key="performance_metric").value == "roc_auc"
    assert param(at, "metric") == "roc_auc"


def test_a_timeline_link_holds_its_range_and_correction(app: AppTest) -> None:
    app.query_params.update(
        {
            "model": CLASSIFIER,
            "period": "month",
            "range_from": "2013-03-01",
            "range_to": "2013-08-31",
            "rule": "fixed",
            "correction": "fdr",
        }
    )
    at = app.run()
    at.switch_page("pages/timeline.py").run()
    assert not at.exception, at.exception
    assert at.date_input(key="timeline_range").value == (dt.date(2013, 3, 1), dt.date(2013, 8, 31))
    assert at.selectbox(key="timeline_correction").value == "fdr"
    assert at.metric[0].value == "6"  # March to August
    assert (param(at, "range_from"), param(at, "correction")) == ("2013-03-01", "fdr")


def test_performance_opens_on_the_alert_metric_and_a_well_labelled_window(app: AppTest) -> None:
    app.query_params.update({"model": CLASSIFIER})
    at = app.run()
    go(at, "pages/performance.py")
    assert at.selectbox(key="performance_metric").value == "f1"  # the spec's band metric
    window = at.selectbox(key="performance_window")
    counts = [int(m.group(1).replace(",", "")) for o in window.options if (m := LABELLED.search(o))]
    newest = [o for o in window.options if LABELLED.search(o)][-1]
    assert int(newest.split(" · ")[1].split()[0].replace(",", "")) < 2_000  # barely labelled
    chosen = LABELLED.search(window.options[window.index])
    assert (
        chosen is not None and int(chosen.group(1).replace(",", "")) > statistics.median(counts) / 2
    )


def test_mape_is_not_offered_for_a_target_that_crosses_zero(app: AppTest) -> None:
    app.query_params.update({"model": REGRESSOR, "metric": "mape"})
    at = app.run()
    go(at, "pages/performance.py")
    metric = at.selectbox(key="performance_metric")
    assert "MAPE" not in metric.options and metric.value == "mae"
    assert "reaches zero" in (metric.help or "")


def test_upload_and_pack_choices_are_in_the_link(app: AppTest) -> None:
    app.query_params.update({"model": CLASSIFIER, "parts": "table,volume", "formats": "svg"})
    at = app.run()
    at.switch_page("pages/review_pack.py").run()
    assert not at.exception, at.exception
    assert at.multiselect(key="pack_parts").value == ["table", "volume"]
    assert at.multiselect(key="pack_formats").value == ["svg"]
    at.selectbox(key="pack_detector").set_value("ks").run()
    assert param(at, "detector") == "ks"
    go(at, "pages/overview.py")
    go(at, "pages/review_pack.py")
    assert at.multiselect(key="pack_parts").value == ["table", "volume"]
    assert at.selectbox(key="pack_detector").value == "ks"
