"""Effect sizes from DuckDB aggregates agree with exact ones computed on the samples."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial import distance

from monitoring.drift.effects import (
    DECILES,
    PLOT_BINS,
    categorical_effects,
    jensen_shannon,
    numeric_effects,
    psi,
)
from monitoring.store import reads as profiles
from monitoring.store.connection import Store

HOSTILE = 'v"; DROP TABLE x; --'
REF = (dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1))
CUR = (dt.datetime(2024, 2, 1), dt.datetime(2024, 3, 1))


def table(tmp_path: Path, ref: np.ndarray, cur: np.ndarray) -> tuple[Store, profiles.Source]:
    """A bare table of two windows with one numeric column named :data:`HOSTILE`."""
    store = Store(tmp_path / "e.duckdb")
    frame = pd.DataFrame(
        {
            "ts": np.r_[np.full(len(ref), np.datetime64("2024-01-10")),
                        np.full(len(cur), np.datetime64("2024-02-10"))],
            HOSTILE: np.r_[ref, cur],
        }
    )  # fmt: skip
    with store.connect() as con:
        con.register("incoming", frame)
        con.execute('CREATE TABLE "t" AS SELECT * FROM incoming')
    return store, profiles.Source('"t"', '"ts"')


def effects_of(tmp_path: Path, ref: np.ndarray, cur: np.ndarray):  # type: ignore[no-untyped-def]
    store, source = table(tmp_path, ref, cur)
    with store.connect() as con:
        _, ref_stats = profiles.window_stats(con, source, REF, [HOSTILE], [])
        _, cur_stats = profiles.window_stats(con, source, CUR, [HOSTILE], [])
        return numeric_effects(
            con, source, HOSTILE, REF, CUR, ref_stats[HOSTILE], cur_stats[HOSTILE]
        )


@pytest.mark.parametrize(
    "case",
    ["same", "shift", "scale", "skewed", "disjoint", "discrete"],
)
def test_wasserstein_matches_scipy_on_samples(tmp_path: Path, case: str) -> None:
    rng = np.random.default_rng(0)
    ref = rng.normal(0, 1, 5000)
    cur = {
        "same": rng.normal(0, 1, 4000),
        "shift": rng.normal(0.3, 1, 4000),
        "scale": rng.normal(0, 1.5, 4000),
        "skewed": rng.exponential(1.0, 4000),
        "disjoint": rng.normal(12, 1, 4000),
        "discrete": rng.integers(-2, 3, 4000).astype(float),
    }[case]
    measured = effects_of(tmp_path, ref, cur)
    exact = stats.wasserstein_distance(ref, cur)
    sigma = ref.std()
    assert measured is not None and measured.sizes.wasserstein is not None
    # Documented tolerance: 1 % relative or 1e-3 reference standard deviations.
    assert abs(measured.sizes.wasserstein - exact) <= max(0.01 * exact, 1e-3 * sigma)
    assert measured.sizes.wasserstein <= exact + 1e-9  # never overstates
    assert measured.sizes.wasserstein_normed == pytest.approx(
        measured.sizes.wasserstein / sigma, rel=1e-9
    )


def test_psi_and_js_use_exact_reference_deciles(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    ref, cur = rng.gamma(2.0, 1.0, 3000), rng.gamma(2.5, 1.0, 2000)
    measured = effects_of(tmp_path, ref, cur)
    edges = np.quantile(ref, DECILES)  # linear interpolation, as quantile_cont
    ref_counts = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=10)
    cur_counts = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=10)
    assert measured is not None
    assert measured.bins.reference == tuple(ref_counts)
    assert measured.bins.current == tuple(cur_counts)
    r, c = ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum()
    assert measured.sizes.psi == pytest.approx(float(np.sum((c - r) * np.log(c / r))), rel=1e-9)
    assert measured.sizes.jensen_shannon == pytest.approx(distance.jensenshannon(r, c), rel=1e-9)


def test_plot_histogram_covers_both_windows(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    ref, cur = rng.normal(0, 1, 1000), rng.normal(1, 1, 700)
    measured = effects_of(tmp_path, ref, cur)
    assert measured is not None
    histogram = measured.histogram
    assert len(histogram.edges) == PLOT_BINS + 1 and len(histogram.reference) == PLOT_BINS
    assert histogram.edges[0] == pytest.approx(min(ref.min(), cur.min()))
    assert histogram.edges[-1] == pytest.approx(max(ref.max(), cur.max()))
    assert sum(histogram.reference) == 1000 and sum(histogram.current) == 700
    expected, _ = np.histogram(cur, bins=np.asarray(histogram.edges))
    assert np.abs(np.asarray(histogram.current) - expected).sum() <= 2  # edge rounding only


def test_constant_and_empty_columns(tmp_path: Path) -> None:
    same = effects_of(tmp_path, np.full(10, 3.0), np.full(5, 3.0))
    assert same is not None and same.sizes.wasserstein == 0.0 and same.sizes.psi == 0.0
    store, source = table(tmp_path / "x", np.full(10, 3.0), np.array([]))
    with store.connect() as con:
        _, ref_stats = profiles.window_stats(con, source, REF, [HOSTILE], [])
        _, cur_stats = profiles.window_stats(con, source, CUR, [HOSTILE], [])
        assert (
            numeric_effects(con, source, HOSTILE, REF, CUR, ref_stats[HOSTILE], cur_stats[HOSTILE])
            is None
        )


def test_psi_follows_evidently_with_an_epsilon_for_empty_bins() -> None:
    assert psi([50, 50], [50, 50]) == 0.0
    expected = (1e-4 - 0.5) * np.log(1e-4 / 0.5) + (1.0 - 0.5) * np.log(1.0 / 0.5)
    assert psi([1, 1], [0, 10]) == pytest.approx(expected)
    assert jensen_shannon([1, 0], [0, 1]) == pytest.approx(np.sqrt(np.log(2)))


def test_categorical_effects_cover_the_union_of_categories() -> None:
    measured = categorical_effects({"a": 60, "b": 40}, {"b": 30, "a": 50, "new": 20})
    assert measured is not None
    sizes, counts = measured
    assert counts.categories == ("a", "b", "new")
    assert counts.reference == (60, 40, 0) and counts.current == (50, 30, 20)
    assert sizes.psi == pytest.approx(psi([60, 40, 0], [50, 30, 20]))
    assert sizes.jensen_shannon == pytest.approx(
        distance.jensenshannon([0.6, 0.4, 0], [0.5, 0.3, 0.2])
    )
    assert sizes.wasserstein is None
    assert categorical_effects({"a": 3}, {}) is None
