"""Drift scores on binned counts agree with scipy's on the samples the counts come from."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.spatial import distance

from monitoring.drift import scores
from monitoring.store.bins import NumericLayout

VALUES = 12  # discrete samples take the values 0 … VALUES - 1: one bin each, so binning is exact


def discrete(rng: np.random.Generator, n: int, loc: float, scale: float) -> np.ndarray:
    return np.round(rng.normal(loc, scale, n)).clip(0, VALUES - 1).astype(int)


def counted(sample: np.ndarray) -> np.ndarray:
    return np.bincount(sample, minlength=VALUES).astype(np.float64)


def test_ks_d_is_scipys_statistic_on_the_samples_behind_the_counts() -> None:
    rng = np.random.default_rng(0)
    baseline = discrete(rng, 900, 6, 2.5)
    windows = [discrete(rng, n, loc, 2.5) for n, loc in [(40, 6), (300, 6.5), (120, 4), (75, 9)]]
    d = scores.ks_d(np.stack([counted(w) for w in windows]), counted(baseline))
    expected = [stats.ks_2samp(w, baseline).statistic for w in windows]
    assert d.shape == (4,)
    np.testing.assert_allclose(d, expected, rtol=0, atol=1e-12)


def test_ks_d_takes_one_baseline_per_window() -> None:
    rng = np.random.default_rng(1)
    pairs = [(discrete(rng, 80, 5, 2), discrete(rng, 200, loc, 2)) for loc in (3, 5, 8)]
    d = scores.ks_d(
        np.stack([counted(c) for c, _ in pairs]), np.stack([counted(b) for _, b in pairs])
    )
    np.testing.assert_allclose(d, [stats.ks_2samp(c, b).statistic for c, b in pairs], atol=1e-12)


def test_ks_d_of_a_window_against_itself_is_zero_and_of_disjoint_supports_is_one() -> None:
    same = np.array([[3.0, 0.0, 5.0, 2.0]])
    assert scores.ks_d(same, same * 10)[0] == pytest.approx(0.0, abs=1e-15)
    assert scores.ks_d(np.array([[4.0, 0.0, 0.0]]), np.array([0.0, 0.0, 9.0]))[0] == 1.0


def test_ks_d_is_nan_where_a_side_is_empty() -> None:
    d = scores.ks_d(np.array([[0.0, 0.0], [1.0, 2.0]]), np.array([3.0, 1.0]))
    assert math.isnan(d[0]) and math.isfinite(d[1])
    assert math.isnan(scores.ks_d(np.array([[1.0, 2.0]]), np.zeros(2))[0])


def test_effective_n_is_n_m_over_n_plus_m_and_zero_for_two_empty_sides() -> None:
    current = np.array([[10.0, 30.0], [0.0, 0.0], [5.0, 0.0]])
    n = scores.effective_n(current, np.array([60.0, 0.0]))
    np.testing.assert_allclose(n, [40 * 60 / 100, 0.0, 5 * 60 / 65])
    assert scores.effective_n(np.zeros((1, 3)), np.zeros(3))[0] == 0.0


@pytest.mark.parametrize(
    ("n", "m", "shift"), [(50, 80, 0.0), (200, 2000, 1.0), (300, 300, 1.5), (40, 40, 1.5)]
)
def test_ks_p_is_close_to_scipys_asymptotic_p_at_the_effective_n(
    n: int, m: int, shift: float
) -> None:
    rng = np.random.default_rng(n + m)
    a, b = discrete(rng, n, 6, 2.5), discrete(rng, m, 6 + shift, 2.5)
    cur, base = counted(a)[None, :], counted(b)
    d, en = scores.ks_d(cur, base), scores.effective_n(cur, base)
    p = scores.ks_p(d, en)[0]
    scipy_p = stats.ks_2samp(a, b, method="asymp").pvalue
    assert p == pytest.approx(scipy_p, rel=0.1)
    # Stephens' correction is why: the bare limiting law at √n'·D is further off.
    assert abs(p - scipy_p) <= abs(stats.kstwobign.sf(math.sqrt(en[0]) * d[0]) - scipy_p)


def test_ks_p_is_kolmogorovs_limit_at_stephens_corrected_gap() -> None:
    d, n = np.array([0.05, 0.12, 0.3]), np.array([900.0, 64.0, 9.0])
    root = np.sqrt(n)
    expected = stats.kstwobign.sf((root + 0.12 + 0.11 / root) * d)
    np.testing.assert_allclose(scores.ks_p(d, n), expected, rtol=1e-10)


def test_ks_p_is_one_without_a_gap_and_falls_as_the_gap_or_the_size_grows() -> None:
    assert scores.ks_p(np.array([0.0]), np.array([100.0]))[0] == pytest.approx(1.0)
    by_gap = scores.ks_p(np.array([0.02, 0.05, 0.1, 0.2]), np.full(4, 400.0))
    by_size = scores.ks_p(np.full(4, 0.1), np.array([25.0, 100.0, 400.0, 1600.0]))
    assert np.all(np.diff(by_gap) < 0) and np.all(np.diff(by_size) < 0)
    assert np.all((by_gap > 0) & (by_gap <= 1))


def scipy_chi2(current: np.ndarray, baseline: np.ndarray) -> tuple[float, float]:
    table = np.stack([baseline, current])
    table = table[:, table.sum(axis=0) > 0]  # categories empty on both sides
    result = stats.chi2_contingency(table)  # scipy's own rule: Yates only when dof == 1
    return float(result.statistic), float(result.pvalue)


def test_chi_squared_is_scipys_chi2_contingency_with_empty_categories_left_out() -> None:
    rng = np.random.default_rng(2)
    baseline = np.array([120.0, 0.0, 40.0, 75.0, 0.0, 18.0])
    current = np.stack(
        [
            rng.multinomial(90, baseline / baseline.sum()).astype(np.float64),
            np.array([10.0, 0.0, 30.0, 5.0, 0.0, 2.0]),
            np.array([10.0, 4.0, 30.0, 5.0, 0.0, 2.0]),  # a category the baseline never holds
        ]
    )
    chi2, p = scores.chi_squared(current, baseline)
    for i in range(len(current)):
        expected_chi2, expected_p = scipy_chi2(current[i], baseline)
        assert chi2[i] == pytest.approx(expected_chi2, rel=1e-10)
        assert p[i] == pytest.approx(expected_p, rel=1e-8, abs=1e-300)


@pytest.mark.parametrize(
    ("current", "baseline"),
    [
        ([30.0, 10.0], [50.0, 60.0]),  # k = 2: Yates' correction
        ([0.0, 30.0, 10.0, 0.0], [0.0, 50.0, 60.0, 0.0]),  # two used categories among four
        ([1.0, 0.0], [0.0, 2.0]),  # a correction larger than a cell's gap is capped at it
        ([12.0, 7.0], [24.0, 14.0]),  # identical shares
    ],
)
def test_chi_squared_applies_yates_correction_exactly_when_one_degree_of_freedom_is_left(
    current: list[float], baseline: list[float]
) -> None:
    chi2, p = scores.chi_squared(np.array([current]), np.array(baseline))
    expected_chi2, expected_p = scipy_chi2(np.array(current), np.array(baseline))
    assert chi2[0] == pytest.approx(expected_chi2, rel=1e-10, abs=1e-12)
    assert p[0] == pytest.approx(expected_p, rel=1e-10)
    uncorrected = stats.chi2_contingency(
        np.array([baseline, current])[:, np.array(baseline) + current > 0], correction=False
    ).statistic
    assert chi2[0] <= uncorrected + 1e-12


def test_chi_squared_of_a_single_shared_category_is_zero_with_p_one() -> None:
    chi2, p = scores.chi_squared(np.array([[0.0, 7.0, 0.0]]), np.array([0.0, 40.0, 0.0]))
    assert chi2[0] == 0.0 and p[0] == pytest.approx(1.0)


def test_jensen_shannon_is_scipys_distance_with_natural_logarithms() -> None:
    rng = np.random.default_rng(3)
    baseline = rng.integers(0, 50, 8).astype(np.float64)
    current = rng.integers(0, 50, (5, 8)).astype(np.float64)
    current[1] = baseline * 3  # the same shares
    current[2, :4] = 0.0
    js = scores.jensen_shannon(current, baseline)
    expected = [distance.jensenshannon(baseline, c) for c in current]
    np.testing.assert_allclose(js, expected, rtol=1e-12, atol=1e-7)
    assert js[1] == pytest.approx(0.0, abs=1e-7)


def test_jensen_shannon_of_disjoint_shares_is_its_ceiling() -> None:
    js = scores.jensen_shannon(np.array([[0.0, 0.0, 5.0]]), np.array([3.0, 4.0, 0.0]))
    assert js[0] == pytest.approx(scores.JS_MAX, rel=1e-12)
    assert pytest.approx(math.sqrt(math.log(2))) == scores.JS_MAX


# --------------------------------------------------------------------------- Wasserstein


def discrete_layout(values: tuple[float, ...]) -> NumericLayout:
    """Bins: below, v1, (v1, v2), v2, …, vm, above (as :func:`fit_layout` builds them)."""
    return NumericLayout("x", True, tuple(v for v in values for _ in (0, 1)), 0.0, 1.0, values)


def bin_discrete(values: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    points = np.asarray(values)
    i = np.searchsorted(points, x, side="left")
    hit = (i < len(points)) & (points[np.minimum(i, len(points) - 1)] == x)
    return np.where(hit, 2 * i + 1, 2 * i)


def bin_continuous(edges: np.ndarray, x: np.ndarray) -> np.ndarray:
    j = np.searchsorted(edges, x, side="right")  # [e_{j-1}, e_j) is bin j
    return np.where(x == edges[-1], len(edges) - 1, j)  # the maximum is in the last inner bin


def wasserstein_side(
    layout: NumericLayout, bins: np.ndarray, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(bins, minlength=layout.bins).astype(np.float64)[None, :]
    sums = np.bincount(bins, weights=x, minlength=layout.bins)[None, :]
    return counts, layout.offsets(counts, sums)


def test_wasserstein_on_point_bins_is_scipys_distance_including_out_of_range_values() -> None:
    rng = np.random.default_rng(4)
    values = (0.0, 1.0, 2.5, 4.0, 7.0)
    layout = discrete_layout(values)
    ref = rng.choice(values, 400, p=[0.1, 0.3, 0.3, 0.2, 0.1])
    cur = np.concatenate([rng.choice(values, 150, p=[0.3, 0.3, 0.2, 0.1, 0.1]), [-3.0, -1.5, 9.25]])
    w1 = scores.wasserstein(
        layout.widths,
        wasserstein_side(layout, bin_discrete(values, cur), cur),
        wasserstein_side(layout, bin_discrete(values, ref), ref),
    )
    assert w1.shape == (1,)
    assert w1[0] == pytest.approx(stats.wasserstein_distance(cur, ref), rel=1e-10)


def test_wasserstein_on_wide_bins_never_exceeds_the_exact_distance_and_comes_close() -> None:
    rng = np.random.default_rng(5)
    ref = rng.normal(0, 1, 3000)
    edges = np.quantile(ref, np.linspace(0, 1, 101))
    layout = NumericLayout("x", False, tuple(edges), 0.01, float(ref.std()))
    base = wasserstein_side(layout, bin_continuous(edges, ref), ref)
    for cur in (rng.normal(0, 1, 500), rng.normal(0.5, 1, 500), rng.normal(0, 2, 500)):
        side = wasserstein_side(layout, bin_continuous(edges, cur), cur)
        w1 = scores.wasserstein(layout.widths, side, base)[0]
        exact = stats.wasserstein_distance(cur, ref)
        assert w1 <= exact + 1e-12
        assert w1 == pytest.approx(exact, rel=0.1, abs=0.01)


def test_wasserstein_of_a_side_against_itself_is_zero_for_every_window() -> None:
    rng = np.random.default_rng(6)
    x = rng.exponential(1.0, 800)
    edges = np.quantile(x, np.linspace(0, 1, 21))
    layout = NumericLayout("x", False, tuple(edges), 0.05, float(x.std()))
    counts, offsets = wasserstein_side(layout, bin_continuous(edges, x), x)
    windows = (np.repeat(counts, 3, axis=0), np.repeat(offsets, 3, axis=0))
    w1 = scores.wasserstein(layout.widths, windows, (counts[0], offsets[0]))
    np.testing.assert_allclose(w1, 0.0, atol=1e-12)
