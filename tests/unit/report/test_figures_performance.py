import datetime as dt

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from monitoring import log_records
from monitoring.performance.comparison import compare_with_reference
from monitoring.performance.diagnosis import Diagnosis, diagnose_windows
from monitoring.performance.errors_drift import ErrorDriftResult
from monitoring.performance.estimation import estimate_performance
from monitoring.performance.realized import realized_performance
from monitoring.report.figures.comparison import (
    confusion_figure,
    reliability_figure,
    residual_figure,
)
from monitoring.report.figures.performance import (
    ALERT_COLOUR,
    DIAGNOSIS_COLOURS,
    coverage_figure,
    diagnosis_figure,
    metric_figure,
)
from monitoring.report.figures.style import (
    CURRENT_COLOUR,
    DRIFT_COLOUR,
    REFERENCE_COLOUR,
    SERIES_COLOUR,
    TEMPLATE,
)
from monitoring.store.connection import Store
from monitoring.store.windows import WindowPlan
from tests.conftest import tiny_spec
from tests.unit.performance.performance_data import binary_frame, regression_frame, regression_spec
from tests.unit.report.figure_checks import (
    PALETTE_TEXT,
    one_measure_per_panel,
    overlaid_bars,
    text_colours,
)

D = dt.datetime


@pytest.fixture(scope="module")
def drifting(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Seven weeks: January is the reference, week 6 has inverted predictions, week 7 no labels."""
    store = Store(tmp_path_factory.mktemp("figures") / "test.duckdb")
    frame = binary_frame(days=49)
    bad = (frame.ts >= "2024-02-05") & (frame.ts < "2024-02-12")
    frame.loc[bad, "pred"] = 1 - frame.loc[bad, "pred"]
    frame.loc[frame.ts >= "2024-02-12", "label"] = None
    log_records(frame, tiny_spec(), db=store.path)
    log_records(regression_frame(days=42), regression_spec(), db=store.path)
    return store


def traces(fig: go.Figure, name: str) -> list:
    return [t for t in fig.data if t.name == name]


def test_metric_figure_draws_band_intervals_alerts_pending_and_estimate(drifting: Store) -> None:
    result = realized_performance(drifting, "churn", WindowPlan("week"), resamples=50)
    estimate = estimate_performance(drifting, "churn", WindowPlan("week"), resamples=50)
    fig = metric_figure(result, "accuracy", estimate)
    assert fig.layout.template == pio.templates[TEMPLATE]
    assert fig.layout.yaxis.title.text == "Accuracy"
    assert fig.layout.xaxis.title.text == "week starting"
    (reference,) = traces(fig, "reference period")
    (production,) = traces(fig, "production")
    # Production weeks are a series (slate); orange is kept for the one window compared.
    assert reference.line.color == REFERENCE_COLOUR and production.line.color == SERIES_COLOUR
    assert ALERT_COLOUR == DRIFT_COLOUR
    assert one_measure_per_panel(fig) and text_colours(fig) <= PALETTE_TEXT
    # The pending week is a gap, never a zero.
    assert production.y[-1] is None and 0 not in production.y
    assert production.error_y.array[0] is not None
    (alerts,) = traces(fig, "outside reference band")
    assert alerts.marker.color == ALERT_COLOUR
    assert list(alerts.x) == [D(2024, 2, 5)]
    (estimated,) = traces(fig, "estimated (labels not needed)")
    assert estimated.line.dash == "dash" and estimated.y[-1] is not None
    texts = [a.text for a in fig.layout.annotations]
    assert "labels pending" in texts and "reference band (mean ± 3σ)" in texts
    band = result.bands["accuracy"]
    (rect,) = [s for s in fig.layout.shapes if s.fillcolor == REFERENCE_COLOUR]
    assert (rect.y0, rect.y1) == (band.lower, band.upper)


def test_metric_figure_says_when_there_is_no_band(drifting: Store) -> None:
    result = realized_performance(drifting, "churn", WindowPlan("month"), resamples=0)
    fig = metric_figure(result, "f1")
    assert "no reference band" in fig.layout.title.text
    assert not traces(fig, "outside reference band")
    assert fig.layout.template == pio.templates[TEMPLATE]


def test_coverage_figure(drifting: Store) -> None:
    result = realized_performance(drifting, "churn", WindowPlan("week"), resamples=0)
    fig = coverage_figure(result)
    (bars,) = fig.data
    assert list(bars.y) == [1.0] * 6 + [0.0]
    assert bars.marker.color[0] == REFERENCE_COLOUR and bars.marker.color[-1] == SERIES_COLOUR
    assert fig.layout.yaxis.tickformat == ".0%"
    assert [a.text for a in fig.layout.annotations] == ["labels pending"]


def test_confusion_and_reliability_figures(drifting: Store) -> None:
    comparison = compare_with_reference(drifting, "churn", D(2024, 2, 5), D(2024, 2, 12))
    fig = confusion_figure(comparison)
    reference, window = fig.data
    assert comparison.window_confusion is not None
    np.testing.assert_allclose(window.z, comparison.window_confusion.normalised())
    assert reference.colorscale[-1][1] == REFERENCE_COLOUR
    assert window.colorscale[-1][1] == CURRENT_COLOUR
    assert "255,255,255" not in window.colorscale[0][1]  # no white tile on a dark theme
    assert fig.layout.xaxis.title.text == "predicted class"
    assert fig.layout.yaxis.title.text == "actual class"

    fig = reliability_figure(comparison)
    names = [t.name for t in fig.data]
    assert names[0] == "perfectly calibrated"
    assert names[1].startswith("reference (") and names[2].startswith("window (")
    assert fig.data[1].line.color == REFERENCE_COLOUR and fig.data[2].line.color == CURRENT_COLOUR
    assert all(0 <= y <= 1 for y in fig.data[1].y)


def test_residual_figure_and_task_mismatch_messages(drifting: Store) -> None:
    comparison = compare_with_reference(drifting, "price", D(2024, 2, 5), D(2024, 2, 12))
    fig = residual_figure(comparison)
    reference, window = fig.data
    assert reference.marker.color == REFERENCE_COLOUR and window.marker.color == CURRENT_COLOUR
    assert overlaid_bars(fig) == []  # side by side: no third colour where they overlap
    assert reference.opacity is None and window.opacity is None
    assert fig.layout.xaxis.title.text == "residual (target − prediction)"
    assert "classifiers only" in confusion_figure(comparison).layout.annotations[0].text
    binary = compare_with_reference(drifting, "churn", D(2024, 2, 5), D(2024, 2, 12))
    assert "regression models only" in residual_figure(binary).layout.annotations[0].text


def test_diagnosis_figure_has_one_block_per_window() -> None:
    starts = [D(2024, 2, 5) + dt.timedelta(days=7 * i) for i in range(5)]
    errors = [
        ErrorDriftResult(
            s,
            s + dt.timedelta(days=7),
            "ok" if i < 4 else "pending",
            "FETDrift",
            "odds ratio",
            "error rate",
            1000,
            700,
            0.1,
            0.1,
            is_drift=i in (2, 3),
            p_value=0.5,
        )
        for i, s in enumerate(starts)
    ]
    covariate = dict(zip(starts, [False, True, False, True, True], strict=True))
    fig = diagnosis_figure(diagnose_windows(errors, covariate))
    by_name = {t.name: t for t in fig.data}
    assert set(by_name) == {k.label for k in Diagnosis}
    concept = by_name[Diagnosis.CONCEPT.label]
    assert concept.marker.color == DIAGNOSIS_COLOURS[Diagnosis.CONCEPT]
    assert list(concept.base) == [starts[2]]
    assert concept.x[0] == 7 * 86400 * 1000
    assert "P(y|x)" in concept.hovertext[0]
    assert "labels have not arrived" in by_name["Unknown"].hovertext[0]
