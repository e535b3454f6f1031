"""The metric registry and point values of one window's labelled sample.

:data:`METRICS` names every performance metric with its label, its better
direction, its range and whether it needs the score column. :class:`Sample`
holds a window's labelled rows encoded for the model's task, and
:func:`point_metric` computes one metric on it with scikit-learn, or says in
words why the metric is not defined there (ROC AUC with one class, R² of a
constant target, precision without a positive prediction ...).

Binary models: the positive class is the spec's ``positive_label``, or the text
``"1"`` when the spec sets none. ROC AUC, log loss and Brier score need the
score column (P(positive)). Multiclass models get accuracy and macro-averaged
precision, recall and F1 (the spec does not map score columns to classes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from monitoring.errors import MonitoringError
from monitoring.schema import DEFAULT_POSITIVE_LABEL, ModelSpec, Task

MetricStatus = Literal["ok", "pending", "empty", "too_few", "undefined"]
DEFAULT_RESAMPLES = 400
DEFAULT_CONFIDENCE = 0.95
DEFAULT_MIN_LABELLED = 10


@dataclass(frozen=True)
class MetricInfo:
    """What a metric is called, which way is better, its range and what it needs."""

    name: str
    label: str
    higher_is_better: bool
    lower_bound: float | None
    upper_bound: float | None
    needs_scores: bool = False


METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in (
        MetricInfo("accuracy", "Accuracy", True, 0.0, 1.0),
        MetricInfo("precision", "Precision", True, 0.0, 1.0),
        MetricInfo("recall", "Recall", True, 0.0, 1.0),
        MetricInfo("f1", "F1 score", True, 0.0, 1.0),
        MetricInfo("roc_auc", "ROC AUC", True, 0.0, 1.0, needs_scores=True),
        MetricInfo("log_loss", "Log loss", False, 0.0, None, needs_scores=True),
        MetricInfo("brier", "Brier score", False, 0.0, 1.0, needs_scores=True),
        MetricInfo("mae", "MAE", False, 0.0, None),
        MetricInfo("rmse", "RMSE", False, 0.0, None),
        MetricInfo("mape", "MAPE", False, 0.0, None),
        MetricInfo("r2", "R²", True, None, 1.0),
    )
}
CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier")
REGRESSION_METRICS = ("mae", "rmse", "mape", "r2")


def metric_info(name: str) -> MetricInfo:
    """The registry entry of ``name``; an unknown name lists the valid ones."""
    try:
        return METRICS[name]
    except KeyError:
        raise MonitoringError(
            f"unknown metric {name!r}; valid metrics are {list(METRICS)}"
        ) from None


def metrics_for(spec: ModelSpec) -> tuple[str, ...]:
    """The metrics Driftwatch computes for a model, in display order."""
    if spec.task == "regression":
        return REGRESSION_METRICS
    if spec.task == "multiclass":
        return ("accuracy", "precision", "recall", "f1")
    return tuple(m for m in CLASSIFICATION_METRICS if spec.scores or not METRICS[m].needs_scores)


HEADLINE_METRICS = {"binary": "f1", "multiclass": "accuracy", "regression": "mae"}


def headline_metric(spec: ModelSpec) -> str:
    """The metric a model is watched by: the first its ``[alerts]`` name, else its task's
    usual one (F1, accuracy, MAE) — accuracy says little on a 20 %-positive task."""
    named = [m for m in spec.alerts.metrics if m in metrics_for(spec)]
    return named[0] if named else HEADLINE_METRICS[spec.task]


def positive_label(spec: ModelSpec) -> str:
    """The positive class of a binary model: ``spec.positive_label``, else ``"1"``."""
    return spec.positive_label if spec.positive_label is not None else DEFAULT_POSITIVE_LABEL


@dataclass(frozen=True)
class Sample:
    """The labelled rows of one window, encoded for one task.

    Classifiers: ``y_true`` and ``y_pred`` are class codes into ``classes``
    (binary: 0 = negative, 1 = positive); rows are sorted by score when there
    is one, which the resampled ROC AUC relies on, and rows without a score
    come last. Regressors: floats.
    """

    task: Task
    y_true: np.ndarray
    y_pred: np.ndarray
    score: np.ndarray | None
    classes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.y_true)

    @property
    def scored(self) -> int:
        """How many rows have a score (they come first); score metrics use only these."""
        return 0 if self.score is None else int(np.isfinite(self.score).sum())


# --------------------------------------------------------------------------- point values


def point_metric(sample: Sample, metric: str) -> tuple[float | None, str]:
    """One metric on a sample with scikit-learn: ``(value, "")`` or ``(None, reason)``."""
    reason = undefined_reason(sample, metric)
    if reason:
        return None, reason
    # Imported here: scikit-learn costs about a second at every command's start, and most
    # metrics are computed from per-window counts (binned.py) without it.
    from sklearn import metrics as skm

    y, yhat, score = sample.y_true, sample.y_pred, sample.score
    if metric == "accuracy":
        value = skm.accuracy_score(y, yhat)
    elif metric in ("precision", "recall", "f1"):
        scorer = {
            "precision": skm.precision_score,
            "recall": skm.recall_score,
            "f1": skm.f1_score,
        }[metric]
        average = "binary" if sample.task == "binary" else "macro"
        value = scorer(y, yhat, average=average, zero_division=np.nan)
    elif metric in ("roc_auc", "log_loss", "brier"):
        k = sample.scored
        assert score is not None
        if metric == "roc_auc":
            value = skm.roc_auc_score(y[:k], score[:k])
        elif metric == "log_loss":
            value = skm.log_loss(y[:k], score[:k], labels=[0, 1])
        else:
            value = skm.brier_score_loss(y[:k], score[:k], labels=[0, 1])
    elif metric == "mae":
        value = skm.mean_absolute_error(y, yhat)
    elif metric == "rmse":
        value = skm.root_mean_squared_error(y, yhat)
    elif metric == "mape":
        nonzero = y != 0
        value = skm.mean_absolute_percentage_error(y[nonzero], yhat[nonzero])
    elif metric == "r2":
        value = skm.r2_score(y, yhat)
    else:
        metric_info(metric)
        raise MonitoringError(f"metric {metric!r} does not apply to a {sample.task} model")
    value = float(value)
    return (value, "") if math.isfinite(value) else (None, "not defined on these rows")


def undefined_reason(sample: Sample, metric: str) -> str:
    """Why ``metric`` cannot be computed on ``sample``, or ``""``."""
    y, yhat = sample.y_true, sample.y_pred
    info = metric_info(metric)
    if info.needs_scores and sample.score is None:
        return "the model has no score column"
    if info.needs_scores and sample.scored == 0:
        return "no labelled row has a score"
    if sample.task == "binary":
        positives, predicted = int(y.sum()), int(yhat.sum())
        scored_positives = int(y[: sample.scored].sum())
        if metric == "roc_auc" and scored_positives in (0, sample.scored):
            return "only one class among the labelled rows"
        if metric == "precision" and predicted == 0:
            return "no positive predictions"
        if metric == "recall" and positives == 0:
            return "no positive labels"
        if metric == "f1" and positives == 0 and predicted == 0:
            return "no positive labels or predictions"
    if sample.task == "regression":
        if metric == "mape" and not np.any(y != 0):
            return "every target is zero"
        if metric == "r2" and (len(y) < 2 or np.all(y == y[0])):
            return "fewer than two distinct targets"
    return ""


@dataclass(frozen=True)
class MetricValue:
    """One metric of one window: value and interval, or a status saying why not.

    ``value``, ``lower`` and ``upper`` are set only when ``status == "ok"``
    (``lower``/``upper`` stay ``None`` without resamples); ``n`` is the number
    of rows the value was computed on.
    """

    metric: str
    value: float | None
    lower: float | None
    upper: float | None
    status: MetricStatus
    reason: str = ""
    n: int = 0

    def plain(self) -> dict[str, object]:
        """The value, its interval, size, status and reason, for tables and JSON."""
        return {
            "value": self.value,
            "lower": self.lower,
            "upper": self.upper,
            "n": self.n,
            "status": self.status,
            "reason": self.reason,
        }


def check_metrics(spec: ModelSpec, metrics: Sequence[str] | None) -> tuple[str, ...]:
    """``metrics`` checked against the model (default: all of :func:`metrics_for`)."""
    valid = metrics_for(spec)
    if metrics is None:
        return valid
    for m in metrics:
        metric_info(m)
        if m not in valid:
            raise MonitoringError(
                f"metric {m!r} does not apply to model {spec.name!r} ({spec.task}); "
                f"valid metrics are {list(valid)}"
            )
    return tuple(metrics)
