"""One feature in one window: its calibrated score, its test, its effect and its cell.

:mod:`monitoring.drift.judge` calls these on the binned counts of each
window and of its baseline (rows: windows, columns: bins or categories).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from monitoring.drift import scores
from monitoring.drift.config import MIN_VALUES
from monitoring.drift.sides import FeatureCounts
from monitoring.store.bins import NumericLayout


@dataclass(frozen=True)
class FeatureCell:
    """One feature in one window: its test, calibrated statistic, data quality and verdict.

    ``status`` is ``"tested"`` or why no test ran. ``score`` is the calibrated
    statistic (binned KS ``D`` for numeric features, Jensen–Shannon distance
    for categorical ones) and ``threshold`` its calibrated limit; ``excess`` is
    their ratio. ``statistic`` and ``p_value`` are the test's (KS, or
    chi-squared on value counts for discrete and categorical features);
    ``effect`` is the normalised Wasserstein or Jensen–Shannon distance, for
    reading. ``missing`` is the NULL share and ``novel`` the share of values
    the reference never holds (outside its range, or unseen categories), each
    with its usual limit; ``quality`` is whether either is beyond it.
    ``drifted`` and ``quality`` are ``None`` when untested.
    """

    feature: str
    kind: str
    status: str
    n: int
    missing: float | None
    statistic: float | None
    p_value: float | None
    effect: float | None
    drifted: bool | None
    score: float | None = None
    threshold: float | None = None
    excess: float | None = None
    missing_limit: float | None = None
    novel: float | None = None
    novel_limit: float | None = None
    quality: bool | None = None

    def beyond(self) -> tuple[str, ...]:
        """The data-quality signals beyond their usual limit: ``missing``, and ``unseen``
        (categories) or ``out_of_range`` (numeric values) for the novel share."""
        out = []
        if over(self.missing, self.missing_limit):
            out.append("missing")
        if over(self.novel, self.novel_limit):
            out.append("unseen" if self.kind == "categorical" else "out_of_range")
        return tuple(out)


def over(share: float | None, limit: float | None) -> bool:
    return share is not None and limit is not None and share > limit


def score(kind: str, current: np.ndarray, base: np.ndarray) -> np.ndarray:
    """The calibrated statistic: binned KS ``D``, or JS distance for categories."""
    if kind == "categorical":
        return scores.jensen_shannon(current, base)
    return scores.ks_d(current, base)


def test(
    kind: str, current: np.ndarray, base: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The test's statistic and p-value: KS for continuous values, chi-squared on counts else."""
    if kind == "numeric":
        return d, scores.ks_p(d, scores.effective_n(current, base))
    return scores.chi_squared(current, base)


def untestable(n_ref: float, n_cur: float, current: np.ndarray, base: np.ndarray) -> str:
    if n_cur == 0 or n_ref == 0:
        return "all_missing"
    if n_cur < MIN_VALUES or n_ref < MIN_VALUES:
        return "too_few"
    if not np.all(np.isfinite(base)):
        return "no_baseline"
    if np.count_nonzero((current > 0) | (base > 0)) < 2:
        return "constant"
    return ""


def effect(
    layout: NumericLayout | None,
    whole_reference: bool,
    kind: str,
    counts: FeatureCounts,
    base: np.ndarray,
    picked: Sequence[int],
    reference: FeatureCounts,
) -> np.ndarray:
    """Normalised Wasserstein distance (numeric) or JS distance (categorical), for reading."""
    if kind == "categorical":
        return scores.jensen_shannon(counts.counts[picked], base)
    assert layout is not None  # a numeric feature always has its bins
    assert counts.sums is not None and reference.sums is not None
    cur = (counts.counts[picked], layout.offsets(counts.counts[picked], counts.sums[picked]))
    ref_counts, ref_sums = reference.total()
    assert ref_sums is not None
    if not whole_reference:  # the base's sums: the reference's per-bin means
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(ref_counts > 0, ref_sums / ref_counts, 0.0)
        base_pair = (base, layout.offsets(base, base * means))
    else:
        base_pair = (ref_counts, layout.offsets(ref_counts, ref_sums))
    w1 = scores.wasserstein(layout.widths, cur, base_pair)
    return w1 / max(layout.reference_std, 1e-3)


def with_verdict(cell: FeatureCell, drifted: bool) -> FeatureCell:
    return replace(cell, drifted=drifted)


def finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
