"""Realized model performance per window: metrics, intervals, label coverage and alerts.

Metrics are computed on the labelled rows of each window with scikit-learn's
metric functions. Each value comes with a percentile bootstrap interval: the
window's labelled rows are resampled with replacement ``resamples`` times from
a generator seeded by ``seed`` and the window's start, so a window's interval
does not depend on which other windows were asked for. Resamples are drawn as a
matrix of row multiplicities and every metric is computed from it with matrix
products (paired across metrics), which is what keeps a year of weekly windows
to a few seconds.

A window without rows is ``"empty"``; one whose rows have no label yet is
``"pending"`` (its metrics are absent, never zero); a metric a window cannot
define (ROC AUC with one class, R² of a constant target, precision without a
positive prediction ...) is ``"undefined"`` with the reason in words; fewer
labelled rows than ``min_labelled`` is ``"too_few"``.

The reference band of a metric is ``mean ± band_sigmas × σ`` of the metric over
the reference period cut into windows of the same kind (same calendar period or
row count), clipped to the metric's range. With fewer than two reference
windows where the metric is defined the band is absent (``lower`` and
``upper`` are ``None``, the reason says why) and no window can alert on it.

Binary models: the positive class is the spec's ``positive_label``, or the text
``"1"`` when the spec sets none. ROC AUC, log loss and Brier score need the
score column (P(positive)). Multiclass models get accuracy and macro-averaged
precision, recall and F1 (the spec does not map score columns to classes).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn import metrics as skm

from monitoring.errors import MonitoringError
from monitoring.schema import ModelSpec, ReferenceWindow, Task
from monitoring.store import Store, quote_ident
from monitoring.windows import Window, calendar_windows, row_windows

MetricStatus = Literal["ok", "pending", "empty", "too_few", "undefined"]
WindowStatus = Literal["ok", "pending", "empty"]
DEFAULT_POSITIVE_LABEL = "1"
DEFAULT_RESAMPLES = 400
DEFAULT_CONFIDENCE = 0.95
DEFAULT_MIN_LABELLED = 10
DEFAULT_BAND_SIGMAS = 3.0
# Upper bound on resamples × rows held in memory at once (float64: 32 MB).
_CHUNK_CELLS = 4_000_000


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


def positive_label(spec: ModelSpec) -> str:
    """The positive class of a binary model: ``spec.positive_label``, else ``"1"``."""
    return spec.positive_label if spec.positive_label is not None else DEFAULT_POSITIVE_LABEL


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Records:
    """A model's records in ``[start, end)``, sorted by time, in the columns performance needs.

    ``target`` and ``prediction`` are object arrays of text (``None`` for a
    missing label) for classifiers and float arrays (``nan`` for a missing
    label) for regressors; ``score`` is P(positive) of a binary model, or
    ``None`` when the spec has no score column.
    """

    spec: ModelSpec
    start: dt.datetime
    end: dt.datetime
    ts: np.ndarray
    prediction: np.ndarray
    target: np.ndarray
    score: np.ndarray | None

    def __len__(self) -> int:
        return len(self.ts)

    @property
    def labelled(self) -> np.ndarray:
        """Boolean mask of the rows whose label has arrived."""
        return np.asarray(pd.notna(self.target), dtype=bool)

    def between(self, start: dt.datetime, end: dt.datetime) -> Records:
        """The rows with ``start <= ts < end`` (a view, no copy)."""
        lo, hi = np.searchsorted(self.ts, [np.datetime64(start), np.datetime64(end)], side="left")
        return Records(
            self.spec,
            max(self.start, start),
            min(self.end, end),
            self.ts[lo:hi],
            self.prediction[lo:hi],
            self.target[lo:hi],
            None if self.score is None else self.score[lo:hi],
        )

    def covers(self, start: dt.datetime, end: dt.datetime) -> bool:
        """True when every record of ``[start, end)`` is in these records."""
        return self.start <= start and end <= self.end


def load_records(store: Store, model: str, start: dt.datetime, end: dt.datetime) -> Records:
    """Load timestamp, prediction, target and score of ``[start, end)`` with one query.

    Raises
    ------
    MonitoringError
        When the model has no target column: without labels there is no
        realized performance, no calibration and no error to test.
    """
    spec = store.spec(model)
    if spec.target is None:
        raise MonitoringError(
            f"model {model!r} has no target column: performance needs labels (set 'target')"
        )
    score = quote_ident(spec.scores[0]) if spec.task == "binary" and spec.scores else "NULL"
    ts = quote_ident(spec.timestamp)
    frame = store.query(
        f"SELECT {ts} AS ts, {quote_ident(spec.prediction)} AS prediction, "
        f"{quote_ident(spec.target)} AS target, {score} AS score "
        f"FROM {store.table(model)} WHERE {ts} >= ? AND {ts} < ? ORDER BY {ts}",
        [start, end],
    )
    regression = spec.task == "regression"
    kind = "float64" if regression else object
    target = frame["target"].to_numpy(dtype=kind)
    prediction = frame["prediction"].to_numpy(dtype=kind)
    if not regression:  # DuckDB hands back NaN or None for NULL text depending on the column
        target[pd.isna(target)] = None
    has_score = spec.task == "binary" and bool(spec.scores)
    return Records(
        spec,
        start,
        end,
        frame["ts"].to_numpy(dtype="datetime64[us]"),
        prediction,
        target,
        frame["score"].to_numpy(dtype="float64") if has_score else None,
    )


def data_range(store: Store, model: str) -> tuple[dt.datetime, dt.datetime] | None:
    """``[first record, last record + 1 µs)``, or ``None`` for a model without records."""
    spec = store.spec(model)
    ts = quote_ident(spec.timestamp)
    row = store.query(f"SELECT min({ts}) AS lo, max({ts}) AS hi FROM {store.table(model)}").iloc[0]
    if pd.isna(row["lo"]):
        return None
    return row["lo"].to_pydatetime(), row["hi"].to_pydatetime() + dt.timedelta(microseconds=1)


def performance_windows(
    store: Store,
    model: str,
    start: dt.datetime,
    end: dt.datetime,
    period: str | None = "week",
    rows: int | None = None,
) -> list[Window]:
    """Calendar windows of ``period``, or runs of ``rows`` records when ``rows`` is given."""
    if rows is not None:
        return row_windows(store, model, rows, start, end)
    if period is None:
        raise MonitoringError("choose a calendar period or a number of rows per window")
    return calendar_windows(store, model, period, start, end)


# --------------------------------------------------------------------------- samples


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


def labelled_sample(records: Records) -> Sample:
    """Encode the labelled rows of ``records`` (that have a prediction) for their model's task."""
    spec = records.spec
    # A row without a prediction says nothing about the model's quality.
    keep = records.labelled & np.asarray(pd.notna(records.prediction), dtype=bool)
    if spec.task == "regression":
        return Sample("regression", records.target[keep], records.prediction[keep], None)
    target = records.target[keep].astype(str)
    predicted = records.prediction[keep].astype(str)
    if spec.task == "binary":
        positive = positive_label(spec)
        y_true = (target == positive).astype(np.int64)
        y_pred = (predicted == positive).astype(np.int64)
        score = None if records.score is None else records.score[keep]
        if score is not None:
            order = np.argsort(score, kind="stable")
            y_true, y_pred, score = y_true[order], y_pred[order], score[order]
        return Sample(
            "binary", y_true, y_pred, score, (_negative_name(target, predicted, positive), positive)
        )
    classes = tuple(sorted(set(target) | set(predicted)))
    index = {c: i for i, c in enumerate(classes)}
    code = np.vectorize(index.__getitem__, otypes=[np.int64])
    return Sample(
        "multiclass",
        code(target) if len(target) else np.zeros(0, np.int64),
        code(predicted) if len(predicted) else np.zeros(0, np.int64),
        None,
        classes,
    )


