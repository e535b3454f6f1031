"""One window against the reference, in detail: confusion matrix, reliability, residuals.

What the side-by-side charts of the Performance page show. Only labelled rows
count; a window without labels gives matrices of zeros and empty curves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

from monitoring.errors import MonitoringError
from monitoring.performance.metrics import Sample
from monitoring.performance.records import labelled_sample, load_records
from monitoring.schema import ReferenceWindow, Task
from monitoring.store.connection import Store


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts of (true class, predicted class); rows are true classes, columns predicted."""

    labels: tuple[str, ...]
    counts: np.ndarray

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def normalised(self) -> np.ndarray:
        """Each row divided by its total (the share of each true class predicted as each)."""
        totals = self.counts.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(totals > 0, self.counts / np.maximum(totals, 1), np.nan)


@dataclass(frozen=True)
class ReliabilityCurve:
    """Observed positive rate against mean score in equal-width score bins.

    Arrays have one entry per bin; bins without rows hold ``nan`` and count 0.
    """

    edges: np.ndarray
    mean_score: np.ndarray
    observed: np.ndarray
    counts: np.ndarray

    @property
    def n(self) -> int:
        return int(self.counts.sum())


@dataclass(frozen=True)
class ResidualHistogram:
    """Residuals (target − prediction) of a window and of the reference on shared bins.

    ``window_density`` and ``reference_density`` integrate to the share of
    rows inside the bins (the outer 0.5 % on each side of the pooled residuals
    fall outside, so one outlier cannot squash the chart).
    """

    edges: np.ndarray
    window_density: np.ndarray
    reference_density: np.ndarray
    window_n: int
    reference_n: int
    window_mean: float | None
    reference_mean: float | None


@dataclass(frozen=True)
class WindowComparison:
    """One window against the reference: what the side-by-side charts show.

    Classifiers get confusion matrices (same labels on both sides) and, with
    a score column, reliability curves; regressors get residual histograms.
    """

    model: str
    task: Task
    start: dt.datetime
    end: dt.datetime
    reference: ReferenceWindow
    window_n: int
    reference_n: int
    window_confusion: ConfusionMatrix | None = None
    reference_confusion: ConfusionMatrix | None = None
    window_reliability: ReliabilityCurve | None = None
    reference_reliability: ReliabilityCurve | None = None
    residuals: ResidualHistogram | None = None


def compare_with_reference(
    store: Store, model: str, start: dt.datetime, end: dt.datetime, bins: int = 10
) -> WindowComparison:
    """Confusion matrices and reliability curves (or residuals): a window beside the reference.

    Only labelled rows count; a window without labels gives matrices of zeros
    and empty curves, never an exception.
    """
    handle = store.model(model)
    spec = handle.spec
    ref = spec.reference
    window = labelled_sample(load_records(handle, start, end))
    reference = labelled_sample(load_records(handle, ref.start, ref.end))
    counts = (model, spec.task, start, end, ref, len(window), len(reference))
    if spec.task == "regression":
        return WindowComparison(*counts, residuals=residual_histogram(window, reference))
    labels = _class_labels(window, reference)
    curves = spec.task == "binary" and bool(spec.scores)
    return WindowComparison(
        *counts,
        window_confusion=confusion_matrix(window, labels),
        reference_confusion=confusion_matrix(reference, labels),
        window_reliability=reliability_curve(window, bins) if curves else None,
        reference_reliability=reliability_curve(reference, bins) if curves else None,
    )


def confusion_matrix(sample: Sample, labels: tuple[str, ...]) -> ConfusionMatrix:
    """The sample's confusion matrix over ``labels`` (which must include its classes).

    Binary samples are counted by code (negative, positive) whatever ``labels`` says.
    """
    if len(sample) == 0:
        return ConfusionMatrix(labels, np.zeros((len(labels), len(labels)), dtype=np.int64))
    if sample.task == "binary":
        counts = skm.confusion_matrix(sample.y_true, sample.y_pred, labels=[0, 1])
        return ConfusionMatrix(labels, counts.astype(np.int64))
    position = {c: i for i, c in enumerate(labels)}
    codes = np.array([position[c] for c in sample.classes], dtype=np.int64)
    counts = skm.confusion_matrix(
        codes[sample.y_true], codes[sample.y_pred], labels=np.arange(len(labels))
    )
    return ConfusionMatrix(labels, counts.astype(np.int64))


def reliability_curve(sample: Sample, bins: int = 10) -> ReliabilityCurve:
    """Mean score and observed positive rate per equal-width score bin."""
    if bins < 1:
        raise MonitoringError(f"a reliability curve needs at least one bin, got {bins}")
    edges = np.linspace(0.0, 1.0, bins + 1)
    score = sample.score if sample.score is not None else np.zeros(0)
    which = np.clip(np.searchsorted(edges, score, side="right") - 1, 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    sums = np.bincount(which, weights=score, minlength=bins)
    hits = np.bincount(which, weights=sample.y_true.astype(np.float64), minlength=bins)
    with np.errstate(divide="ignore", invalid="ignore"):
        return ReliabilityCurve(
            edges,
            np.where(counts > 0, sums / counts, np.nan),
            np.where(counts > 0, hits / counts, np.nan),
            counts.astype(np.int64),
        )


def residual_histogram(window: Sample, reference: Sample, bins: int = 40) -> ResidualHistogram:
    """Residual densities of a window and the reference on shared bins."""
    w = window.y_true - window.y_pred
    r = reference.y_true - reference.y_pred
    pooled = np.concatenate([w, r])
    if len(pooled) == 0:
        edges = np.linspace(-1.0, 1.0, bins + 1)
    else:
        lo, hi = np.percentile(pooled, [0.5, 99.5])
        edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
    return ResidualHistogram(
        edges,
        _density(w, edges),
        _density(r, edges),
        len(w),
        len(r),
        float(w.mean()) if len(w) else None,
        float(r.mean()) if len(r) else None,
    )


def _density(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    counts, _ = np.histogram(values, bins=edges)
    width = np.diff(edges)
    return counts / (max(len(values), 1) * width)


def _class_labels(window: Sample, reference: Sample) -> tuple[str, ...]:
    if window.task == "binary":
        return reference.classes if len(reference) else window.classes
    return tuple(sorted(set(window.classes) | set(reference.classes)))
