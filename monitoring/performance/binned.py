"""A classifier window's metrics and bootstrap intervals from its cell counts, not its rows.

A window's labelled rows arrive as counts per cell (label, prediction and,
with a score, a fine score bin: :mod:`monitoring.store.aggregates`). Every
count metric — accuracy, precision, recall, F1 — is a function of the
confusion counts, so its value is exact. Log loss and Brier score are sums
over rows, which the cells carry, so their values are exact too. ROC AUC is
computed on the fine bins with the rows of one bin counted as ties; it is
off the exact value by at most half the share of (positive, negative) pairs
that fall in the same bin (:func:`binned_auc` returns that bound, and the
tests hold it against scikit-learn).

Bootstrap: Poisson weights. Each row of the window gets a Poisson(1)
multiplicity instead of a multinomial one (the resample's size varies around
n, which ratio metrics do not mind, and the intervals agree with the row
bootstrap's up to Monte-Carlo noise: a test holds them together); the rows of
a cell of m rows then sum to one Poisson(m) draw, so a resample costs one draw
per cell instead of one per row, and the resampled count metrics are
distributed exactly as under the row-level Poisson bootstrap. To keep the
draws few, the scored cells are first merged into at most
:data:`COARSE_BINS` groups of consecutive fine bins holding about equal
numbers of rows; the resampled log loss and Brier score use each group's
mean, and the resampled ROC AUC the groups as ties, shifted by the
difference between the fine and the grouped AUC of the window itself (so
the interval sits around the value it qualifies). All metrics of a resample
come from the same draw, as in :mod:`monitoring.performance.resampling`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from monitoring.performance.metrics import MetricValue, Sample, metric_info
from monitoring.performance.resampling import percentile_interval, resampled_metrics
from monitoring.store.aggregates import BinaryCells, ClassCells

COARSE_BINS = 32
COUNT_METRICS = ("accuracy", "precision", "recall", "f1")
SCORE_METRICS = ("roc_auc", "log_loss", "brier")
# Upper bound on resamples × cells drawn at once.
_CHUNK_CELLS = 4_000_000


def binned_auc(positives: np.ndarray, negatives: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ROC AUC of rows counted per ordered score bin, rows of one bin counting as ties.

    Parameters
    ----------
    positives, negatives
        ``(..., bins)`` counts (or weights) of positive and negative rows per
        bin, bins in increasing score order.

    Returns
    -------
    tuple
        The AUC and its error bound along the last axis: the exact AUC of
        the rows lies within ``bound`` of it, ``bound`` being half the share of
        (positive, negative) pairs in the same bin (a pair inside a bin is
        counted ½ where the exact AUC counts 0, ½ or 1). ``nan`` where either
        class is absent.
    """
    below = np.cumsum(negatives, axis=-1) - negatives
    pairs = positives.sum(axis=-1) * negatives.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (positives * (below + 0.5 * negatives)).sum(axis=-1) / pairs
        bound = 0.5 * (positives * negatives).sum(axis=-1) / pairs
    return auc, bound