def _negative_name(target: np.ndarray, predicted: np.ndarray, positive: str) -> str:
    """The negative class's text when the rows show exactly one, else ``"not <positive>"``."""
    others = (set(target) | set(predicted)) - {positive, ""}
    return others.pop() if len(others) == 1 else f"not {positive}"


# --------------------------------------------------------------------------- point values


def point_metric(sample: Sample, metric: str) -> tuple[float | None, str]:
    """One metric on a sample with scikit-learn: ``(value, "")`` or ``(None, reason)``."""
    reason = _undefined(sample, metric)
    if reason:
        return None, reason
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


def _undefined(sample: Sample, metric: str) -> str:
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


# --------------------------------------------------------------------------- resampled values


def resampled_metrics(
    sample: Sample, counts: np.ndarray, metrics: Sequence[str]
) -> dict[str, np.ndarray]:
    """Each metric on each resample given as row multiplicities.

    Parameters
    ----------
    sample
        The window's labelled rows.
    counts
        ``(resamples, len(sample))`` non-negative multiplicities; a row of ones
        is the sample itself, which is how the tests tie these formulas to
        scikit-learn's.
    metrics
        Names from :data:`METRICS` that apply to the sample's task.

    Returns
    -------
    dict
        One float array of length ``resamples`` per metric, ``nan`` where a
        resample leaves the metric undefined.
    """
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum(axis=1)
    out: dict[str, np.ndarray] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        if sample.task == "regression":
            out.update(_regression_resampled(sample, counts, total, metrics))
        else:
            out.update(_classification_resampled(sample, counts, total, metrics))
    return {m: out[m] for m in metrics}


