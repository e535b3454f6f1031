import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest

from monitoring import log_records
from monitoring.errors import MonitoringError
from monitoring.performance.estimation import (
    ASSUMPTION,
    estimate_performance,
    estimate_window,
    expected_metrics,
    fit_calibration,
)
from monitoring.performance.realized import realized_performance
from monitoring.store.connection import Store
from monitoring.store.windows import WindowPlan
from tests.conftest import tiny_spec
from tests.unit.performance.performance_data import binary_frame, regression_frame, regression_spec

D = dt.datetime


def brute_force_auc(score: np.ndarray, p: np.ndarray) -> float:
    """E[correct pairs] / E[pairs] by enumerating every labelling of the rows."""
    correct = pairs = 0.0
    for labels in itertools.product([0, 1], repeat=len(p)):
        y = np.array(labels)
        weight = np.prod(np.where(y == 1, p, 1 - p))
        pos, neg = score[y == 1], score[y == 0]
        diff = pos[:, None] - neg[None, :]
        correct += weight * ((diff > 0).sum() + 0.5 * (diff == 0).sum())
        pairs += weight * len(pos) * len(neg)
    return correct / pairs


def test_expected_metrics_on_a_hand_worked_case() -> None:
    score = np.array([0.1, 0.3, 0.3, 0.6, 0.8, 0.9])  # sorted, one tie
    p = np.array([0.05, 0.4, 0.2, 0.5, 0.7, 0.95])
    d = np.array([0, 0, 0, 1, 1, 1])
    got = expected_metrics(score, d, p)
    tp, fp = 0.5 + 0.7 + 0.95, 0.5 + 0.3 + 0.05
    fn, tn = 0.05 + 0.4 + 0.2, 0.95 + 0.6 + 0.8
    assert got["accuracy"] == pytest.approx((tp + tn) / 6)
    assert got["precision"] == pytest.approx(tp / (tp + fp))
    assert got["recall"] == pytest.approx(tp / (tp + fn))
    assert got["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert got["roc_auc"] == pytest.approx(brute_force_auc(score, p))


def test_undefined_expectations_are_none() -> None:
    score = np.array([0.2, 0.4])
    got = expected_metrics(score, np.array([0, 0]), np.array([0.0, 0.0]))
    assert got["precision"] is None and got["recall"] is None and got["roc_auc"] is None
    assert got["accuracy"] == 1.0


def test_calibration_learns_the_map_from_score_to_probability() -> None:
    rng = np.random.default_rng(0)
    raw = rng.uniform(size=20_000)
    labels = (rng.uniform(size=raw.size) < raw**2).astype(int)  # true P(y=1|s) = s²
    calibration = fit_calibration(raw, labels)
    grid = np.array([0.2, 0.5, 0.8])
    assert calibration.probabilities(grid) == pytest.approx(grid**2, abs=0.05)
    assert calibration.probabilities(np.array([-1.0, 2.0])).tolist() == [
        calibration.values[0],
        calibration.values[-1],
    ]
    with pytest.raises(MonitoringError, match="both classes"):
        fit_calibration(raw[:100], np.zeros(100))
    with pytest.raises(MonitoringError, match="at least 50 labelled reference rows"):
        fit_calibration(raw[:10], labels[:10])


@pytest.fixture
def shifted(store: Store) -> Store:
    """Well-calibrated scores throughout; February's scores lean high (covariate shift).

    The week of 19 February has concept drift: there P(y=1 | score) = 1 − score.
    """
    rng = np.random.default_rng(5)
    frame = binary_frame(days=56, per_day=150)
    feb = frame.ts >= "2024-02-01"
    high = np.clip(rng.beta(4, 2, size=int(feb.sum())), 0.02, 0.98).round(3)
    frame.loc[feb, "score"] = high
    frame.loc[feb, "pred"] = (high >= 0.5).astype(int)
    frame.loc[feb, "label"] = (rng.uniform(size=high.size) < high).astype(int)
    concept = (frame.ts >= "2024-02-19") & (frame.ts < "2024-02-26")
    inverted = 1 - frame.loc[concept, "score"].to_numpy()
    frame.loc[concept, "label"] = (rng.uniform(size=inverted.size) < inverted).astype(int)
    log_records(frame, tiny_spec(), db=store.path)
    return store


def test_estimate_is_close_to_realized_when_calibration_holds_and_diverges_under_concept_drift(
    shifted: Store,
) -> None:
    estimate = estimate_performance(shifted, "churn", WindowPlan("week"), resamples=200)
    realized = realized_performance(shifted, "churn", WindowPlan("week"), resamples=0)
    assert estimate.assumption == ASSUMPTION and "no concept drift" in ASSUMPTION
    assert len(estimate.windows) == len(realized.windows) == 8
    concept_week = D(2024, 2, 19)
    inside = 0
    for est, real in zip(estimate.windows, realized.windows, strict=True):
        assert est.window == real.window
        for name in ("accuracy", "precision", "recall", "f1", "roc_auc"):
            e, r = est.metrics[name], real.metrics[name]
            assert e.value is not None and r.value is not None
            assert e.lower is not None and e.upper is not None
            if est.window.start == concept_week:
                assert abs(e.value - r.value) > 0.1, name
                assert not e.lower <= r.value <= e.upper, name
            else:
                assert abs(e.value - r.value) < 0.05, (est.window.start, name)
                inside += e.lower <= r.value <= e.upper
    assert inside >= 0.85 * 7 * 5  # a 95 % interval may miss now and then


def test_estimates_cover_windows_whose_labels_are_pending(store: Store) -> None:
    frame = binary_frame(days=42)
    frame.loc[frame.ts >= "2024-02-05", "label"] = None
    log_records(frame, tiny_spec(), db=store.path)
    estimate = estimate_performance(store, "churn", resamples=0)
    realized = realized_performance(store, "churn", resamples=0)
    assert realized.windows[-1].status == "pending"
    last = estimate.windows[-1]
    assert last.status == "ok" and last.metrics["accuracy"].value is not None
    assert last.metrics["accuracy"].lower is None  # no draws asked for
    table = estimate.frame()
    assert set(table.metric) == {"accuracy", "precision", "recall", "f1", "roc_auc"}
    assert table.estimate.notna().all()


def test_estimate_window_is_reproducible_and_reports_empty_windows() -> None:
    rng = np.random.default_rng(2)
    s = rng.uniform(size=2000)
    calibration = fit_calibration(s, (rng.uniform(size=s.size) < s).astype(int))
    predicted = (s > 0.5).astype(int)
    first = estimate_window(s, predicted, calibration, resamples=50, rng=np.random.default_rng(1))
    again = estimate_window(s, predicted, calibration, resamples=50, rng=np.random.default_rng(1))
    assert first == again
    empty = estimate_window(s[:0], predicted[:0], calibration, rng=np.random.default_rng(1))
    assert {v.status for v in empty.values()} == {"empty"}


def test_estimation_needs_a_binary_model_with_scores(store: Store) -> None:
    log_records(regression_frame(days=7), regression_spec(), db=store.path)
    with pytest.raises(MonitoringError, match="only for binary models with a score column"):
        estimate_performance(store, "price")
    log_records(binary_frame(days=7), tiny_spec(), db=store.path)
    with pytest.raises(MonitoringError, match="cannot estimate \\['log_loss'\\]"):
        estimate_performance(store, "churn", metrics=["log_loss"])


def test_a_reference_without_labels_cannot_be_calibrated(store: Store) -> None:
    log_records(binary_frame(days=7).assign(label=pd.NA), tiny_spec(), db=store.path)
    with pytest.raises(MonitoringError, match="reference has 0"):
        estimate_performance(store, "churn")