def poisson_counts(
    counts: np.ndarray, resamples: int, rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """Poisson-bootstrap resamples of rows given as cell ``counts``: ``(chunk, cells)`` floats."""
    chunk = max(1, min(resamples, _CHUNK_CELLS // max(len(counts), 1)))
    done = 0
    while done < resamples:
        b = min(chunk, resamples - done)
        yield rng.poisson(counts, size=(b, len(counts))).astype(np.float64)
        done += b


def binary_window_metrics(
    cells: BinaryCells,
    metrics: Sequence[str],
    *,
    has_scores: bool,
    resamples: int,
    confidence: float,
    rng: np.random.Generator | None,
    min_labelled: int,
) -> dict[str, MetricValue]:
    """Every metric of one binary window's cells, with bootstrap intervals.

    The same statuses and reasons as
    :func:`~monitoring.performance.resampling.window_metrics` on the rows.
    """
    cells = cells.select((cells.y >= 0) & (cells.d >= 0))
    n = int(cells.n.sum())
    if n == 0:
        return {m: MetricValue(m, None, None, None, "pending", "no labels yet") for m in metrics}
    if n < min_labelled:
        reason = f"only {n} labelled row(s); at least {min_labelled} needed"
        return {m: MetricValue(m, None, None, None, "too_few", reason, n) for m in metrics}
    groups = _Groups.of(cells)
    points = groups.points(metrics, has_scores)
    defined = [m for m in metrics if points[m][0] is not None]
    intervals: dict[str, tuple[float | None, float | None]] = {}
    if defined and resamples > 0 and rng is not None:
        draws = [groups.resampled(c, defined) for c in poisson_counts(groups.n, resamples, rng)]
        for m in defined:
            values = np.concatenate([d[m] for d in draws])
            if m == "roc_auc":  # centre the grouped AUC's spread on the fine value
                values = values + (points[m][0] or 0.0) - groups.grouped_auc
            intervals[m] = percentile_interval(values, confidence)
    return _values(metrics, points, intervals, n)


def class_window_metrics(
    cells: ClassCells,
    metrics: Sequence[str],
    *,
    resamples: int,
    confidence: float,
    rng: np.random.Generator | None,
    min_labelled: int,
) -> dict[str, MetricValue]:
    """Every metric of one multiclass window's (target, prediction) counts, with intervals."""
    n = int(cells.n.sum())
    if n == 0:
        return {m: MetricValue(m, None, None, None, "pending", "no labels yet") for m in metrics}
    if n < min_labelled:
        reason = f"only {n} labelled row(s); at least {min_labelled} needed"
        return {m: MetricValue(m, None, None, None, "too_few", reason, n) for m in metrics}
    classes = tuple(sorted(set(cells.target) | set(cells.prediction)))
    index = {c: i for i, c in enumerate(classes)}
    # One "row" per cell: resampled_metrics takes multiplicities, and a cell's count is one.
    sample = Sample(
        "multiclass",
        np.array([index[c] for c in cells.target], dtype=np.int64),
        np.array([index[c] for c in cells.prediction], dtype=np.int64),
        None,
        classes,
    )
    values = resampled_metrics(sample, cells.n[None, :], metrics)
    points = {m: _finite(values[m][0]) for m in metrics}
    defined = [m for m in metrics if points[m][0] is not None]
    intervals: dict[str, tuple[float | None, float | None]] = {}
    if defined and resamples > 0 and rng is not None:
        draws = [
            resampled_metrics(sample, c, defined) for c in poisson_counts(cells.n, resamples, rng)
        ]
        for m in defined:
            intervals[m] = percentile_interval(np.concatenate([d[m] for d in draws]), confidence)
    return _values(metrics, points, intervals, n)


class _Groups:
    """One binary window's labelled cells merged into resampling groups.

    A group is (label, prediction, coarse score bin); rows without a score
    form their own coarse bin ``-1``. ``fine_pos``/``fine_neg`` keep the
    fine-bin counts of scored rows for the exact-as-can-be point values.
    """

    def __init__(
        self,
        y: np.ndarray,
        d: np.ndarray,
        coarse: np.ndarray,
        n: np.ndarray,
        loss: np.ndarray,
        squared: np.ndarray,
        fine_pos: np.ndarray,
        fine_neg: np.ndarray,
        scored_loss: float,
        scored_squared: float,
    ) -> None:
        self.y, self.d, self.coarse, self.n = y, d, coarse, n
        self.loss, self.squared = loss, squared
        self.fine_pos, self.fine_neg = fine_pos, fine_neg
        self.scored_loss, self.scored_squared = scored_loss, scored_squared
        self.scored = coarse >= 0
        bins = int(coarse.max()) + 1 if len(coarse) else 0
        self.bins = bins
        onehot = np.zeros((len(coarse), max(bins, 1)))
        onehot[np.flatnonzero(self.scored), coarse[self.scored]] = 1.0
        self.pos_groups = onehot * ((y == 1) & self.scored)[:, None]
        self.neg_groups = onehot * ((y == 0) & self.scored)[:, None]
        self.to_confusion = np.zeros((len(coarse), 4))
        self.to_confusion[np.arange(len(coarse)), 2 * y + d] = 1.0
        grouped, _ = binned_auc(n @ self.pos_groups, n @ self.neg_groups)
        self.grouped_auc = float(grouped)

    @classmethod
    def of(cls, cells: BinaryCells) -> _Groups:
        scored = cells.b >= 0
        # Fine bins in score order, then cut into groups of about equal rows.
        fine = np.bincount(cells.b[scored], weights=cells.n[scored], minlength=cells.bins)
        fine_pos = np.bincount(
            cells.b[scored], weights=cells.n[scored] * (cells.y[scored] == 1), minlength=cells.bins
        )
        total = fine.sum()
        before = np.cumsum(fine) - fine
        group_of_bin = (
            np.minimum((before / total * COARSE_BINS).astype(np.int64), COARSE_BINS - 1)
            if total > 0
            else np.zeros(cells.bins, np.int64)
        )
        coarse = np.where(scored, group_of_bin[np.maximum(cells.b, 0)], -1)
        key = (cells.y.astype(np.int64) * 2 + cells.d) * (COARSE_BINS + 1) + coarse + 1
        keys, where = np.unique(key, return_inverse=True)

        def add(values: np.ndarray) -> np.ndarray:
            return np.bincount(where, weights=values, minlength=len(keys))

        loss = np.where(scored, cells.loss, 0.0)
        squared = np.where(scored, cells.squared, 0.0)
        return cls(
            (keys // (COARSE_BINS + 1)) // 2,
            (keys // (COARSE_BINS + 1)) % 2,
            keys % (COARSE_BINS + 1) - 1,
            add(cells.n),
            add(loss),
            add(squared),
            fine_pos,
            fine - fine_pos,
            float(loss.sum()),
            float(squared.sum()),
        )

    def points(
        self, metrics: Sequence[str], has_scores: bool
    ) -> dict[str, tuple[float | None, str]]:
        """Each metric's value on the window itself, or ``None`` and why not."""
        counts = self.n @ self.to_confusion
        _, fp, fn, tp = counts
        values = _count_metrics(counts[None, :])
        scored = float(self.n[self.scored].sum())
        positives, predicted = fn + tp, fp + tp
        scored_positives = float(self.fine_pos.sum())
        out: dict[str, tuple[float | None, str]] = {}
        for m in metrics:
            reason = ""
            if metric_info(m).needs_scores and not has_scores:
                reason = "the model has no score column"
            elif metric_info(m).needs_scores and scored == 0:
                reason = "no labelled row has a score"
            elif m == "roc_auc" and scored_positives in (0, scored):
                reason = "only one class among the labelled rows"
            elif m == "precision" and predicted == 0:
                reason = "no positive predictions"
            elif m == "recall" and positives == 0:
                reason = "no positive labels"
            elif m == "f1" and positives == 0 and predicted == 0:
                reason = "no positive labels or predictions"
            if reason:
                out[m] = (None, reason)
            elif m in COUNT_METRICS:
                out[m] = _finite(values[m][0])
            elif m == "roc_auc":
                auc, _ = binned_auc(self.fine_pos, self.fine_neg)
                out[m] = _finite(float(auc))
            elif m == "log_loss":
                out[m] = _finite(self.scored_loss / scored)
            else:
                out[m] = _finite(self.scored_squared / scored)
        return out

    def resampled(self, counts: np.ndarray, metrics: Sequence[str]) -> dict[str, np.ndarray]:
        """Each metric on each resample given as ``(resamples, groups)`` counts."""
        out: dict[str, np.ndarray] = {}
        counted = [m for m in metrics if m in COUNT_METRICS]
        if counted:
            out |= _count_metrics(counts @ self.to_confusion)
        with np.errstate(divide="ignore", invalid="ignore"):
            scored = counts @ self.scored.astype(np.float64)
            mean_loss = np.where(self.n > 0, self.loss / np.maximum(self.n, 1), 0.0)
            mean_squared = np.where(self.n > 0, self.squared / np.maximum(self.n, 1), 0.0)
            if "log_loss" in metrics:
                out["log_loss"] = counts @ mean_loss / scored
            if "brier" in metrics:
                out["brier"] = counts @ mean_squared / scored
        if "roc_auc" in metrics:
            out["roc_auc"], _ = binned_auc(counts @ self.pos_groups, counts @ self.neg_groups)
        return out


def _count_metrics(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy, precision, recall and F1 of ``(resamples, 4)`` counts (tn, fp, fn, tp):
    the formulas of :func:`~monitoring.performance.resampling.resampled_metrics`."""
    tn, fp, fn, tp = confusion.T
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "accuracy": (tp + tn) / confusion.sum(axis=1),
            "precision": tp / (tp + fp),
            "recall": tp / (tp + fn),
            "f1": 2 * tp / (2 * tp + fp + fn),
        }


def _finite(value: float) -> tuple[float | None, str]:
    value = float(value)
    return (value, "") if np.isfinite(value) else (None, "not defined on these rows")


def _values(
    metrics: Sequence[str],
    points: dict[str, tuple[float | None, str]],
    intervals: dict[str, tuple[float | None, float | None]],
    n: int,
) -> dict[str, MetricValue]:
    out = {}
    for m in metrics:
        value, reason = points[m]
        if value is None:
            out[m] = MetricValue(m, None, None, None, "undefined", reason, n)
        else:
            lo, hi = intervals.get(m, (None, None))
            out[m] = MetricValue(m, value, lo, hi, "ok", "", n)
    return out
