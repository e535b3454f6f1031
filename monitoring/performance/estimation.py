"""Estimated performance of a binary classifier while its labels are missing.

Confidence-based estimation: the model's scores are calibrated on the
reference (isotonic regression of the reference labels on the reference
scores), so each row's calibrated score ``pᵢ`` is the probability that its
label is positive. Every metric that is a function of the confusion matrix
then has an expected value:

- expected true positives ``TP = Σ pᵢ·dᵢ``, false positives ``FP = Σ (1−pᵢ)·dᵢ``,
  false negatives ``FN = Σ pᵢ·(1−dᵢ)``, true negatives ``TN = Σ (1−pᵢ)·(1−dᵢ)``,
  where ``dᵢ`` is 1 when the model predicted the positive class;
- accuracy ``(TP+TN)/n`` (an exact expectation); precision ``TP/(TP+FP)``,
  recall ``TP/(TP+FN)`` and F1 ``2TP/(2TP+FP+FN)`` (ratios of expectations);
- ROC AUC: the expected number of correctly ordered (positive, negative)
  pairs over the expected number of such pairs, ties counting one half,
  ``Σᵢ≠ⱼ pᵢ(1−pⱼ)([sᵢ>sⱼ] + ½[sᵢ=sⱼ]) / Σᵢ≠ⱼ pᵢ(1−pⱼ)``.

The interval around each estimate is where the realized metric of the
window's rows would fall (central ``confidence`` share) if the assumption
holds: labels are drawn ``resamples`` times as independent Bernoulli(``pᵢ``)
from a seeded generator and the metric is computed for each draw. It leaves
out the uncertainty of the calibration itself.

The assumption (:data:`ASSUMPTION`): no concept drift. ``P(label | score)``
must be what it was in the reference. The inputs may move (covariate drift)
and the estimate follows them, because it is computed from the window's own
scores; if the relation between inputs and labels changes, the estimate
stays where calibration puts it while realized performance moves away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression

from monitoring.errors import MonitoringError
from monitoring.performance.cells import PlanCells, plan_cells
from monitoring.performance.expected import estimate_cells
from monitoring.performance.metrics import (
    DEFAULT_CONFIDENCE,
    DEFAULT_RESAMPLES,
    MetricValue,
    positive_label,
)
from monitoring.performance.resampling import (
    metric_values,
    weighted_auc,
    window_seed,
)
from monitoring.schema import ModelSpec
from monitoring.store.aggregates import BinaryCells, binary_rows
from monitoring.store.connection import ModelHandle, Store
from monitoring.store.windows import Window, WindowPlan

ESTIMATED_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")
ASSUMPTION = (
    "Estimated performance assumes no concept drift: the chance that a row is positive given "
    "its score is the same as in the reference, where the scores were calibrated. It follows "
    "changes in the inputs (covariate drift) but not changes in how inputs relate to labels; "
    "where realized values exist and leave the estimate's interval, that assumption is broken."
)
MIN_REFERENCE_LABELS = 50
# Upper bound on draws × rows held in memory at once.
_CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class Calibration:
    """An isotonic map from score to P(positive), fitted on the reference.

    ``thresholds`` and ``values`` are the fitted step points; scores between
    them are interpolated linearly and scores outside are clipped, exactly as
    scikit-learn's ``IsotonicRegression.predict`` does.
    """

    thresholds: np.ndarray
    values: np.ndarray
    n_reference: int
    reference_positive_rate: float

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated P(positive) of each score."""
        return np.interp(np.asarray(scores, dtype=np.float64), self.thresholds, self.values)