def _classification_resampled(
    sample: Sample, counts: np.ndarray, total: np.ndarray, metrics: Sequence[str]
) -> dict[str, np.ndarray]:
    k = 2 if sample.task == "binary" else max(len(sample.classes), 1)
    cells = _group_sums(counts, sample.y_true * k + sample.y_pred, k * k).reshape(-1, k, k)
    hits = np.trace(cells, axis1=1, axis2=2)
    predicted = cells.sum(axis=1)  # per predicted class
    actual = cells.sum(axis=2)  # per true class
    tp = np.diagonal(cells, axis1=1, axis2=2)
    out = {"accuracy": hits / total}
    if sample.task == "binary":
        out["precision"] = tp[:, 1] / predicted[:, 1]
        out["recall"] = tp[:, 1] / actual[:, 1]
        out["f1"] = 2 * tp[:, 1] / (predicted[:, 1] + actual[:, 1])
    else:
        out["precision"] = _nanmean_rows(tp / predicted)
        out["recall"] = _nanmean_rows(tp / actual)
        out["f1"] = _nanmean_rows(2 * tp / (predicted + actual))
    if sample.score is not None and {"roc_auc", "log_loss", "brier"} & set(metrics):
        k = sample.scored  # scored rows come first
        score, y, scored = sample.score[:k], sample.y_true[:k].astype(np.float64), counts[:, :k]
        eps = np.finfo(np.float64).eps
        clipped = np.clip(score, eps, 1 - eps)
        loss = -(y * np.log(clipped) + (1 - y) * np.log1p(-clipped))
        scored_total = scored.sum(axis=1)
        out["log_loss"] = scored @ loss / scored_total
        out["brier"] = scored @ (score - y) ** 2 / scored_total
        positives = np.flatnonzero(y)
        out["roc_auc"] = weighted_auc(score, scored[:, positives], scored * (1 - y), positives)
    return out


def _regression_resampled(
    sample: Sample, counts: np.ndarray, total: np.ndarray, metrics: Sequence[str]
) -> dict[str, np.ndarray]:
    y, residual = sample.y_true, sample.y_true - sample.y_pred
    squared = counts @ residual**2
    nonzero = y != 0
    relative = np.where(nonzero, np.abs(residual) / np.where(nonzero, np.abs(y), 1.0), 0.0)
    spread = counts @ y**2 - (counts @ y) ** 2 / total
    # Relative tolerance: a constant target leaves rounding noise, not spread.
    constant = spread <= 1e-12 * np.maximum(counts @ y**2, 1e-300)
    return {
        "mae": counts @ np.abs(residual) / total,
        "rmse": np.sqrt(squared / total),
        "mape": (counts @ relative) / (counts @ nonzero.astype(np.float64)),
        "r2": np.where(constant, np.nan, 1 - squared / spread),
    }


