"""Calibrated "usual range" limits: honest false-alarm rates on stable data, the documented rule."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

from monitoring.drift import calibration, scores
from monitoring.drift.calibration import (
    CONFORMAL_MIN,
    MAD_SCALE,
    ScoreLimit,
    ShareLimit,
    inflation,
    score_limits,
    share_limit,
    volume_band,
)

EDGES = np.linspace(-4.0, 4.0, 41)  # 40 bins and the two overflow bins


def binned(samples: np.ndarray) -> np.ndarray:
    """``W × n`` samples as ``W × 42`` bin counts."""
    bins = np.digitize(samples, EDGES)
    offsets = np.arange(len(samples))[:, None] * (len(EDGES) + 1)
    flat = np.bincount((bins + offsets).ravel(), minlength=len(samples) * (len(EDGES) + 1))
    return flat.reshape(len(samples), len(EDGES) + 1).astype(np.float64)


def ks_windows(
    rng: np.random.Generator, windows: int, base: np.ndarray, shift: float = 0.0
) -> np.ndarray:
    """The binned KS ``D`` of fresh 150-row windows of ``N(shift, 1)`` against ``base``."""
    return scores.ks_d(binned(rng.normal(shift, 1.0, (windows, 150))), base)


def logit_normal(rng: np.random.Generator, n: int, center: float, sigma: float) -> np.ndarray:
    return special.expit(center + sigma * rng.standard_normal(n))


def floor(n: int, k: int) -> float:
    """``z·c_N`` computed from the module's formula with scipy."""
    level = 1 - calibration.ALPHA / k
    return float(stats.norm.ppf(level)) * inflation(n, level)


# --------------------------------------------------------------------------- score limits


def test_a_binary_flag_is_calibrated_on_the_square_root_scale() -> None:
    # D of a 0/1 flag is |p̂ − p|: half-normal around 0. On the logit scale its long lower tail
    # inflated the spread and put the limit near 6–12 times the median statistic.
    rng = np.random.default_rng(5)
    n, p, windows, k = 400, 0.2, 182, 5
    sd = math.sqrt(p * (1 - p) / n)
    flags = {f"flag{i}": np.abs(rng.binomial(n, p, windows) / n - p) for i in range(k)}
    limits, _ = score_limits(flags, dict.fromkeys(flags, 1.0), k, tied=set(flags))
    for feature in flags:
        limit = limits[feature]
        assert limit.scale == "sqrt" and limit.threshold is not None
        # Bonferroni over 5 features: |Z| beyond 2.58 σ by chance 1 % of the time.
        assert 2.0 * sd < limit.threshold < 4.0 * sd
    logit, _ = score_limits(flags, dict.fromkeys(flags, 1.0), k)
    wide = [logit[f].threshold / limits[f].threshold for f in flags]  # what the logit scale gave
    assert np.median(wide) > 1.4 and max(wide) > 2
    # A rate of 0.28 instead of 0.2 (4 noise SDs) is beyond the limit most of the time.
    moved = np.abs(rng.binomial(n, 0.28, 1000) / n - p)
    assert (moved > limits["flag0"].threshold).mean() > 0.6


def test_stable_windows_pass_the_limits_and_a_shifted_window_does_not() -> None:
    rng = np.random.default_rng(11)
    k = 4
    bases = [binned(rng.normal(0.0, 1.0, (1, 3000)))[0] for _ in range(k)]
    reference = {f"f{i}": ks_windows(rng, 200, bases[i]) for i in range(k)}
    limits, multiplier = score_limits(reference, dict.fromkeys(reference, 1.0), k)
    thresholds = np.array([limits[f"f{i}"].threshold for i in range(k)])
    fresh = np.stack([ks_windows(rng, 1000, bases[i]) for i in range(k)], axis=1)
    family_wise = (fresh > thresholds).any(axis=1).mean()
    # At most α = 5 % of windows with any feature beyond (1000 windows: ±0.7 % sampling error),
    # but not a limit so wide that nothing ever crosses it.
    assert 0.005 <= family_wise <= 0.07
    assert floor(200, k) <= multiplier <= 2 * floor(200, k)
    shifted = ks_windows(rng, 50, bases[0], shift=0.6)
    assert (shifted > thresholds[0]).all()
    assert all(limits[f].windows == 200 for f in reference)