def fit_calibration(scores: np.ndarray, labels: np.ndarray) -> Calibration:
    """Fit the isotonic calibration of 0/1 ``labels`` on ``scores``.

    Raises
    ------
    MonitoringError
        With fewer than :data:`MIN_REFERENCE_LABELS` labelled rows or a single class.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    if len(scores) < MIN_REFERENCE_LABELS:
        raise MonitoringError(
            f"calibration needs at least {MIN_REFERENCE_LABELS} labelled reference rows with a "
            f"score; the reference has {len(scores)}"
        )
    if labels.min() == labels.max():
        raise MonitoringError("calibration needs both classes among the labelled reference rows")
    fitted = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, labels)
    return Calibration(
        np.asarray(fitted.X_thresholds_, dtype=np.float64),
        np.asarray(fitted.y_thresholds_, dtype=np.float64),
        len(scores),
        float(labels.mean()),
    )


def expected_metrics(
    score: np.ndarray, predicted: np.ndarray, probability: np.ndarray
) -> dict[str, float | None]:
    """The expected metrics of rows sorted by ``score`` (see the module docstring).

    ``predicted`` holds 1 where the model predicted the positive class;
    ``probability`` the calibrated P(positive). A metric that is not defined
    (precision without a positive prediction, ROC AUC when every row is
    certain to be one class) is ``None``.
    """
    d = predicted.astype(np.float64)
    p = probability
    tp, fp = float(p @ d), float((1 - p) @ d)
    fn, tn = float(p @ (1 - d)), float((1 - p) @ (1 - d))
    n = len(p)
    out: dict[str, float | None] = {
        "accuracy": (tp + tn) / n if n else None,
        "precision": tp / (tp + fp) if tp + fp > 0 else None,
        "recall": tp / (tp + fn) if tp + fn > 0 else None,
        "f1": 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn > 0 else None,
    }
    self_pairs = float(p @ (1 - p))
    pairs = float(p.sum() * (1 - p).sum()) - self_pairs
    if pairs > 1e-12:
        ratio = weighted_auc(score, p[None, :], (1 - p)[None, :])[0]
        # A row is never paired with itself; weighted_auc counts it as half a tie.
        out["roc_auc"] = (ratio * (pairs + self_pairs) - 0.5 * self_pairs) / pairs
    else:
        out["roc_auc"] = None
    return out


def simulated_metrics(
    score: np.ndarray, predicted: np.ndarray, labels: np.ndarray
) -> dict[str, np.ndarray]:
    """Realized metrics of rows sorted by ``score`` under each drawn labelling.

    ``labels`` is ``(draws, rows)`` of 0/1; the result has one value per draw,
    ``nan`` where a draw leaves a metric undefined.
    """
    y = labels.astype(np.float64)
    d = predicted.astype(np.float64)
    n = y.shape[1]
    tp = y @ d
    positives = y.sum(axis=1)
    fp = d.sum() - tp
    fn = positives - tp
    tn = n - tp - fp - fn
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "accuracy": (tp + tn) / n,
            "precision": tp / (tp + fp),
            "recall": tp / (tp + fn),
            "f1": 2 * tp / (2 * tp + fp + fn),
            "roc_auc": weighted_auc(score, y, 1 - y),
        }


def estimate_window(
    score: np.ndarray,
    predicted: np.ndarray,
    calibration: Calibration,
    *,
    metrics: Sequence[str] = ESTIMATED_METRICS,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    rng: np.random.Generator | None = None,
) -> dict[str, MetricValue]:
    """Estimated metrics of one window's rows, with their intervals when ``rng`` is given."""
    order = np.argsort(score, kind="stable")
    score, predicted = score[order], predicted[order]
    probability = calibration.probabilities(score)
    n = len(score)
    if n == 0:
        return {m: MetricValue(m, None, None, None, "empty", "no records") for m in metrics}
    points = expected_metrics(score, predicted, probability)
    draws: dict[str, list[np.ndarray]] = {m: [] for m in metrics}
    if rng is not None and resamples > 0:
        chunk = max(1, min(resamples, _CHUNK_CELLS // n))
        for done in range(0, resamples, chunk):
            b = min(chunk, resamples - done)
            labels = rng.random((b, n)) < probability
            for m, values in simulated_metrics(score, predicted, labels).items():
                if m in draws:
                    draws[m].append(values)
    return metric_values({m: points[m] for m in metrics}, draws, confidence, n, _why_undefined)


def _why_undefined(metric: str) -> str:
    return {
        "precision": "no positive predictions",
        "recall": "no row is expected to be positive",
        "f1": "no positive predictions and no row expected to be positive",
        "roc_auc": "every row is certain to be of one class",
    }.get(metric, "not defined on these rows")


@dataclass(frozen=True)
class WindowEstimate:
    """Estimated performance of one window: all its rows with a score, labelled or not."""

    window: Window
    status: Literal["ok", "empty"]
    metrics: Mapping[str, MetricValue]


@dataclass(frozen=True)
class EstimationResult:
    """Estimated performance of a binary model over a timeline of windows."""

    model: str
    metrics: tuple[str, ...]
    windows: tuple[WindowEstimate, ...]
    calibration: Calibration
    plan: WindowPlan
    confidence: float
    resamples: int
    seed: int
    assumption: str = ASSUMPTION

    def frame(self) -> pd.DataFrame:
        """One row per window and metric: the estimate, its interval and status."""
        return pd.DataFrame(
            [
                {
                    "start": w.window.start,
                    "end": w.window.end,
                    "rows": w.window.rows,
                    "metric": m,
                    "estimate": w.metrics[m].value,
                    "lower": w.metrics[m].lower,
                    "upper": w.metrics[m].upper,
                    "status": w.metrics[m].status,
                    "reason": w.metrics[m].reason,
                }
                for w in self.windows
                for m in self.metrics
            ]
        )


def supports_estimation(spec: ModelSpec) -> bool:
    """True for binary models with a score column (and a target to calibrate on)."""
    return spec.task == "binary" and bool(spec.scores) and spec.target is not None


def reference_calibration(model: ModelHandle) -> Calibration:
    """Fit the calibration on the labelled rows of the model's reference period."""
    spec = _checked(model)
    ref = spec.reference
    rows = binary_rows(model, ref.start, ref.end, positive_label(spec))
    scored = np.isfinite(rows.score)
    return fit_calibration(rows.score[scored], rows.y[scored])


def estimate_performance(
    store: Store,
    model: str,
    plan: WindowPlan | None = None,
    *,
    metrics: Sequence[str] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
    cells: PlanCells | None = None,
) -> EstimationResult:
    """Estimated accuracy, precision, recall, F1 and ROC AUC per window over ``[start, end)``.

    ``plan`` cuts the windows as in
    :func:`~monitoring.performance.realized.realized_performance`; ``cells``
    are its :func:`~monitoring.performance.cells.plan_cells`, when the caller
    has them already (saves a scan).

    Raises
    ------
    MonitoringError
        For a model that is not binary with a score column, an unknown
        metric, or a reference too small (or single-class) to calibrate on.
    """
    handle = store.model(model)
    plan = plan or WindowPlan()
    _checked(handle)
    names = tuple(metrics) if metrics is not None else ESTIMATED_METRICS
    unknown = [m for m in names if m not in ESTIMATED_METRICS]
    if unknown:
        raise MonitoringError(
            f"cannot estimate {unknown}; estimable metrics are {list(ESTIMATED_METRICS)}"
        )
    calibration = reference_calibration(handle)
    results: list[WindowEstimate] = []
    found = cells if cells is not None and cells.plan == plan else plan_cells(handle, plan)
    for w, c in zip(found.windows, found.cells, strict=True):
        assert isinstance(c, BinaryCells)
        results.append(_window_estimate(w, c, calibration, names, resamples, confidence, seed))
    return EstimationResult(
        model=model,
        metrics=names,
        windows=tuple(results),
        calibration=calibration,
        plan=plan,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )


def _window_estimate(
    window: Window,
    cells: BinaryCells,
    calibration: Calibration,
    metrics: tuple[str, ...],
    resamples: int,
    confidence: float,
    seed: int,
) -> WindowEstimate:
    """One window's estimate from its cells (every row with a score, labelled or not)."""
    if not (cells.b >= 0).any():
        reason = "no records" if window.rows == 0 else "no record has a score"
        empty = {m: MetricValue(m, None, None, None, "empty", reason) for m in metrics}
        return WindowEstimate(window, "empty", empty)
    values = estimate_cells(
        cells,
        calibration.probabilities,
        _why_undefined,
        metrics=metrics,
        resamples=resamples,
        confidence=confidence,
        rng=window_seed(seed, window.start),
    )
    return WindowEstimate(window, "ok", values)


def _checked(model: ModelHandle) -> ModelSpec:
    spec = model.spec
    if not supports_estimation(spec):
        raise MonitoringError(
            f"model {spec.name!r} ({spec.task}): performance can be estimated only for binary "
            "models with a score column and a target column to calibrate on"
        )
    return spec
