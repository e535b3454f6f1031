"""Grouped timeline counts: every way of assigning records to windows gives pandas' counts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from monitoring import log_records
from monitoring.drift import scores
from monitoring.store.bins import Layout, NumericLayout, fit_layout
from monitoring.store.connection import Store
from monitoring.store.counts import Counts, count_windows
from monitoring.timeutil import Bounds
from tests.unit.timeline.timeline_data import JANUARY, records, spec

D = dt.datetime


@pytest.fixture
def frame(store: Store) -> pd.DataFrame:
    """January and February 2024, with NULLs in both kinds of feature, logged into ``store``."""
    data = records("2024-01-01", 60, per_day=60, seed=3)
    data.loc[data.index % 17 == 0, "age"] = np.nan
    data.loc[data.index % 23 == 0, "plan"] = None
    log_records(data, spec(), db=store.path)
    return data


def _days(first: D, count: int, step: int = 1) -> list[Bounds]:
    return [
        (first + dt.timedelta(days=i), first + dt.timedelta(days=i + 1))
        for i in range(0, count, step)
    ]


CASES = {
    "whole days": _days(D(2024, 2, 1), 10),
    "days clipped at both ends": [
        (D(2024, 2, 1, 6), D(2024, 2, 2)),
        *_days(D(2024, 2, 2), 3),
        (D(2024, 2, 5), D(2024, 2, 5, 18)),
    ],
    "days with gaps between them": _days(D(2024, 2, 1), 12, step=3),
    "days overlapping the reference": _days(D(2024, 1, 25), 12),
    "a part of a day in the middle": [
        (D(2024, 2, 1), D(2024, 2, 2)),
        (D(2024, 2, 2), D(2024, 2, 2, 12)),
        (D(2024, 2, 3), D(2024, 2, 4)),
    ],
    "windows of rows": [
        (D(2024, 2, 1, 3, 17), D(2024, 2, 2, 11)),
        (D(2024, 2, 2, 11), D(2024, 2, 4)),
    ],
    "weeks": [(D(2024, 2, 5), D(2024, 2, 12)), (D(2024, 2, 12), D(2024, 2, 19))],
    "one window": [(D(2024, 2, 10), D(2024, 2, 11))],
    "no windows": [],
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_counts_match_pandas(store: Store, frame: pd.DataFrame, case: str) -> None:
    windows = CASES[case]
    tiny = spec()
    source = store.model(tiny.name).source
    with store.connect() as con:
        layout = fit_layout(con, source, tiny.numeric_features, ("plan",), JANUARY, bins=40)
        counts = count_windows(con, source, layout, windows)
    assert counts.windows == len(windows)
    for w, bounds in enumerate(windows):
        _assert_window(counts, w, layout, frame, bounds)


def _assert_window(
    counts: Counts, w: int, layout: Layout, frame: pd.DataFrame, bounds: Bounds
) -> None:
    inside = frame[(frame.ts >= bounds[0]) & (frame.ts < bounds[1])]
    assert counts.rows[w] == len(inside)
    for b in layout.numeric:
        values = inside[b.column].dropna().to_numpy()
        at = _bins(b, values)
        got_counts, got_sums = counts.numeric[b.column]
        np.testing.assert_array_equal(got_counts[w], np.bincount(at, minlength=b.bins))
        expected_sums = np.bincount(at, weights=values, minlength=b.bins)
        np.testing.assert_allclose(got_sums[w], expected_sums, rtol=1e-9, atol=1e-6)
    for column in layout.categorical:
        expected = inside[column].dropna().value_counts().to_dict()
        assert counts.categorical[column][w] == expected


def _bins(b: NumericLayout, x: np.ndarray) -> np.ndarray:
    """The layout's bins in numpy, as the SQL computes them."""
    if b.discrete:
        values = np.asarray(b.values)
        below = np.searchsorted(values, x, side="left")
        exact = (below < len(values)) & (values[np.minimum(below, len(values) - 1)] == x)
        return 2 * below + exact
    fine = np.clip(np.floor((np.arcsinh((x - b.center) / b.scale) - b.low) / b.width), 0,
                   len(b.lookup) - 1).astype(int)  # fmt: skip
    out = np.asarray(b.lookup)[fine]
    out[x < b.edges[0]] = 0
    out[x > b.edges[-1]] = b.bins - 1
    return out


HEAVY = {
    "t2 with two far outliers": lambda rng, n: np.r_[rng.standard_t(2, n - 2), 1e6, -5e5],
    "Cauchy": lambda rng, n: rng.standard_cauchy(n),
    "lognormal σ=2": lambda rng, n: rng.lognormal(0, 2, n),
    "60 % zeros": lambda rng, n: np.where(rng.random(n) < 0.6, 0.0, rng.exponential(3, n)),
    "code 0..4": lambda rng, n: rng.integers(0, 5, n).astype(float),
}


@pytest.mark.parametrize("kind", HEAVY)
def test_binned_ks_d_is_within_its_bound_of_the_exact_one(store: Store, kind: str) -> None:
    """|D_binned − D_exact| ≤ the layout's bound ≤ 0.01, on heavy tails and with outliers,
    where 500 equal-width bins between min and max were 0.3–0.6 off."""
    rng = np.random.default_rng(7)
    ref, cur = HEAVY[kind](rng, 20_000), HEAVY[kind](rng, 3_000) + (0 if "code" in kind else 0.2)
    ts = pd.date_range("2024-01-01", periods=len(ref) + len(cur), freq="min")
    named = spec(numeric_features=("x",), categorical_features=())
    frame = records("2024-01-01", 1, per_day=len(ts)).assign(ts=ts, x=np.r_[ref, cur])
    log_records(frame.drop(columns=["age", "income", "plan"]), named, db=store.path)
    source = store.model(named.name).source
    reference = (ts[0].to_pydatetime(), ts[len(ref)].to_pydatetime())
    current = (ts[len(ref)].to_pydatetime(), (ts[-1] + pd.Timedelta("1min")).to_pydatetime())
    with store.connect() as con:
        layout = fit_layout(con, source, ["x"], [], reference)
        counts = count_windows(con, source, layout, [reference, current])
    bins = layout.numeric[0]
    binned = scores.ks_d(counts.numeric["x"][0][1], counts.numeric["x"][0][0])[0]
    exact = stats.ks_2samp(ref, cur).statistic
    assert bins.bound <= 0.01
    assert 0 <= exact - binned <= bins.bound + 1e-12
    if "code" in kind:
        assert bins.discrete and binned == pytest.approx(exact, abs=1e-12)