def test_the_threshold_is_the_documented_rule_on_the_logit_scale() -> None:
    rng = np.random.default_rng(12)
    ceilings = {"numeric": 1.0, "categorical": scores.JS_MAX}
    statistics = {
        "numeric": logit_normal(rng, 60, -2.5, 0.3),
        "categorical": scores.JS_MAX * logit_normal(rng, 60, -1.0, 0.5),
    }
    statistics["numeric"][[3, 17]] = np.nan  # windows where the feature was not measured
    limits, multiplier = score_limits(statistics, ceilings, 2)
    multipliers = []
    for feature, values in statistics.items():
        x = special.logit(values / ceilings[feature])
        x = x[np.isfinite(x)]
        m = np.median(x)
        mad = MAD_SCALE * np.median(np.abs(x - m))
        upper = MAD_SCALE * np.median(x[x > m] - m)
        u = max(mad, upper)
        limit = limits[feature]
        assert limit.center == pytest.approx(m, rel=1e-12)
        assert limit.spread == pytest.approx(u, rel=1e-12)
        assert limit.ceiling == ceilings[feature]
        assert limit.windows == len(x)
        # The multiplier: the floor z·c_N, widened by the conformal 95 % order statistic of the
        # feature's own standardised scores over Φ⁻¹(0.95), at most twice the floor.
        own = np.sort((x - m) / u)
        q = own[math.ceil(0.95 * (len(own) + 1)) - 1]
        c = min(floor(60, 2) * max(1.0, q / stats.norm.ppf(0.95)), 2 * floor(60, 2))
        assert limit.multiplier == pytest.approx(c, rel=1e-12)
        assert limit.threshold == pytest.approx(ceilings[feature] * special.expit(m + c * u))
        multipliers.append(c)
    assert multiplier == pytest.approx(max(multipliers), rel=1e-12)


def test_heavy_tailed_reference_scores_lift_the_multiplier_above_the_bonferroni_floor() -> None:
    rng = np.random.default_rng(13)
    statistics = {f"f{i}": special.expit(-2.0 + 0.3 * rng.standard_t(2, 300)) for i in range(3)}
    _, multiplier = score_limits(statistics, dict.fromkeys(statistics, 1.0), 3)
    assert floor(300, 3) < multiplier <= 2 * floor(300, 3)


def test_one_features_heavy_tail_widens_its_own_limit_only() -> None:
    rng = np.random.default_rng(15)
    calm = logit_normal(rng, 60, -1.0, 1.3)  # wide but normal on the logit scale
    odd = logit_normal(rng, 60, -4.5, 0.3)
    odd[rng.choice(60, 6, replace=False)] = special.expit(-4.5 + 3.0 * rng.uniform(2, 4, 6))
    both, _ = score_limits({"calm": calm, "odd": odd}, {"calm": 1.0, "odd": 1.0}, 2)
    alone, _ = score_limits({"calm": calm, "other": logit_normal(rng, 60, -4.5, 0.3)},
                            {"calm": 1.0, "other": 1.0}, 2)  # fmt: skip
    assert both["odd"].multiplier > 1.3 * both["calm"].multiplier
    assert both["calm"].threshold == pytest.approx(alone["calm"].threshold)


def test_one_odd_reference_window_cannot_lift_the_multiplier_beyond_twice_the_floor() -> None:
    rng = np.random.default_rng(14)
    values = logit_normal(rng, 40, -2.0, 0.2)
    values[[5, 9, 30]] = 0.999  # three absurd windows: above the conformal rank
    _, multiplier = score_limits({"x": values}, {"x": 1.0}, 1)
    assert multiplier == pytest.approx(2 * floor(40, 1))


def test_noisier_reference_scores_give_a_higher_limit() -> None:
    rng = np.random.default_rng(15)
    z = rng.standard_normal(101)
    z -= np.median(z)  # the same median on both scales
    quiet = {"x": special.expit(-2.0 + 0.2 * z)}
    noisy = {"x": special.expit(-2.0 + 0.6 * z)}
    quiet_limit = score_limits(quiet, {"x": 1.0}, 1)[0]["x"]
    noisy_limit = score_limits(noisy, {"x": 1.0}, 1)[0]["x"]
    assert noisy_limit.center == pytest.approx(quiet_limit.center) == pytest.approx(-2.0)
    assert noisy_limit.spread == pytest.approx(3 * quiet_limit.spread)
    assert noisy_limit.threshold > quiet_limit.threshold > special.expit(-2.0)


def test_one_outlier_window_moves_neither_the_center_nor_the_spread() -> None:
    rng = np.random.default_rng(16)
    values = logit_normal(rng, 101, -2.0, 0.4)
    with_outlier = values.copy()
    with_outlier[50] = 0.95
    before = score_limits({"x": values}, {"x": 1.0}, 1)[0]["x"]
    after = score_limits({"x": with_outlier}, {"x": 1.0}, 1)[0]["x"]
    assert abs(after.center - before.center) < 0.05 * before.spread
    assert after.spread == pytest.approx(before.spread, rel=0.1)


