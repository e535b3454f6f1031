"""Thresholds calibrated on the reference's own variability: what "beyond usual" means.

A drift statistic of a window (the binned KS ``D`` of a numeric feature, the
Jensen–Shannon distance of a categorical one) is compared with a threshold
derived from the same statistic on *calibration windows*: windows of the same
shape cut from the reference, each compared with the reference without it
(leave-one-out). With thousands of rows every p-value is tiny, so a fixed
"p < α and effect ≥ 0.1" flags the normal wobble of a long reference; a
calibrated threshold flags only what lies beyond that wobble.

**The rule** (per feature ``f``, from the statistics ``s₁ … s_N`` of the
calibration windows, ``k`` features tested per window, ``α = 0.05``):

1. ``x = logit(s / b)``, ``b`` the statistic's largest value (1 for ``D``,
   √ln 2 for JS): statistics near their ceiling stay below it. For the
   statistics of categories and of numeric columns with few distinct values
   (a binary flag, a small code) ``x = √(s / b)`` instead: under no change
   such a statistic is close to a half-normal (``D = |p̂ − p|`` for a flag),
   whose logarithm has a long lower tail that would inflate ``u`` and put
   the threshold at 6–12 times the median statistic where 4 is right; its
   square root is nearly symmetric.
2. ``m = median(x)``; ``u = max(1.4826·MAD(x), 1.4826·median(x − m | x > m))``,
   a robust spread that also sees a right-skewed upper half (rain days among
   dry ones). One outlier window moves neither.
3. ``z = Φ⁻¹(1 − α/k)``, inflated for estimating ``m`` and ``u`` from N values
   (the t prediction-interval factor ``c_N``).
4. The multiplier ``c_f = z·c_N · max(1, q_f / Φ⁻¹(0.95))``, at most
   ``2·z·c_N``: ``q_f`` is the conformal 95 % order statistic (rank
   ``⌈0.95·(N+1)⌉``) of the feature's standardised ``(x − m_f) / u_f``, so a
   feature whose own upper tail is heavier than a normal's gets a wider
   limit, and the others keep theirs; with fewer than 19 windows,
   ``c_f = z·c_N``.
5. ``T_f = b · expit(m_f + c_f·u_f)`` (``b · (m_f + c_f·u_f)²`` on the
   square-root scale, at most ``b``).

A feature drifts when its statistic exceeds ``T_f`` *and* its p-value is
below ``α/k``; a window drifts when any feature does (or the configured
share). The floor is a Bonferroni level per feature, so the union bound
keeps a window's false-alarm rate at most α; the tail factor follows a
feature's own heavier tail (a multiplier shared by the family let one
feature's odd holiday week lift every threshold: on the demo, weekly ``temp``
then needed ``D`` above 0.998, total separation, to drift); the upper clip
stops one odd reference month from lifting a threshold without end. Measured on synthetic streams
with known truth and on the demo: ``bench/bench_detection.py``.

**Data quality** uses the same windows: a share (missing values, categories
the reference never saw, values outside its range) is beyond usual when it
exceeds both the binomial upper quantile at the reference's own rate and
``median + z·c_N·MAD`` of the calibration windows' shares; row volume when
``|log rows − median|`` exceeds ``z·c_N·MAD`` of the windows' log rows.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

ALPHA = 0.05
MIN_WINDOWS = 20  # fewest reference windows of the shape before resampled blocks are used
CONFORMAL_MIN = 19  # fewest windows for which the conformal 95 % rank exists
MAD_SCALE = 1.4826
_FLOOR = 1e-6


@dataclass(frozen=True)
class ScoreLimit:
    """One feature's calibrated threshold on its drift statistic.

    ``center`` and ``spread`` are ``m`` and ``u`` on the ``scale`` (``"logit"``
    or ``"sqrt"``, see the module); ``ceiling`` is the statistic's largest
    value. ``threshold`` is ``None`` when the calibration windows held too few
    usable values for this feature.
    """

    threshold: float | None
    center: float
    spread: float
    ceiling: float
    windows: int
    scale: str = "logit"
    multiplier: float = math.nan

    def excess(self, score: float | None) -> float | None:
        """How far beyond its threshold a statistic is, as a ratio (``> 1``: beyond)."""
        if score is None or self.threshold is None or not math.isfinite(score):
            return None
        return score / self.threshold if self.threshold > 0 else math.inf


@dataclass(frozen=True)
class ShareLimit:
    """The usual share of something (missing values, unseen categories …) in a window.

    ``rate`` is the reference's own share; ``median``/``mad`` describe the
    calibration windows' shares; ``z`` is the per-signal quantile.
    """

    rate: float
    median: float
    mad: float
    z: float
    level: float

    def limit(self, n: float) -> float:
        """The largest usual share in a window of ``n`` values."""
        return float(self.limits(np.array([n]))[0])

    def limits(self, n: np.ndarray) -> np.ndarray:
        """:meth:`limit` of each window size in ``n``, in one call (a SciPy distribution
        call costs about 0.3 ms whatever its size: a timeline makes thousands)."""
        count = np.maximum(np.trunc(np.asarray(n, dtype=np.float64)), 1.0)
        binomial = stats.binom.ppf(self.level, count, min(max(self.rate, 1e-12), 1.0)) / count
        return np.maximum(binomial, self.median + self.z * self.mad)


@dataclass(frozen=True)
class VolumeBand:
    """The usual row count of a window: ``exp(median ± z·MAD)`` of log rows."""

    median: float
    mad: float
    z: float

    @property
    def low(self) -> float:
        return math.exp(self.median - self.z * self.mad)

    @property
    def high(self) -> float:
        return math.exp(self.median + self.z * self.mad)

    def beyond(self, rows: float) -> bool:
        return not self.low <= rows <= self.high


def inflation(n: int, quantile: float) -> float:
    """``c_N``: how much wider a normal quantile gets when median and MAD come from n values."""
    if n < 2:
        return math.inf
    return float(stats.t.ppf(quantile, n - 1) / stats.norm.ppf(quantile) * math.sqrt(1 + 1 / n))


def robust(values: np.ndarray) -> tuple[float, float]:
    """Median and scaled MAD of the finite values."""
    x = values[np.isfinite(values)]
    med = float(np.median(x))
    return med, MAD_SCALE * float(np.median(np.abs(x - med)))


def score_limits(
    statistics: Mapping[str, np.ndarray],
    ceilings: Mapping[str, float],
    k: int,
    tied: Collection[str] = (),
) -> tuple[dict[str, ScoreLimit], float]:
    """Each feature's :class:`ScoreLimit` from its calibration windows' statistics, and the
    largest of their multipliers ``c_f``.

    ``statistics[f]`` holds one value per calibration window (``nan`` where the
    feature could not be measured); all arrays have the same windows. ``k`` is
    the number of features a window tests. Features in ``tied`` (categorical,
    or numeric with few distinct values) are calibrated on the square-root scale.
    """
    level = 1 - ALPHA / max(k, 1)
    z = float(stats.norm.ppf(level))
    centred: dict[str, tuple[np.ndarray, float, float]] = {}
    for feature, values in statistics.items():
        x = _transform(values, ceilings[feature], feature in tied)
        usable = np.isfinite(x)
        if usable.sum() < 3:
            continue
        med, mad = robust(x)
        above = x[usable & (x > med)] - med
        upper = MAD_SCALE * float(np.median(above)) if len(above) else 0.0
        spread = max(mad, upper, 1e-6)
        centred[feature] = (x, med, spread)
    # Windows no feature could be measured in (a rolling baseline's first ones) say nothing of
    # the spread: the small-sample widening counts only windows with a value.
    measured = [np.isfinite(x) for x, _, _ in centred.values()]
    n = int(np.logical_or.reduce(measured).sum()) if measured else 0
    floor = z * inflation(max(n, 2), level)
    multipliers = {f: _multiplier(x, m, u, floor) for f, (x, m, u) in centred.items()}
    multiplier = max(multipliers.values(), default=floor)
    limits = {}
    for feature in statistics:
        ceiling = ceilings[feature]
        if feature not in centred:
            limits[feature] = ScoreLimit(None, math.nan, math.nan, ceiling, 0)
            continue
        x, med, spread = centred[feature]
        top = med + multipliers[feature] * spread
        sqrt = feature in tied
        threshold = (
            ceiling * min(max(top, 0.0), 1.0) ** 2 if sqrt else ceiling / (1 + math.exp(-top))
        )
        limits[feature] = ScoreLimit(threshold, med, spread, ceiling, int(np.isfinite(x).sum()),
                                     "sqrt" if sqrt else "logit", multipliers[feature])  # fmt: skip
    return limits, multiplier


def _multiplier(x: np.ndarray, center: float, spread: float, floor: float) -> float:
    """``c_f``: the floor, widened by how much heavier than a normal the feature's own upper
    tail is at 95 % (its conformal 95 % standardised value over Φ⁻¹(0.95)), at most twice."""
    standardised = np.sort((x[np.isfinite(x)] - center) / spread)
    rank = math.ceil((1 - ALPHA) * (len(standardised) + 1))
    if len(standardised) < CONFORMAL_MIN or rank > len(standardised):
        return floor
    heavier = max(1.0, float(standardised[rank - 1]) / float(stats.norm.ppf(1 - ALPHA)))
    return float(min(floor * heavier, 2 * floor))


def share_limit(shares: np.ndarray, rate: float, signals: int) -> ShareLimit:
    """The :class:`ShareLimit` of one signal from its calibration windows' shares."""
    level = 1 - ALPHA / max(signals, 1)
    finite = shares[np.isfinite(shares)]
    z = float(stats.norm.ppf(level)) * inflation(max(len(finite), 2), level)
    med, mad = robust(finite) if len(finite) else (rate, 0.0)
    return ShareLimit(rate, med, mad, z, level)


def volume_band(rows: Sequence[float] | np.ndarray, signals: int) -> VolumeBand | None:
    """The usual row count from the calibration windows' row counts (``None``: too few)."""
    values = np.log(np.maximum(np.asarray(rows, dtype=np.float64), 1.0))
    if len(values) < 3:
        return None
    level = 1 - ALPHA / (2 * max(signals, 1))
    med, mad = robust(values)
    z = float(stats.norm.ppf(level)) * inflation(len(values), level)
    return VolumeBand(med, max(mad, 1e-3), z)


def _transform(values: np.ndarray, ceiling: float, tied: bool) -> np.ndarray:
    share = np.clip(np.asarray(values, dtype=np.float64) / ceiling, _FLOOR, 1 - 1e-9)
    if tied:
        return np.sqrt(share)
    with np.errstate(invalid="ignore"):
        return np.log(share / (1 - share))
