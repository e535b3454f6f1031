"""The two sides of a comparison: per-feature count matrices and each window's baseline."""

from __future__ import annotations

import numpy as np
import pytest

from monitoring.drift.sides import (
    FeatureCounts,
    align,
    feature_counts,
    leave_one_out,
    mix,
    outside_rest,
    outside_support,
    preceding,
    seasonal_leave_one_out,
)
from monitoring.store.bins import Layout, NumericLayout
from monitoring.store.counts import Counts

SLOTS, BINS = 28, 5


def atoms(seed: int = 0, slots: int = SLOTS) -> FeatureCounts:
    """Random counts, sums and row counts (more rows than values: NULLs) in ``slots`` atoms."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 20, (slots, BINS)).astype(np.float64)
    sums = counts * rng.uniform(0, 10, (slots, BINS))
    rows = counts.sum(axis=1) + rng.integers(0, 4, slots)
    return FeatureCounts("x", "numeric", counts, rows, sums)


def test_runs_sum_their_slots_counts_sums_and_rows() -> None:
    fc = atoms()
    runs = [(0, 7), (3, 4), (10, 28), (5, 5)]
    summed = fc.runs(runs)
    assert fc.sums is not None and summed.sums is not None
    for i, (a, b) in enumerate(runs):
        np.testing.assert_allclose(summed.counts[i], fc.counts[a:b].sum(axis=0))
        np.testing.assert_allclose(summed.sums[i], fc.sums[a:b].sum(axis=0))
        assert summed.rows[i] == pytest.approx(fc.rows[a:b].sum())
    np.testing.assert_allclose(summed.counts[3], 0.0)  # an empty run
    np.testing.assert_allclose(summed.n, summed.counts.sum(axis=1))
    assert (summed.feature, summed.kind) == ("x", "numeric")


def test_total_is_every_slot_together() -> None:
    fc = atoms()
    counts, sums = fc.total()
    assert fc.sums is not None and sums is not None
    np.testing.assert_allclose(counts, fc.counts.sum(axis=0))
    np.testing.assert_allclose(sums, fc.sums.sum(axis=0))
    categorical = FeatureCounts("c", "categorical", fc.counts, fc.rows)
    assert categorical.total()[1] is None and categorical.runs([(0, 2)]).sums is None


def test_leave_one_out_compares_each_run_with_the_reference_without_it() -> None:
    fc = atoms(1)
    runs = [(7 * i, 7 * i + 7) for i in range(4)]
    current, rest = leave_one_out(fc, runs)
    assert rest.shape == (4, BINS)
    for i, (a, b) in enumerate(runs):
        others = np.r_[fc.counts[:a], fc.counts[b:]].sum(axis=0)
        np.testing.assert_allclose(rest[i], others)
        np.testing.assert_allclose(current.counts[i], fc.counts[a:b].sum(axis=0))


def by_hand_seasonal(fc: FeatureCounts, run: tuple[int, int], season: np.ndarray) -> np.ndarray:
    """The run's seasons' shares in the rest of the reference, weighted by its own atoms."""
    a, b = run
    outside = np.ones(len(season), dtype=bool)
    outside[a:b] = False
    own = season[a:b]
    mixed, size = np.zeros(fc.counts.shape[1]), 0.0
    for s in np.unique(own):
        rest = fc.counts[outside & (season == s)].sum(axis=0)
        mixed += np.mean(own == s) * rest / rest.sum()
        size += rest.sum()
    return mixed * size


def test_seasonal_leave_one_out_mixes_the_runs_own_seasons_from_the_rest() -> None:
    fc = atoms(2)
    season = np.arange(SLOTS) % 7  # weekdays
    runs = [(0, 7), (3, 10), (14, 16), (27, 28)]
    current, bases = seasonal_leave_one_out(fc, runs, season)
    for i, run in enumerate(runs):
        np.testing.assert_allclose(bases[i], by_hand_seasonal(fc, run, season))
        np.testing.assert_allclose(current.counts[i], fc.counts[run[0] : run[1]].sum(axis=0))


def test_a_seasonal_baseline_ignores_the_other_seasons_entirely() -> None:
    counts = np.zeros((SLOTS, 3))
    season = np.arange(SLOTS) % 7
    counts[season == 0] = [10.0, 0.0, 0.0]  # Mondays: all in the first bin
    counts[season != 0] = [0.0, 3.0, 9.0]
    fc = FeatureCounts("x", "numeric", counts, counts.sum(axis=1))
    _, bases = seasonal_leave_one_out(fc, [(7, 8), (0, 7)], season)
    np.testing.assert_allclose(bases[0], [30.0, 0.0, 0.0])  # the three other Mondays only
    # A whole week: each weekday one seventh, at the size of the rest (3 weeks of every day).
    expected = (np.array([1.0, 0.0, 0.0]) + 6 * np.array([0.0, 0.25, 0.75])) / 7
    np.testing.assert_allclose(bases[1], expected * counts[7:].sum())


def test_a_seasonal_baseline_is_unknown_when_the_run_holds_all_of_a_season() -> None:
    fc = atoms(5, slots=10)
    season = np.array([0, 1, 2, 3, 4, 5, 6, 0, 1, 2])  # one Thursday … Sunday each
    _, bases = seasonal_leave_one_out(fc, [(3, 4), (0, 1)], season)
    assert np.isnan(bases[0]).all()
    np.testing.assert_allclose(bases[1], fc.counts[7])  # the other Monday


def test_preceding_uses_exactly_the_n_previous_windows_of_atoms() -> None:
    fc = atoms(3)
    runs = [(7 * i, 7 * i + 7) for i in range(4)]
    current, bases, full = preceding(fc, runs, 2)
    np.testing.assert_allclose(bases[0], 0.0)  # nothing before the first week
    np.testing.assert_allclose(bases[1], fc.counts[0:7].sum(axis=0))  # only one week before
    np.testing.assert_allclose(bases[2], fc.counts[0:14].sum(axis=0))
    np.testing.assert_allclose(bases[3], fc.counts[7:21].sum(axis=0))  # not the first week
    assert full.tolist() == [False, False, True, True]
    np.testing.assert_allclose(current.counts, leave_one_out(fc, runs)[0].counts)


def test_preceding_scales_with_each_runs_own_length() -> None:
    fc = atoms(4)
    _, bases, full = preceding(fc, [(10, 13), (20, 21)], 3)
    np.testing.assert_allclose(bases[0], fc.counts[1:10].sum(axis=0))
    np.testing.assert_allclose(bases[1], fc.counts[17:20].sum(axis=0))
    assert full.tolist() == [True, True]


def test_mix_weights_season_shares_and_keeps_the_size_of_the_seasons_used() -> None:
    by_season = np.array([[10.0, 30.0], [50.0, 50.0], [1.0, 0.0]])
    mixed = mix(by_season, np.array([3.0, 1.0, 0.0]))
    expected = (0.75 * np.array([0.25, 0.75]) + 0.25 * np.array([0.5, 0.5])) * 140
    np.testing.assert_allclose(mixed, expected)
    np.testing.assert_allclose(mix(by_season, np.array([0.0, 2.0, 0.0])), [50.0, 50.0])


def test_a_mix_with_an_empty_season_is_unknown_unless_it_has_no_weight() -> None:
    by_season = np.array([[10.0, 30.0], [0.0, 0.0]])
    assert np.isnan(mix(by_season, np.array([1.0, 1.0]))).all()
    np.testing.assert_allclose(mix(by_season, np.array([1.0, 0.0])), [10.0, 30.0])


def test_outside_rest_counts_values_beyond_the_rests_range_or_values_it_never_holds() -> None:
    current = np.array([[2.0, 3.0, 4.0, 5.0, 6.0], [1.0, 1.0, 1.0, 1.0, 1.0]])
    rest = np.array([[0.0, 7.0, 0.0, 9.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    # Numeric: below the first occupied bin and above the last; the gap inside is in range.
    np.testing.assert_allclose(outside_rest(current, rest, "numeric"), [2.0 + 6.0, 0.0])
    # Discrete and categorical: every value the rest never holds, gaps included.
    np.testing.assert_allclose(outside_rest(current, rest, "discrete"), [2.0 + 4.0 + 6.0, 0.0])
    np.testing.assert_allclose(outside_rest(current, rest, "categorical"), [12.0, 0.0])


def test_outside_support_counts_overflow_and_gap_bins_or_new_categories() -> None:
    continuous = NumericLayout("x", False, (0.0, 1.0, 2.0, 3.0), 0.1, 1.0)  # 5 bins
    counts = np.array([[1.0, 2.0, 3.0, 4.0, 5.0], [0.0, 9.0, 9.0, 9.0, 0.0]])
    np.testing.assert_allclose(outside_support(counts, continuous, 0), [6.0, 0.0])
    discrete = NumericLayout("x", True, (0.0, 0.0, 1.0, 1.0, 5.0, 5.0), 0.0, 1.0, (0.0, 1.0, 5.0))
    # Bins: below, 0, (0, 1), 1, (1, 5), 5, above.
    values = np.array([[1.0, 10.0, 2.0, 20.0, 4.0, 30.0, 8.0]])
    np.testing.assert_allclose(outside_support(values, discrete, 0), [1.0 + 2.0 + 4.0 + 8.0])
    categories = np.array([[5.0, 6.0, 7.0, 8.0], [1.0, 1.0, 0.0, 0.0]])
    np.testing.assert_allclose(outside_support(categories, None, 2), [15.0, 0.0])


def test_align_pads_later_categories_with_zeros_and_keeps_wider_counts_as_they_are() -> None:
    np.testing.assert_array_equal(align(np.array([1.0, 2.0]), 4), [1.0, 2.0, 0.0, 0.0])
    wide = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(align(wide, 3), [[1.0, 2.0, 0.0], [3.0, 4.0, 0.0]])
    assert align(wide, 2) is wide
    assert align(wide, 1) is wide  # documented as padding only: never truncated


def test_feature_counts_lists_known_categories_first_then_new_ones_as_they_appear() -> None:
    layout = Layout(
        (NumericLayout("flag", True, (0.0, 0.0, 1.0, 1.0), 0.0, 0.5, (0.0, 1.0)),), ("plan",)
    )
    numeric = np.array([[0.0, 3.0, 0.0, 2.0, 0.0], [1.0, 4.0, 0.0, 0.0, 0.0]])
    counts = Counts(
        windows=2,
        rows=np.array([6.0, 7.0]),
        numeric={"flag": (numeric, numeric * 0.5)},
        categorical={"plan": [{"pro": 2, "trial": 1}, {"basic": 4, "gold": 2, "trial": 1}]},
    )
    dense = feature_counts(counts, layout, {"plan": ["basic", "pro"]})
    flag, plan = dense["flag"], dense["plan"]
    assert flag.kind == "discrete" and flag.sums is not None
    np.testing.assert_array_equal(flag.counts, numeric)
    np.testing.assert_array_equal(flag.rows, [6.0, 7.0])
    assert plan.kind == "categorical" and plan.sums is None
    assert plan.categories == ("basic", "pro", "trial", "gold")
    np.testing.assert_array_equal(plan.counts, [[0, 2, 1, 0], [4, 0, 1, 2]])
    np.testing.assert_array_equal(plan.n, [3.0, 7.0])


def test_feature_counts_of_a_categorical_column_without_values_has_its_known_columns() -> None:
    counts = Counts(2, np.array([3.0, 0.0]), {}, {"plan": [{}, {}]})
    plan = feature_counts(counts, Layout((), ("plan",)), {"plan": ["a", "b"]})["plan"]
    assert plan.counts.shape == (2, 2) and not plan.counts.any()
    empty = feature_counts(counts, Layout((), ("plan",)), {})["plan"]
    assert empty.counts.shape == (2, 0)