def test_the_upper_semi_mad_sees_a_right_skewed_upper_half() -> None:
    rng = np.random.default_rng(17)
    dry = rng.normal(-3.0, 0.05, 70)
    rainy = rng.normal(-1.5, 0.5, 30)  # fewer than half the windows: the MAD hardly sees them
    limit = score_limits({"x": special.expit(np.r_[dry, rainy])}, {"x": 1.0}, 1)[0]["x"]
    x = np.r_[dry, rainy]
    mad = MAD_SCALE * np.median(np.abs(x - np.median(x)))
    assert limit.spread == pytest.approx(MAD_SCALE * np.median(x[x > np.median(x)] - np.median(x)))
    assert limit.spread > 3 * mad


def test_limits_rise_with_the_number_of_features_tested() -> None:
    rng = np.random.default_rng(18)
    for windows in (12, 200):  # the Bonferroni floor alone, and with the conformal part
        statistics = {"x": logit_normal(rng, windows, -2.0, 0.3)}
        found = [score_limits(statistics, {"x": 1.0}, k) for k in (1, 2, 5, 20, 100)]
        multipliers = [c for _, c in found]
        thresholds = [limits["x"].threshold for limits, _ in found]
        assert np.all(np.diff(multipliers) > 0) and np.all(np.diff(thresholds) > 0)


