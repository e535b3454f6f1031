"""Which feature first: drifted features ranked by how far beyond their thresholds they went,
and, where labels exist, by how their drift goes with the model's performance.

The correlation ranking follows NannyML's: over the judged windows that also
have a realized metric, Spearman's correlation between a feature's drift
statistic and how far the metric is from its reference value. A feature whose
drift rises when the metric moves is the first to look at; the p-value says
whether the correlation is more than chance (few windows make it weak).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from monitoring.performance.realized import PerformanceResult
from monitoring.timeline.report import Timeline

MIN_WINDOWS = 5  # fewest windows with both a statistic and a metric for a correlation


@dataclass(frozen=True)
class FeatureRank:
    """One feature's place: drifted windows, its largest excess, its link to performance.

    ``excess`` is the largest ratio of statistic to calibrated threshold over the
    judged windows; ``correlation`` and ``p_value`` are Spearman's, over
    ``windows`` windows, with ``metric``'s distance from its reference value
    (``None`` without labels or with fewer than :data:`MIN_WINDOWS` windows).
    """

    feature: str
    drifted_windows: int
    excess: float | None
    metric: str | None = None
    correlation: float | None = None
    p_value: float | None = None
    windows: int = 0


def rank_features(
    timeline: Timeline, performance: PerformanceResult | None = None, metric: str | None = None
) -> tuple[FeatureRank, ...]:
    """The timeline's features, most drifted first (drifted windows, then largest excess)."""
    values: dict[dt.datetime, float] = {}
    reference = None
    if performance is not None and metric is not None:
        values = {
            w.window.start: v
            for w in performance.windows
            if (v := w.metrics[metric].value) is not None
        }
        reference = performance.bands[metric].overall
    ranks = []
    for feature in timeline.features:
        cells = [(w.start, c) for w in timeline.tested_windows for c in w.cells
                 if c.feature == feature]  # fmt: skip
        drifted = sum(bool(c.drifted) for _, c in cells)
        excesses = [c.excess for _, c in cells if c.excess is not None]
        rank = FeatureRank(feature, drifted, max(excesses) if excesses else None)
        pairs = [(c.score, values[start]) for start, c in cells
                 if c.score is not None and start in values]  # fmt: skip
        if reference is not None and len(pairs) >= MIN_WINDOWS:
            drift = np.array([p[0] for p in pairs])
            change = np.abs(np.array([p[1] for p in pairs]) - reference)
            rho, p = stats.spearmanr(drift, change)
            if math.isfinite(rho):
                rank = FeatureRank(feature, drifted, rank.excess, metric, float(rho), float(p),
                                   len(pairs))  # fmt: skip
        ranks.append(rank)
    return tuple(sorted(ranks, key=lambda r: (-r.drifted_windows, -(r.excess or 0.0))))
