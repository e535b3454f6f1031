"""Estimated (confidence-based) metrics of a binary window from its score cells, not its rows.

The estimate of :mod:`monitoring.performance.estimation` needs, per window,
the calibrated probability ``p`` of every scored row and whether the model
predicted positive. From the window's cells (prediction × fine score bin,
:mod:`monitoring.store.aggregates`) each cell's rows get the calibrated
probability of their mean score. The isotonic map is piecewise linear, so
that is the cells' exact mean probability wherever a cell lies inside one
linear piece; a cell that straddles a knot is off by less than the map's
rise across the cell's own score range (``p(max) − p(min)``), which
:func:`probability_error` sums into a bound on the expected counts. ROC AUC's
expectation counts the pairs inside one fine bin as ties, as the realized
binned AUC does.

Interval: labels are drawn as Bernoulli(``p``) per row. Per cell that is
Binomial(rows, ``p``); to keep the draws few the cells are merged into at
most :data:`~monitoring.performance.binned.COARSE_BINS` score groups of
about equal rows per prediction, each drawn as Binomial(rows, mean ``p``).
A binomial of the mean probability varies at least as much as the sum of
the rows' Bernoulli draws, so the interval errs on the wide side. The drawn
ROC AUC counts pairs inside a group as ties and is shifted by the gap between
the fine and the grouped expectation, as for realized intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from monitoring.performance.binned import COARSE_BINS, binned_auc
from monitoring.performance.metrics import MetricValue
from monitoring.performance.resampling import metric_values
from monitoring.store.aggregates import BinaryCells

# Upper bound on draws × groups held in memory at once.
_CHUNK_CELLS = 4_000_000


def probability_error(
    cells: BinaryCells, probabilities: Callable[[np.ndarray], np.ndarray]
) -> float:
    """Upper bound on |Σ p(score) − Σ rows · p(mean score)| over the scored cells."""
    scored = cells.b >= 0
    rise = probabilities(cells.score_max[scored]) - probabilities(cells.score_min[scored])
    return float((cells.n[scored] * np.abs(rise)).sum())


def estimate_cells(
    cells: BinaryCells,
    probabilities: Callable[[np.ndarray], np.ndarray],
    undefined: Callable[[str], str],
    *,
    metrics: Sequence[str],
    resamples: int,
    confidence: float,
    rng: np.random.Generator | None,
) -> dict[str, MetricValue]:
    """Estimated metrics of one window's scored rows (labelled or not), with intervals.

    ``probabilities`` is the calibration's map from score to P(positive);
    ``undefined(metric)`` says why a metric is not defined.
    """
    scored = cells.b >= 0
    b, n = cells.b[scored], cells.n[scored]
    d = (cells.d[scored] == 1).astype(np.float64)  # a row without a prediction is not positive
    n_rows = int(n.sum())
    if n_rows == 0:
        return {m: MetricValue(m, None, None, None, "empty", "no records") for m in metrics}
    p = probabilities(cells.score_sum[scored] / n)
    points = _expected(b, d, n, p, cells.bins)
    draws: dict[str, list[np.ndarray]] = {m: [] for m in metrics}
    if rng is not None and resamples > 0:
        groups = _groups(b, d, n, p, cells.bins)
        shift = (points["roc_auc"] or 0.0) - groups.expected_auc
        chunk = max(1, min(resamples, _CHUNK_CELLS // max(len(groups.n), 1)))
        for done in range(0, resamples, chunk):
            size = min(chunk, resamples - done)
            positives = rng.binomial(
                groups.n.astype(np.int64), groups.p, size=(size, len(groups.n))
            )
            for m, values in groups.simulated(positives.astype(np.float64), shift).items():
                if m in draws:
                    draws[m].append(values)
    return metric_values({m: points[m] for m in metrics}, draws, confidence, n_rows, undefined)


def _expected(
    b: np.ndarray, d: np.ndarray, n: np.ndarray, p: np.ndarray, bins: int
) -> dict[str, float | None]:
    """The expectations of :func:`~monitoring.performance.estimation.expected_metrics`."""
    tp, fp = float(n * p @ d), float(n * (1 - p) @ d)
    fn, tn = float(n * p @ (1 - d)), float(n * (1 - p) @ (1 - d))
    total = float(n.sum())
    out: dict[str, float | None] = {
        "accuracy": (tp + tn) / total if total else None,
        "precision": tp / (tp + fp) if tp + fp > 0 else None,
        "recall": tp / (tp + fn) if tp + fn > 0 else None,
        "f1": 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn > 0 else None,
    }
    positive = np.bincount(b, weights=n * p, minlength=bins)
    negative = np.bincount(b, weights=n * (1 - p), minlength=bins)
    self_pairs = float((n * p * (1 - p)).sum())
    pairs = float(positive.sum() * negative.sum()) - self_pairs
    if pairs > 1e-12:
        ratio, _ = binned_auc(positive, negative)
        # A row is never paired with itself; inside a bin it was counted as half a tie.
        out["roc_auc"] = float((ratio * (pairs + self_pairs) - 0.5 * self_pairs) / pairs)
    else:
        out["roc_auc"] = None
    return out


class _Groups:
    """Scored cells merged into (prediction, score group) groups with their mean probability."""

    def __init__(self, group: np.ndarray, d: np.ndarray, n: np.ndarray, p: np.ndarray) -> None:
        self.group, self.d, self.n, self.p = group, d, n, p
        # Cells are sorted by group: each group's columns are one contiguous run.
        self.starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        ratio, _ = binned_auc(self._by_group(n * p), self._by_group(n * (1 - p)))
        self.expected_auc = float(ratio)

    def _by_group(self, values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(values, self.starts, axis=-1)

    def simulated(self, positives: np.ndarray, auc_shift: float) -> dict[str, np.ndarray]:
        """Realized metrics under each drawn labelling ``(draws, groups)``."""
        negatives = self.n - positives
        tp, fp = positives @ self.d, negatives @ self.d
        fn, tn = positives @ (1 - self.d), negatives @ (1 - self.d)
        with np.errstate(divide="ignore", invalid="ignore"):
            auc, _ = binned_auc(self._by_group(positives), self._by_group(negatives))
            return {
                "accuracy": (tp + tn) / self.n.sum(),
                "precision": tp / (tp + fp),
                "recall": tp / (tp + fn),
                "f1": 2 * tp / (2 * tp + fp + fn),
                "roc_auc": auc + auc_shift,
            }


def _groups(b: np.ndarray, d: np.ndarray, n: np.ndarray, p: np.ndarray, bins: int) -> _Groups:
    fine = np.bincount(b, weights=n, minlength=bins)
    before = np.cumsum(fine) - fine
    group_of_bin = np.minimum((before / fine.sum() * COARSE_BINS).astype(np.int64), COARSE_BINS - 1)
    group = group_of_bin[b]
    key = group * 2 + d.astype(np.int64)
    keys, where = np.unique(key, return_inverse=True)
    rows = np.bincount(where, weights=n, minlength=len(keys))
    mass = np.bincount(where, weights=n * p, minlength=len(keys))
    return _Groups(keys // 2, (keys % 2).astype(np.float64), rows, np.clip(mass / rows, 0.0, 1.0))
