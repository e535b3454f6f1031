"""Effect sizes next to every p-value, from DuckDB aggregates, plus the data a plot needs.

A p-value says whether a shift is real; an effect size says whether it is big.
Both are computed here from counts, never from rows pulled into pandas:

- **PSI** and **Jensen–Shannon distance** (both kinds). Numeric columns are cut
  on the reference's deciles (``quantile_cont``; tied edges merged), the two
  outer bins open-ended, and both windows counted on those bins in SQL.
  Categorical columns use their category counts over the union of categories.
  As in Evidently, a share of zero counts as ``1e-4`` in PSI;
  Jensen–Shannon is scipy's distance with natural logarithms (0 … √ln2 ≈ 0.83).
- **Normalised Wasserstein** (numeric): the Wasserstein-1 distance divided by
  the reference's population standard deviation (floored at 0.001), Evidently's
  convention. W1 = ∫|F − G| is computed from 2,000 equal-width bins over the
  union range of both windows, with each bin's count *and* sum of values: the
  integral of ``F − G`` over a bin is then exact, so the only error comes from
  bins in which the two CDFs cross, and the result never exceeds the true
  distance. Against ``scipy.stats.wasserstein_distance`` it agrees to within
  1 % (relative) or 1e-3 of a reference standard deviation, whichever is larger
  (``tests/unit/test_effects.py`` pins this).

The plot data are an equal-width histogram of both windows of up to 40 bins
(merged from the fine bins, over the range that holds all but the outer
:data:`PLOT_TAIL` of either window, so a few outliers cannot squash the rest
into a few bars; the values beyond it get one wide outer bin per side), the
decile bins used by PSI for numeric columns, and the category counts for
categorical ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
from scipy.spatial import distance

from monitoring.store import reads
from monitoring.store.reads import ColumnStats, Source
from monitoring.timeutil import Bounds

Counts = Sequence[float] | np.ndarray
PSI_EPSILON = 1e-4
STD_FLOOR = 0.001
DECILES: tuple[float, ...] = tuple(i / 10 for i in range(1, 10))
FINE_BINS = 2000
PLOT_BINS = 40
PLOT_TAIL = 0.005  # share of a window's values each side that may fall outside the plotted bins


@dataclass(frozen=True)
class EffectSizes:
    """How far apart two distributions are; ``None`` where it cannot be computed.

    ``wasserstein`` is in the column's own units, ``wasserstein_normed`` in
    reference standard deviations; both are ``None`` for categorical columns.
    """

    psi: float | None = None
    jensen_shannon: float | None = None
    wasserstein: float | None = None
    wasserstein_normed: float | None = None


@dataclass(frozen=True)
class Histogram:
    """Counts of both windows on shared bins ``[edges[i], edges[i+1]]``, ready to plot.

    Edges are finite and non-decreasing, and each window has ``len(edges) - 1``
    counts. For the PSI bins the outer edges are the lowest and highest value
    seen in either window (the bins themselves are open-ended).
    """

    edges: tuple[float, ...]
    reference: tuple[int, ...]
    current: tuple[int, ...]


@dataclass(frozen=True)
class CategoryCounts:
    """Counts of each category in both windows: reference categories first, by
    descending reference count, then categories seen only in the current window."""

    categories: tuple[str, ...]
    reference: tuple[int, ...]
    current: tuple[int, ...]


@dataclass(frozen=True)
class NumericEffects:
    """Effect sizes of a numeric column and its plot data."""

    sizes: EffectSizes
    histogram: Histogram
    bins: Histogram


def psi(reference: Counts, current: Counts) -> float:
    """Population stability index of two count (or share) vectors on the same bins."""
    ref, cur = _shares(reference), _shares(current)
    ref = np.where(ref == 0, PSI_EPSILON, ref)
    cur = np.where(cur == 0, PSI_EPSILON, cur)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def jensen_shannon(reference: Counts, current: Counts) -> float:
    """Jensen–Shannon distance (natural log) of two count vectors on the same bins."""
    value = distance.jensenshannon(_shares(reference), _shares(current))
    return float(max(value, 0.0))  # rounding can give a tiny negative radicand → nan/neg


def wasserstein_from_bins(
    width: float,
    ref_counts: np.ndarray,
    ref_sums: np.ndarray,
    cur_counts: np.ndarray,
    cur_sums: np.ndarray,
) -> float:
    """W1 from per-bin counts and sums of ``x - low`` on equal-width bins starting at ``low``.

    Over bin ``k``, ``∫F = F(a_k)·width + (n_k·(k+1)·width − s_k)/N`` exactly;
    summing ``|∫(F − G)|`` bin by bin is exact unless the CDFs cross inside a bin.
    """
    return float(abs_bin_integrals(width, ref_counts, ref_sums, cur_counts, cur_sums).sum())


def abs_bin_integrals(
    width: float,
    ref_counts: np.ndarray,
    ref_sums: np.ndarray,
    cur_counts: np.ndarray,
    cur_sums: np.ndarray,
) -> np.ndarray:
    """``|∫(F − G)|`` over each bin (see :func:`wasserstein_from_bins`).

    The current side may be a batch: ``W × bins`` arrays give ``W × bins``.
    """
    right = (np.arange(len(ref_counts)) + 1) * width
    return np.abs(
        _cdf_integrals(width, right, ref_counts, ref_sums)
        - _cdf_integrals(width, right, cur_counts, cur_sums)
    )


def numeric_effects(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    column: str,
    reference: Bounds,
    current: Bounds,
    ref_stats: ColumnStats,
    cur_stats: ColumnStats,
    current_source: Source | None = None,
) -> NumericEffects | None:
    """Effect sizes and plot data of a numeric column; ``None`` if a window has no values.

    ``current_source`` reads the current window from another source (an uploaded slice).
    """
    if not ref_stats.non_null or not cur_stats.non_null:
        return None
    assert ref_stats.minimum is not None and cur_stats.minimum is not None
    assert ref_stats.maximum is not None and cur_stats.maximum is not None
    low = min(ref_stats.minimum, cur_stats.minimum)
    high = max(ref_stats.maximum, cur_stats.maximum)
    std = max(ref_stats.std or 0.0, STD_FLOOR)
    if high <= low:  # one value in both windows
        same = Histogram((low, high), (ref_stats.non_null,), (cur_stats.non_null,))
        return NumericEffects(EffectSizes(0.0, 0.0, 0.0, 0.0), same, same)

    width = (high - low) / FINE_BINS
    edges = sorted(set(reads.quantiles(con, source, reference, column, DECILES)))
    ref = reads.binned(con, source, reference, column, low, width, FINE_BINS, edges)
    cur = reads.binned(con, current_source or source, current, column, low, width, FINE_BINS, edges)
    w1 = wasserstein_from_bins(
        width, ref.fine_counts, ref.fine_sums, cur.fine_counts, cur.fine_sums
    )
    ref_bins, cur_bins = ref.edge_counts, cur.edge_counts
    sizes = EffectSizes(
        psi=psi(ref_bins, cur_bins),
        jensen_shannon=jensen_shannon(ref_bins, cur_bins),
        wasserstein=float(w1),
        wasserstein_normed=float(w1 / std),
    )
    plot = plot_histogram(ref.fine_counts, cur.fine_counts, low, high)
    decile_bins = Histogram(
        (float(low), *(float(e) for e in edges), float(high)),
        tuple(int(v) for v in ref_bins),
        tuple(int(v) for v in cur_bins),
    )
    return NumericEffects(sizes, plot, decile_bins)


def plot_histogram(
    ref_fine: np.ndarray, cur_fine: np.ndarray, low: float, high: float
) -> Histogram:
    """Up to :data:`PLOT_BINS` equal-width bins from the fine counts over ``[low, high]``.

    The bins cover the fine bins between the :data:`PLOT_TAIL` and ``1 − PLOT_TAIL``
    quantiles of either window (whichever reaches further); values beyond that
    range fold into one outer bin per side, from ``low`` or to ``high``, which a
    figure tells apart by its width (wider than all the inner bins together). A
    side is only cut where its tail is wider than that range, and when the range
    covers more than half of ``[low, high]`` the bins span it all.
    """
    width = (high - low) / len(ref_fine)
    first, last = len(ref_fine), -1
    for fine in (ref_fine, cur_fine):
        total = fine.sum()
        if not total:
            continue
        cumulative = np.cumsum(fine) / total
        first = min(first, int(np.searchsorted(cumulative, PLOT_TAIL, side="right")))
        last = max(last, int(np.searchsorted(cumulative, 1 - PLOT_TAIL, side="left")))
    first, last = max(first, 0), min(max(last, first), len(ref_fine) - 1)
    inner = last - first + 1
    if inner * 2 > len(ref_fine):  # no outliers to speak of: the whole range
        first, last = 0, len(ref_fine) - 1
    # A side is cut only where its tail is longer than the bulk itself is wide.
    if first <= inner:
        first = 0
    if len(ref_fine) - 1 - last <= inner:
        last = len(ref_fine) - 1
    step = max(1, -(-(last - first + 1) // PLOT_BINS))
    stop = min(first + step * -(-(last - first + 1) // step), len(ref_fine))
    starts = list(range(first, stop, step))
    edges = [low + i * width for i in starts] + [low + stop * width]
    ref_counts = [int(ref_fine[i : i + step].sum()) for i in starts]
    cur_counts = [int(cur_fine[i : i + step].sum()) for i in starts]
    if first > 0:  # the low outliers, in one bin from the lowest value
        edges.insert(0, low)
        ref_counts.insert(0, int(ref_fine[:first].sum()))
        cur_counts.insert(0, int(cur_fine[:first].sum()))
    if stop < len(ref_fine):
        edges.append(high)
        ref_counts.append(int(ref_fine[stop:].sum()))
        cur_counts.append(int(cur_fine[stop:].sum()))
    edges[-1] = high  # exact, not low + FINE_BINS × width rounded
    return Histogram(tuple(float(e) for e in edges), tuple(ref_counts), tuple(cur_counts))


def categorical_effects(
    reference: Mapping[str, int], current: Mapping[str, int]
) -> tuple[EffectSizes, CategoryCounts] | None:
    """PSI and Jensen–Shannon over the union of categories; ``None`` if a window is empty.

    ``reference`` should list categories most frequent first (as
    :func:`monitoring.store.reads.category_counts` returns them); that order is kept.
    """
    if not sum(reference.values()) or not sum(current.values()):
        return None
    categories = list(reference) + sorted(set(current) - set(reference))
    ref = [reference.get(c, 0) for c in categories]
    cur = [current.get(c, 0) for c in categories]
    sizes = EffectSizes(psi=psi(ref, cur), jensen_shannon=jensen_shannon(ref, cur))
    return sizes, CategoryCounts(tuple(categories), tuple(ref), tuple(cur))


def _shares(counts: Counts) -> np.ndarray:
    values = np.asarray(counts, dtype=np.float64)
    return values / values.sum()


def _cdf_integrals(
    width: float, right: np.ndarray, counts: np.ndarray, sums: np.ndarray
) -> np.ndarray:
    """``∫ F`` over each bin, for the empirical CDF ``F`` given by per-bin counts and sums.

    Bins run along the last axis, so a ``W × bins`` batch gives one row per window.
    """
    total = counts.sum(axis=-1, keepdims=True)
    before = (np.cumsum(counts, axis=-1) - counts) / total
    return before * width + (counts * right - sums) / total
