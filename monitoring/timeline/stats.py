"""Per-window univariate drift statistics for a timeline, from grouped counts.

The timeline compares many windows with one reference, so it works from
aggregates instead of raw values: :mod:`monitoring.timeline_counts` counts
every feature of a batch of windows in one DuckDB scan, the numeric ones on
shared bins (with per-bin sums), the categorical ones by value. The tests
then run in numpy and scipy on those counts:

- **numeric** — Kolmogorov–Smirnov on the binned CDFs. Every numeric feature is
  cut into ``bins`` (default 500) equal-width bins over the range of the
  reference and the whole timeline; ``D`` is the largest gap between the two
  empirical CDFs at a bin edge (never above the exact ``D``; it misses at most
  the mass of one bin, and is exact for discrete columns whose values fall on
  different bins), and the p-value is the asymptotic one (Kolmogorov's limiting
  distribution at ``(√n' + 0.12 + 0.11/√n')·D`` with ``n' = n·m/(n+m)``,
  Stephens' correction); exact p-values for every window cost seconds each.
  The effect size is the engine's normalised Wasserstein distance, computed
  from the same bins with their sums (:func:`monitoring.effects.abs_bin_integrals`).
- **categorical** — chi-squared on the 2×k table of category counts over the
  union of categories (what Alibi Detect's ``ChiSquareDrift`` computes, exactly),
  and the Jensen–Shannon distance as the effect size. Binary columns also get
  chi-squared here (the single-window engine uses Fisher's exact test).

Why binned: a timeline of 100 windows × 20 features would otherwise pull every
value of every window into Python; the grouped counts are a few thousand rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import special
from scipy.spatial import distance

from monitoring.drift.config import MIN_VALUES
from monitoring.drift.effects import STD_FLOOR, abs_bin_integrals
from monitoring.store.counts import Counts, NumericBins


@dataclass(frozen=True)
class CellStats:
    """One feature in one window: what the test said, before correction."""

    n: int
    statistic: float | None
    p_value: float | None
    effect: float | None
    why: str  # "" when tested; otherwise the status ("all_missing", "too_few", "constant")


def numeric_cells(
    spec: NumericBins, reference: tuple[np.ndarray, np.ndarray], current: Counts
) -> list[CellStats]:
    """Binned KS p-value and normalised Wasserstein of one numeric feature, per window."""
    ref_counts, ref_sums = reference[0][0], reference[1][0]
    counts, sums = current.numeric[spec.column]
    n_ref = int(ref_counts.sum())
    n_cur = counts.sum(axis=1)
    ref_cdf = np.cumsum(ref_counts) / max(n_ref, 1)
    cur_cdf = np.cumsum(counts, axis=1) / np.maximum(n_cur, 1)[:, None]
    d = np.abs(cur_cdf - ref_cdf[None, :]).max(axis=1)
    root = np.sqrt(n_ref * n_cur / np.maximum(n_ref + n_cur, 1))
    # Kolmogorov's limiting distribution with Stephens' small-sample correction.
    p = special.kolmogorov((root + 0.12 + 0.11 / np.maximum(root, 1e-12)) * d)
    with np.errstate(divide="ignore", invalid="ignore"):  # empty windows are not tested
        w1 = abs_bin_integrals(spec.width, ref_counts, ref_sums, counts, sums).sum(axis=1)
    occupied = (counts > 0).sum(axis=1)
    # A single occupied bin on both sides, the same bin: the feature is constant.
    constant = (
        (np.count_nonzero(ref_counts) == 1)
        & (occupied == 1)
        & (counts.argmax(axis=1) == ref_counts.argmax())
    )
    out = []
    for w in range(current.windows):
        n = int(n_cur[w])
        why = _untestable(n_ref, n) or ("constant" if constant[w] else "")
        if why:
            out.append(CellStats(n, None, None, None, why))
        else:
            out.append(
                CellStats(
                    n, float(d[w]), float(p[w]), w1[w] / max(spec.reference_std, STD_FLOOR), ""
                )
            )
    return out


def categorical_cells(
    column: str, reference: Mapping[str, int], current: Counts
) -> list[CellStats]:
    """Chi-squared p-value and Jensen–Shannon distance of one categorical feature, per window.

    Each window is tested on the categories of the reference and its own
    (categories unseen in the reference count as zero there).
    """
    windows = current.categorical[column]
    unseen = sorted({c for counts in windows for c in counts} - set(reference))
    categories = [*reference, *unseen]
    ref = np.array([*reference.values(), *[0] * len(unseen)], dtype=np.float64)
    cur = np.array(
        [[counts.get(c, 0) for c in categories] for counts in windows], dtype=np.float64
    ).reshape(len(windows), len(categories))
    with np.errstate(divide="ignore", invalid="ignore"):  # empty windows are not tested
        chi2, p = chi_squared(ref, cur)
        js = distance.jensenshannon(np.broadcast_to(ref, cur.shape), cur, axis=1)
    present = ((cur > 0) | (ref > 0)).sum(axis=1)
    n_ref = int(ref.sum())
    out = []
    for w in range(len(windows)):
        n = int(cur[w].sum())
        why = _untestable(n_ref, n) or ("constant" if present[w] < 2 else "")
        if why:
            out.append(CellStats(n, None, None, None, why))
        else:
            out.append(CellStats(n, float(chi2[w]), float(p[w]), max(float(js[w]), 0.0), ""))
    return out


def chi_squared(reference: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """χ² test of independence on each 2×k table of ``reference`` and one row of ``current``.

    ``current`` is ``W × k``; categories empty on both sides of a table are
    left out of it. The same numbers as ``scipy.stats.chi2_contingency`` with
    its defaults (Yates' continuity correction when k = 2), for every window
    at once.
    """
    observed = np.stack(np.broadcast_arrays(reference, current), axis=-2)  # W × 2 × k
    columns = observed.sum(axis=-2, keepdims=True)
    rows = observed.sum(axis=-1, keepdims=True)
    expected = rows * columns / rows.sum(axis=-2, keepdims=True)
    dof = (columns > 0).sum(axis=(-2, -1)) - 1
    shift = expected - observed
    yates = observed + np.sign(shift) * np.minimum(0.5, np.abs(shift))
    observed = np.where((dof == 1)[:, None, None], yates, observed)
    terms = np.where(columns > 0, (observed - expected) ** 2 / expected, 0.0)
    chi2 = terms.sum(axis=(-2, -1))
    return chi2, special.chdtrc(dof, chi2)


def _untestable(n_ref: int, n_cur: int) -> str:
    if n_cur == 0 or n_ref == 0:
        return "all_missing"
    if n_cur < MIN_VALUES or n_ref < MIN_VALUES:
        return "too_few"
    return ""