def weighted_auc(
    score: np.ndarray,
    positive: np.ndarray,
    negative: np.ndarray,
    columns: np.ndarray | None = None,
) -> np.ndarray:
    """ROC AUC (ties count one half) of rows sorted by ``score``, one value per weighting.

    Parameters
    ----------
    score
        Scores sorted ascending.
    positive
        ``(weightings, len(columns))`` weights of the rows ``columns`` (all rows
        when ``None``) as positive examples.
    negative
        ``(weightings, len(score))`` weights of every row as a negative example.
    columns
        The rows that can be positive; leaving the others out saves work.

    Returns
    -------
    numpy.ndarray
        ``Σ w⁺ᵢ w⁻ⱼ ([sᵢ > sⱼ] + ½[sᵢ = sⱼ]) / (Σ w⁺ · Σ w⁻)`` per weighting: the
        AUC of a bootstrap resample when weights are multiplicities, ``nan``
        where either weight sums to zero.
    """
    k = negative.shape[0]
    if len(score) == 0:
        return np.full(k, np.nan)
    rows = np.arange(len(score)) if columns is None else columns
    first = np.searchsorted(score, score[rows], side="left")
    past = np.searchsorted(score, score[rows], side="right")
    # Row t of ``below`` is the negative weight of rows before t. Accumulating down
    # the transposed matrix into a C-ordered buffer is ~3× faster than along rows.
    below = np.empty((len(score) + 1, k))
    below[0] = 0.0
    np.cumsum(negative.T, axis=0, out=below[1:])
    # Negatives strictly below a tie group plus half of those inside it.
    beaten = 0.5 * (below[first] + below[past])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.einsum("ij,ji->i", positive, beaten) / (positive.sum(axis=1) * below[-1])


