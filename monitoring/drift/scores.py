"""Drift statistics from counts on shared bins, for many windows at once.

Every function takes the current side as ``W × k`` counts (one row per
window) and the baseline as ``k`` counts or ``W × k`` (one baseline per
window), and returns one value per window. Counts, not values: a window's
counts and a baseline's are sums of smaller counts (days, hours), so
leave-one-out, seasonal and rolling baselines are additions and subtractions.

- :func:`ks_d`: the largest gap between the two empirical CDFs at a bin edge
  (the Kolmogorov–Smirnov ``D`` on the bins; never above the exact one, and
  below it by at most the larger share of one bin that holds more than one
  distinct value, see :mod:`monitoring.store.counts`);
- :func:`ks_p`: Kolmogorov's limiting distribution at ``(√n' + 0.12 +
  0.11/√n')·D`` with ``n' = n·m/(n+m)`` (Stephens' correction);
- :func:`chi_squared`: the χ² test of homogeneity on each 2 × k table,
  categories empty on both sides left out, Yates' correction when k = 2 —
  exactly ``scipy.stats.chi2_contingency``'s numbers;
- :func:`jensen_shannon`: the Jensen–Shannon distance with natural
  logarithms (0 … √ln 2), scipy's.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special
from scipy.spatial import distance

JS_MAX = math.sqrt(math.log(2))  # the largest Jensen–Shannon distance with natural logarithms


def _sides(current: np.ndarray, baseline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cur = np.atleast_2d(np.asarray(current, dtype=np.float64))
    return cur, np.broadcast_to(np.asarray(baseline, dtype=np.float64), cur.shape)


def ks_d(current: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """The binned KS ``D`` of each window against its baseline (``nan`` where a side is empty)."""
    cur, base = _sides(current, baseline)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.cumsum(cur, axis=1) / cur.sum(axis=1, keepdims=True)
        g = np.cumsum(base, axis=1) / base.sum(axis=1, keepdims=True)
    return np.abs(f - g).max(axis=1)


def effective_n(current: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """``n·m/(n+m)`` of each window and its baseline: the size the KS limit is taken at."""
    cur, base = _sides(current, baseline)
    n, m = cur.sum(axis=1), base.sum(axis=1)
    return n * m / np.maximum(n + m, 1)


def ks_p(d: np.ndarray, n_effective: np.ndarray) -> np.ndarray:
    """The asymptotic two-sided KS p-value of ``D`` at effective size ``n'``."""
    root = np.sqrt(n_effective)
    return special.kolmogorov((root + 0.12 + 0.11 / np.maximum(root, 1e-12)) * d)


def chi_squared(current: np.ndarray, baseline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """χ² statistic and p-value of each window's 2 × k table with its baseline."""
    cur, base = _sides(current, baseline)
    observed = np.stack([base, cur], axis=-2)  # W × 2 × k
    columns = observed.sum(axis=-2, keepdims=True)
    rows = observed.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = rows * columns / rows.sum(axis=-2, keepdims=True)
        dof = (columns > 0).sum(axis=(-2, -1)) - 1
        shift = expected - observed
        yates = observed + np.sign(shift) * np.minimum(0.5, np.abs(shift))
        observed = np.where((dof == 1)[:, None, None], yates, observed)
        terms = np.where(columns > 0, (observed - expected) ** 2 / expected, 0.0)
    chi2 = terms.sum(axis=(-2, -1))
    return chi2, special.chdtrc(np.maximum(dof, 1), chi2)


def jensen_shannon(current: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """Jensen–Shannon distance of each window's shares to its baseline's."""
    cur, base = _sides(current, baseline)
    with np.errstate(invalid="ignore", divide="ignore"):
        js = distance.jensenshannon(base, cur, axis=1)
    return np.maximum(js, 0.0)  # rounding can leave a tiny negative radicand


def wasserstein(
    widths: np.ndarray,
    current: tuple[np.ndarray, np.ndarray],
    baseline: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """W1 = ∫|F − G| from per-bin counts and sums of offsets, on bins of the given widths.

    ``current`` and ``baseline`` are ``(counts, offsets)``: per bin, how many
    values and the sum of their distances from the bin's finite edge (the left
    edge of an interior bin, the reference's minimum for the lower overflow bin
    and its maximum for the upper one). ``widths`` are the interior bins'
    widths (``k - 2`` of them). Over each bin ``∫(F − G)`` is exact, so the sum
    of its absolute values is exact unless the CDFs cross inside a bin, and
    never above the true distance.
    """
    cur_c, base_c = _sides(current[0], baseline[0])
    cur_s, base_s = _sides(current[1], baseline[1])
    return np.abs(
        _cdf_integrals(widths, cur_c, cur_s) - _cdf_integrals(widths, base_c, base_s)
    ).sum(axis=1)


def _cdf_integrals(widths: np.ndarray, counts: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per bin: ``∫F`` over interior bins and below the minimum, ``−∫(1−F)`` above the maximum."""
    total = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        before = (np.cumsum(counts, axis=1) - counts) / total
        out = np.empty_like(counts)
        inner = counts[:, 1:-1]
        out[:, 1:-1] = widths * before[:, 1:-1] + (inner * widths - offsets[:, 1:-1]) / total
        out[:, 0] = offsets[:, 0] / total[:, 0]
        out[:, -1] = -offsets[:, -1] / total[:, 0]
    return out
