"""Bootstrap intervals of performance metrics, computed from matrices of row multiplicities.

A window's labelled rows are resampled with replacement ``resamples`` times
from a generator seeded by ``seed`` and the window's start
(:func:`window_seed`), so a window's interval does not depend on which other
windows were asked for. Resamples are drawn as a matrix of row multiplicities
(:func:`bootstrap_counts`) and every metric is computed from it with matrix
products (paired across metrics, see :func:`resampled_metrics`), which is what
keeps a year of weekly windows to a few seconds. :func:`weighted_auc` is the
ROC AUC of weighted rows, shared with estimated performance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
from scipy import sparse

from monitoring.performance.metrics import (
    DEFAULT_CONFIDENCE,
    DEFAULT_MIN_LABELLED,
    DEFAULT_RESAMPLES,
    MetricValue,
    Sample,
    point_metric,
)

# Upper bound on resamples × rows held in memory at once (float64: 32 MB).
_CHUNK_CELLS = 4_000_000


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


def metric_values(
    points: Mapping[str, float | None],
    draws: Mapping[str, list[np.ndarray]],
    confidence: float,
    n: int,
    undefined: Callable[[str], str],
) -> dict[str, MetricValue]:
    """Each metric's value with the percentile interval of its resampled ``draws``.

    ``points`` holds the metrics asked for (``None``: not defined on this
    window, ``undefined(metric)`` says why); a metric without draws has no
    interval; ``n`` is the rows it stands on.
    """
    out = {}
    for m, value in points.items():
        if value is None:
            out[m] = MetricValue(m, None, None, None, "undefined", undefined(m), n)
            continue
        lo, hi = (
            percentile_interval(np.concatenate(draws[m]), confidence) if draws[m] else (None, None)
        )
        out[m] = MetricValue(m, value, lo, hi, "ok", "", n)
    return out


def window_seed(seed: int, start: dt.datetime) -> np.random.Generator:
    """A generator for one window: the same window gets the same draws in any timeline."""
    # Microseconds since 1970 of the naive time itself: no local time zone gets involved.
    micros = (start - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)
    return np.random.default_rng([seed, micros & (2**63 - 1)])


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