def _group_sums(counts: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """``counts`` summed per group of columns: ``(resamples, n_groups)``."""
    onehot = sparse.csr_matrix(
        (np.ones(len(groups)), (np.arange(len(groups)), groups)), shape=(len(groups), n_groups)
    )
    return np.asarray((onehot.T @ counts.T).T)


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    defined = np.isfinite(values)
    n = defined.sum(axis=1)
    return np.where(n > 0, np.where(defined, values, 0).sum(axis=1) / np.maximum(n, 1), np.nan)


def bootstrap_counts(n: int, resamples: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Row multiplicities of ``resamples`` bootstrap resamples of ``n`` rows, in chunks."""
    chunk = max(1, min(resamples, _CHUNK_CELLS // max(n, 1)))
    done = 0
    while done < resamples:
        b = min(chunk, resamples - done)
        draws = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        yield np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
        done += b


def percentile_interval(values: np.ndarray, confidence: float) -> tuple[float | None, float | None]:
    """The central ``confidence`` percentile interval of the finite ``values``."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return None, None
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(finite, [tail, 100 - tail])
    return float(lo), float(hi)


def window_seed(seed: int, start: dt.datetime) -> np.random.Generator:
    """A generator for one window: the same window gets the same draws in any timeline."""
    # Microseconds since 1970 of the naive time itself: no local time zone gets involved.
    micros = (start - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)
    return np.random.default_rng([seed, micros & (2**63 - 1)])


# --------------------------------------------------------------------------- results


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


@dataclass(frozen=True)
class ReferenceBand:
    """A metric's spread over the reference period cut into windows of the same kind.

    ``lower``/``upper`` are ``mean ∓ sigmas × std`` (sample std) clipped to the
    metric's range, ``None`` with fewer than two reference windows where the
    metric is defined (``reason`` says so). ``overall`` is the metric on all
    labelled reference rows at once.
    """

    metric: str
    mean: float | None
    std: float | None
    lower: float | None
    upper: float | None
    windows: int
    sigmas: float
    overall: float | None
    reason: str = ""

    def contains(self, value: float) -> bool | None:
        """Whether ``value`` lies inside the band; ``None`` without a band."""
        if self.lower is None or self.upper is None:
            return None
        return self.lower <= value <= self.upper


@dataclass(frozen=True)
class Alert:
    """A window whose metric left the reference band.

    ``direction`` is where it went (``"above"``/``"below"``); ``worse`` says
    whether that is the bad side for this metric (loss going up, accuracy down).
    """

    metric: str
    start: dt.datetime
    end: dt.datetime
    value: float
    lower: float
    upper: float
    direction: Literal["above", "below"]
    worse: bool

    def message(self) -> str:
        """One line for a log or a page."""
        side = "worse" if self.worse else "better"
        return (
            f"{metric_info(self.metric).label} {self.value:.4g} is {self.direction} the reference "
            f"band [{self.lower:.4g}, {self.upper:.4g}] in the window starting "
            f"{self.start:%Y-%m-%d %H:%M} ({side} than usual)"
        )


@dataclass(frozen=True)
class WindowPerformance:
    """Realized performance of one window.

    ``status`` is ``"empty"`` (no rows), ``"pending"`` (rows, no label yet) or
    ``"ok"`` (some labelled rows; metrics may still be individually
    undefined). ``metrics`` maps each metric name to its value.
    """

    window: Window
    status: WindowStatus
    in_reference: bool
    metrics: Mapping[str, MetricValue]
    alerts: tuple[Alert, ...] = ()

    @property
    def label_coverage(self) -> float | None:
        """Share of the window's rows whose label has arrived (``None`` when empty)."""
        return self.window.label_coverage


@dataclass(frozen=True)
class PerformanceResult:
    """Realized performance of a model over a timeline of windows, with reference bands."""

    model: str
    task: Task
    metrics: tuple[str, ...]
    windows: tuple[WindowPerformance, ...]
    bands: Mapping[str, ReferenceBand]
    reference: ReferenceWindow
    period: str | None
    rows: int | None
    confidence: float
    resamples: int
    seed: int

    @property
    def alerts(self) -> tuple[Alert, ...]:
        """Every out-of-band window and metric, in time order."""
        return tuple(a for w in self.windows for a in w.alerts)

    def frame(self) -> pd.DataFrame:
        """One row per window and metric, with the window's counts and the metric's band."""
        rows = []
        for w in self.windows:
            for name in self.metrics:
                value, band = w.metrics[name], self.bands[name]
                rows.append(
                    {
                        "start": w.window.start,
                        "end": w.window.end,
                        "rows": w.window.rows,
                        "labelled": w.window.labelled,
                        "label_coverage": w.label_coverage,
                        "window_status": w.status,
                        "in_reference": w.in_reference,
                        "metric": name,
                        "value": value.value,
                        "lower": value.lower,
                        "upper": value.upper,
                        "n": value.n,
                        "status": value.status,
                        "reason": value.reason,
                        "band_lower": band.lower,
                        "band_upper": band.upper,
                        "alert": any(a.metric == name for a in w.alerts),
                    }
                )
        return pd.DataFrame(rows)


# --------------------------------------------------------------------------- computation


def window_metrics(
    sample: Sample,
    metrics: Sequence[str],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    rng: np.random.Generator | None = None,
    min_labelled: int = DEFAULT_MIN_LABELLED,
) -> dict[str, MetricValue]:
    """Every metric of one window's labelled sample, with bootstrap intervals.

    ``resamples=0`` (or no ``rng``) skips the intervals. A sample smaller than
    ``min_labelled`` gets status ``"too_few"`` for every metric; an empty one
    ``"pending"``.
    """
    n = len(sample)
    if n == 0:
        return {m: MetricValue(m, None, None, None, "pending", "no labels yet") for m in metrics}
    if n < min_labelled:
        reason = f"only {n} labelled row(s); at least {min_labelled} needed"
        return {m: MetricValue(m, None, None, None, "too_few", reason, n) for m in metrics}
    points = {m: point_metric(sample, m) for m in metrics}
    defined = [m for m in metrics if points[m][0] is not None]
    intervals: dict[str, tuple[float | None, float | None]] = {}
    if defined and resamples > 0 and rng is not None:
        chunks = [
            resampled_metrics(sample, c, defined) for c in bootstrap_counts(n, resamples, rng)
        ]
        for m in defined:
            intervals[m] = percentile_interval(np.concatenate([c[m] for c in chunks]), confidence)
    out = {}
    for m in metrics:
        value, reason = points[m]
        if value is None:
            out[m] = MetricValue(m, None, None, None, "undefined", reason, n)
        else:
            lo, hi = intervals.get(m, (None, None))
            if m == "mape":
                zeros = int(np.sum(sample.y_true == 0))
                reason = f"{zeros} zero target(s) left out" if zeros else ""
            out[m] = MetricValue(m, value, lo, hi, "ok", reason, n)
    return out


def realized_performance(
    store: Store,
    model: str,
    *,
    period: str | None = "week",
    rows: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    metrics: Sequence[str] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
    min_labelled: int = DEFAULT_MIN_LABELLED,
    band_sigmas: float = DEFAULT_BAND_SIGMAS,
) -> PerformanceResult:
    """Realized metrics per window over ``[start, end)``, with reference bands and alerts.

    Parameters
    ----------
    store, model
        Where the records are, and whose.
    period, rows
        Calendar windows of ``period`` (hour, day, week, month), or runs of
        ``rows`` records when ``rows`` is given.
    start, end
        The time range; each defaults to the model's first record / just
        past its last.
    metrics
        Names from :func:`metrics_for` (default: all of them).
    resamples, confidence, seed
        The bootstrap: number of resamples (0 skips intervals), the central
        interval's coverage, and the seed (combined with each window's start).
    min_labelled
        Windows with fewer labelled rows get ``"too_few"`` instead of values.
    band_sigmas
        Width of the reference band in reference-window standard deviations.
    """
    spec = store.spec(model)
    names = _check_metrics(spec, metrics)
    if not 0 < confidence < 1:
        raise MonitoringError(f"confidence must be between 0 and 1, got {confidence}")
    bounds = time_bounds(store, model, start, end)
    ref = spec.reference
    records = load_records(store, model, *bounds) if bounds else None
    results = []
    if bounds is not None and records is not None:
        for w in performance_windows(store, model, bounds[0], bounds[1], period, rows):
            results.append(
                _window_performance(
                    w, records, names, ref, resamples, confidence, seed, min_labelled
                )
            )
    bands = reference_bands(
        store,
        model,
        period=period,
        rows=rows,
        metrics=names,
        sigmas=band_sigmas,
        min_labelled=min_labelled,
        records=records,
    )
    results = [_with_alerts(w, bands) for w in results]
    return PerformanceResult(
        model=model,
        task=spec.task,
        metrics=names,
        windows=tuple(results),
        bands=bands,
        reference=ref,
        period=None if rows is not None else period,
        rows=rows,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )


def reference_bands(
    store: Store,
    model: str,
    *,
    period: str | None = "week",
    rows: int | None = None,
    metrics: Sequence[str] | None = None,
    sigmas: float = DEFAULT_BAND_SIGMAS,
    min_labelled: int = DEFAULT_MIN_LABELLED,
    records: Records | None = None,
) -> dict[str, ReferenceBand]:
    """Each metric's band over the reference period cut into the same kind of windows.

    ``records`` may be passed when they already cover the reference period,
    to save a query.
    """
    spec = store.spec(model)
    names = _check_metrics(spec, metrics)
    ref = spec.reference
    if records is None or not records.covers(ref.start, ref.end):
        records = load_records(store, model, ref.start, ref.end)
    windows = performance_windows(store, model, ref.start, ref.end, period, rows)
    samples = [labelled_sample(records.between(w.start, w.end)) for w in windows]
    per_window = [_plain_values(s, names, min_labelled) for s in samples]
    everything = labelled_sample(records.between(ref.start, ref.end))
    overall = window_metrics(everything, names, resamples=0, min_labelled=1)
    return {m: _band(m, [p[m] for p in per_window], sigmas, overall[m].value) for m in names}


def _plain_values(
    sample: Sample, metrics: Sequence[str], min_labelled: int
) -> dict[str, float | None]:
    """Metric values of a reference window without scikit-learn's per-call overhead.

    The matrix formulas of :func:`resampled_metrics` applied to the sample
    itself; the tests hold them equal to scikit-learn's. With hourly windows
    a reference holds over a thousand windows, and seven validated
    scikit-learn calls per window would take longer than the timeline itself.
    """
    if len(sample) < max(min_labelled, 1):
        return dict.fromkeys(metrics)
    defined = [m for m in metrics if not _undefined(sample, m)]
    values = resampled_metrics(sample, np.ones((1, len(sample))), defined) if defined else {}
    out: dict[str, float | None] = dict.fromkeys(metrics)
    for m, v in values.items():
        out[m] = float(v[0]) if np.isfinite(v[0]) else None
    return out


def _band(
    metric: str, values: list[float | None], sigmas: float, overall: float | None
) -> ReferenceBand:
    defined = np.array([v for v in values if v is not None], dtype=np.float64)
    if len(defined) < 2:
        reason = (
            f"the reference has {len(defined)} window(s) where {metric} is defined; "
            "a band needs at least 2"
        )
        mean = float(defined.mean()) if len(defined) else None
        return ReferenceBand(metric, mean, None, None, None, len(defined), sigmas, overall, reason)
    mean, std = float(defined.mean()), float(defined.std(ddof=1))
    info = metric_info(metric)
    lower, upper = mean - sigmas * std, mean + sigmas * std
    if info.lower_bound is not None:
        lower = max(lower, info.lower_bound)
    if info.upper_bound is not None:
        upper = min(upper, info.upper_bound)
    return ReferenceBand(metric, mean, std, lower, upper, len(defined), sigmas, overall)


def _window_performance(
    window: Window,
    records: Records,
    metrics: tuple[str, ...],
    reference: ReferenceWindow,
    resamples: int,
    confidence: float,
    seed: int,
    min_labelled: int,
) -> WindowPerformance:
    inside = reference.start <= window.start and window.end <= reference.end
    if window.rows == 0:
        empty = {m: MetricValue(m, None, None, None, "empty", "no records") for m in metrics}
        return WindowPerformance(window, "empty", inside, empty)
    sample = labelled_sample(records.between(window.start, window.end))
    values = window_metrics(
        sample,
        metrics,
        resamples=resamples,
        confidence=confidence,
        rng=window_seed(seed, window.start),
        min_labelled=min_labelled,
    )
    return WindowPerformance(window, "ok" if len(sample) else "pending", inside, values)


def _with_alerts(
    window: WindowPerformance, bands: Mapping[str, ReferenceBand]
) -> WindowPerformance:
    alerts = []
    for name, value in window.metrics.items():
        band = bands[name]
        if value.value is None or band.lower is None or band.upper is None:
            continue
        if band.contains(value.value):
            continue
        above = value.value > band.upper
        alerts.append(
            Alert(
                metric=name,
                start=window.window.start,
                end=window.window.end,
                value=value.value,
                lower=band.lower,
                upper=band.upper,
                direction="above" if above else "below",
                worse=above != metric_info(name).higher_is_better,
            )
        )
    return WindowPerformance(
        window.window, window.status, window.in_reference, window.metrics, tuple(alerts)
    )


def _check_metrics(spec: ModelSpec, metrics: Sequence[str] | None) -> tuple[str, ...]:
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


def time_bounds(
    store: Store, model: str, start: dt.datetime | None, end: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime] | None:
    """``[start, end)`` with a missing bound taken from the data; ``None`` when empty."""
    if start is not None and end is not None:
        return (start, end) if start < end else None
    span = data_range(store, model)
    if span is None:
        return None
    lo, hi = start or span[0], end or span[1]
    return (lo, hi) if lo < hi else None


# --------------------------------------------------------------------------- one window in detail


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
    spec = store.spec(model)
    ref = spec.reference
    window = labelled_sample(load_records(store, model, start, end))
    reference = labelled_sample(load_records(store, model, ref.start, ref.end))
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