def test_limits_rise_as_alpha_falls(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(19)
    statistics = {"x": logit_normal(rng, 80, -2.0, 0.3)}
    thresholds = []
    for alpha in (0.1, 0.05, 0.01, 0.001):
        monkeypatch.setattr(calibration, "ALPHA", alpha)
        thresholds.append(score_limits(statistics, {"x": 1.0}, 3)[0]["x"].threshold)
    assert np.all(np.diff(thresholds) > 0)


@pytest.mark.parametrize("value", [0.08, 0.0])
def test_a_constant_reference_score_still_gets_a_finite_limit_above_it(value: float) -> None:
    limit = score_limits({"x": np.full(30, value)}, {"x": 1.0}, 1)[0]["x"]
    assert limit.threshold is not None and math.isfinite(limit.threshold)
    assert value < limit.threshold < value + 1e-4
    assert limit.spread > 0
    assert limit.excess(value) < 1 < limit.excess(value + 1e-3)


def test_fewer_windows_than_the_conformal_minimum_use_the_floor_alone() -> None:
    rng = np.random.default_rng(20)
    values = logit_normal(rng, CONFORMAL_MIN, -2.0, 0.2)
    values[0] = 0.999  # an absurd window: at the conformal rank once there are 19 windows
    _, short = score_limits({"x": values[1:]}, {"x": 1.0}, 1)
    _, enough = score_limits({"x": values}, {"x": 1.0}, 1)
    assert short == pytest.approx(floor(CONFORMAL_MIN - 1, 1), rel=1e-12)
    assert enough == pytest.approx(2 * floor(CONFORMAL_MIN, 1), rel=1e-12)


def test_windows_no_feature_measured_do_not_change_the_limits() -> None:
    rng = np.random.default_rng(25)
    measured = {
        "a": logit_normal(rng, 10, -2.0, 0.3),
        "b": logit_normal(rng, 10, -1.0, 0.3),
    }
    padded = {f: np.r_[np.full(20, np.nan), v] for f, v in measured.items()}
    ceilings = {"a": 1.0, "b": 1.0}
    limits, multiplier = score_limits(measured, ceilings, 2)
    padded_limits, padded_multiplier = score_limits(padded, ceilings, 2)
    assert multiplier == pytest.approx(floor(10, 2))  # m and u come from 10 values
    assert padded_multiplier == pytest.approx(multiplier)
    assert padded_limits["a"].threshold == pytest.approx(limits["a"].threshold)


def test_a_feature_with_fewer_than_three_usable_windows_has_no_threshold() -> None:
    rng = np.random.default_rng(21)
    sparse = np.full(30, np.nan)
    sparse[[4, 8]] = 0.1
    limits, multiplier = score_limits(
        {"sparse": sparse, "dense": logit_normal(rng, 30, -2.0, 0.3)},
        {"sparse": 1.0, "dense": 1.0},
        2,
    )
    assert limits["sparse"].threshold is None and limits["sparse"].windows == 0
    assert math.isnan(limits["sparse"].center) and limits["sparse"].excess(0.5) is None
    assert limits["dense"].threshold is not None and limits["dense"].windows == 30
    assert math.isfinite(multiplier)


def test_no_statistics_give_no_limits_and_the_floor() -> None:
    limits, multiplier = score_limits({}, {}, 0)
    assert limits == {} and multiplier == pytest.approx(floor(2, 1))


def test_excess_is_the_ratio_to_the_threshold_or_none() -> None:
    limit = ScoreLimit(0.2, -1.0, 0.3, 1.0, 40)
    assert limit.excess(0.3) == pytest.approx(1.5)
    assert limit.excess(0.1) == pytest.approx(0.5)
    assert limit.excess(None) is None and limit.excess(math.nan) is None
    assert limit.excess(math.inf) is None
    assert ScoreLimit(None, math.nan, math.nan, 1.0, 0).excess(0.3) is None
    assert ScoreLimit(0.0, -9.0, 1e-6, 1.0, 40).excess(0.01) == math.inf


def test_inflation_widens_small_samples_and_vanishes_for_large_ones() -> None:
    factors = [inflation(n, 0.99) for n in (3, 5, 20, 100, 10_000)]
    assert np.all(np.diff(factors) < 0) and factors[-1] == pytest.approx(1.0, abs=1e-3)
    assert factors[0] > 2
    assert inflation(1, 0.99) == math.inf and inflation(0, 0.99) == math.inf
    expected = stats.t.ppf(0.975, 9) / stats.norm.ppf(0.975) * math.sqrt(1 + 1 / 10)
    assert inflation(10, 0.975) == pytest.approx(expected)


# --------------------------------------------------------------------------- shares and volume


def test_a_share_at_the_usual_rate_is_inside_and_a_large_one_beyond() -> None:
    rng = np.random.default_rng(22)
    shares = rng.binomial(500, 0.02, 60) / 500
    limit = share_limit(shares, 0.02, signals=5)
    assert isinstance(limit, ShareLimit)
    assert limit.median == pytest.approx(np.median(shares))
    assert limit.level == pytest.approx(1 - 0.05 / 5)
    assert limit.z == pytest.approx(floor(60, 5))
    assert 0.02 < limit.limit(500) < 0.1
    assert limit.limit(500) >= stats.binom.ppf(limit.level, 500, 0.02) / 500
    assert limit.limit(500) >= limit.median + limit.z * limit.mad


def test_a_share_limit_is_looser_for_small_windows() -> None:
    limit = ShareLimit(rate=0.02, median=0.02, mad=0.005, z=2.5, level=0.99)
    assert limit.limit(10) > limit.limit(100) > limit.limit(100_000) == pytest.approx(0.0325)
    assert limit.limit(0) == limit.limit(1)  # an empty window counts as one value
    assert limit.limit(0) <= 1.0


def test_a_share_limit_without_calibration_shares_centres_on_the_rate() -> None:
    limit = share_limit(np.array([np.nan, np.nan]), 0.1, signals=1)
    assert limit.median == 0.1 and limit.mad == 0.0 and limit.rate == 0.1
    assert limit.limit(1000) >= 0.1


def test_share_limits_widen_with_more_signals() -> None:
    shares = np.random.default_rng(23).binomial(400, 0.05, 40) / 400
    assert share_limit(shares, 0.05, 20).z > share_limit(shares, 0.05, 2).z


def test_a_window_with_typical_rows_is_inside_the_volume_band_and_a_tenth_beyond() -> None:
    rng = np.random.default_rng(24)
    rows = np.round(1000 * np.exp(rng.normal(0, 0.1, 40)))
    band = volume_band(rows, signals=7)
    assert band is not None
    assert not band.beyond(1000) and not band.beyond(float(np.median(rows)))
    assert band.beyond(100) and band.beyond(10_000)
    assert band.low < 1000 < band.high
    level = 1 - 0.05 / 14  # two-sided
    half = float(stats.norm.ppf(level)) * inflation(40, level) * band.mad
    assert band.high == pytest.approx(math.exp(np.median(np.log(rows)) + half))


def test_a_volume_band_needs_three_windows() -> None:
    assert volume_band([1000.0, 1100.0], signals=3) is None
    assert volume_band([], signals=3) is None
    assert volume_band([1000.0, 1100.0, 900.0], signals=3) is not None


def test_a_constant_row_count_still_gives_a_band_around_it() -> None:
    band = volume_band(np.full(30, 500.0), signals=3)
    assert band is not None and band.mad > 0
    assert not band.beyond(500) and band.beyond(550) and band.beyond(450)


def test_empty_windows_count_as_one_row_in_the_volume_band() -> None:
    band = volume_band(np.array([0.0, 0.0, 0.0, 1.0, 1.0]), signals=1)
    assert band is not None and band.median == 0.0
    assert not band.beyond(1)
