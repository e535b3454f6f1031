"""The Performance page on the demo data, run headless with Streamlit's AppTest."""

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from monitoring.demo import CLASSIFIER, REGRESSOR
from monitoring.performance.estimation import ASSUMPTION
from tests.conftest import REPO

APP = str(REPO / "app.py")
PAGE = "pages/performance.py"


@pytest.fixture
def app(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("DRIFTWATCH_DB", str(demo_db))
    return AppTest.from_file(APP, default_timeout=120)


def open_page(app: AppTest, **params: str) -> AppTest:
    app.query_params.update(params)
    at = app.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def figures(at: AppTest) -> list[dict[str, Any]]:
    """Every plotly figure on the page, as its JSON document."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def titled(at: AppTest, words: str) -> dict[str, Any]:
    """The one figure whose title contains ``words``."""
    chosen = [f for f in figures(at) if words in f["layout"].get("title", {}).get("text", "")]
    assert len(chosen) == 1, [f["layout"].get("title") for f in figures(at)]
    return chosen[0]


def annotations(figure: dict[str, Any]) -> list[str]:
    return [a.get("text", "") for a in figure["layout"].get("annotations", [])]


def test_classifier_page_shows_band_pending_estimate_and_comparison(app: AppTest) -> None:
    at = open_page(app, model=CLASSIFIER, metric="accuracy")  # the page opens on F1 by itself
    assert at.title[0].value == "Performance"
    assert at.query_params["period"] == "week" and at.query_params["metric"] == "accuracy"

    metric = titled(at, "Accuracy per week")
    notes = annotations(metric)
    assert "reference band (mean ± 3σ)" in notes
    assert any(s["type"] == "rect" and s["yref"] == "y" for s in metric["layout"]["shapes"])
    assert "labels pending" in notes  # the demo's last weeks have no labels yet
    names = {t.get("name") for t in metric["data"]}
    assert {"reference period", "production", "estimated (labels not needed)"} <= names
    production = next(t for t in metric["data"] if t.get("name") == "production")
    assert production["y"][-1] is None  # a pending window is a gap, not a zero
    assert any("assumes no concept drift" in c.value for c in at.caption)
    assert any(c.help == ASSUMPTION for c in at.caption)

    assert titled(at, "Label coverage")
    band = titled(at, "Diagnosis")
    kinds = {t["name"] for t in band["data"]}
    assert kinds & {
        "Stable",
        "Covariate drift only",
        "Concept drift",
        "Covariate and concept drift",
    }

    window = at.selectbox(key="performance_window")
    assert window.index is not None and "labels pending" not in window.options[window.index]
    assert titled(at, "Confusion matrix") and titled(at, "Reliability")
    assert at.query_params["window"] == window.value.date().isoformat()


def test_a_pending_window_is_shown_as_pending(app: AppTest) -> None:
    at = open_page(app, model=CLASSIFIER)
    window = at.selectbox(key="performance_window")
    pending = [i for i, label in enumerate(window.options) if "labels pending" in label]
    assert pending
    window.select_index(pending[-1]).run()
    assert not at.exception
    assert any("labels are pending" in i.value for i in at.info)
    assert not [f for f in figures(at) if "Confusion" in f["layout"]["title"]["text"]]


def test_regressor_shows_regression_metrics_and_residuals(app: AppTest) -> None:
    at = open_page(app, model=REGRESSOR)
    metric = at.selectbox(key="performance_metric")
    # No MAPE on the menu: arrival delays cross zero (the window's table still lists it).
    assert metric.options == ["MAE", "RMSE", "R²"] and metric.value == "mae"
    assert titled(at, "MAE per week")
    assert titled(at, "Residual distribution")
    table = at.dataframe[0].value
    assert table["metric"].tolist() == ["MAE", "RMSE", "MAPE", "R²"]
    assert not [f for f in figures(at) if "estimated" in json.dumps(f["data"])]


def test_a_link_sets_period_metric_and_window(app: AppTest) -> None:
    at = open_page(app, model=CLASSIFIER, period="month", metric="roc_auc", window="2013-06-01")
    assert at.segmented_control(key="performance_period").value == "month"
    assert at.selectbox(key="performance_metric").value == "roc_auc"
    assert at.selectbox(key="performance_window").value.date().isoformat() == "2013-06-01"
    assert titled(at, "ROC AUC per month")


def test_hourly_windows_are_limited_to_recent_days(app: AppTest) -> None:
    at = open_page(app, model=CLASSIFIER, **{"from": "2013-06-01", "to": "2013-06-30"})
    at.segmented_control(key="performance_period").set_value("hour").run()
    assert not at.exception
    assert any("Hourly windows cover 2013-06-17 → 2013-06-30" in c.value for c in at.caption)
    assert titled(at, "F1 score per hour")  # the spec's alert metric


def test_row_count_windows(app: AppTest) -> None:
    at = open_page(app, model=REGRESSOR, period="rows", rows="20000")
    assert at.number_input(key="performance_rows").value == 20000
    assert titled(at, "MAE per 20,000 rows")
