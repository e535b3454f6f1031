"""Grouped timeline counts: every way of assigning records to windows gives pandas' counts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from monitoring import log_records
from monitoring.store.connection import Store
from monitoring.store.counts import Counts, Layout, count_windows, fit_layout
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
    # Whole days after the reference: one scan counts the windows and the reference.
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
    span = (windows[0][0], windows[-1][1]) if windows else JANUARY
    with store.connect() as con:
        layout = fit_layout(con, source, tiny.numeric_features, ("plan",), JANUARY, span, bins=40)
        counts, reference = count_windows(con, source, layout, windows, JANUARY)
    assert counts.windows == len(windows)
    for w, bounds in enumerate(windows):
        _assert_window(counts, w, layout, frame, bounds)
    assert reference is not None and reference.windows == 1
    _assert_window(reference, 0, layout, frame, JANUARY)


def test_no_reference_asked_none_returned(store: Store, frame: pd.DataFrame) -> None:
    tiny = spec()
    source = store.model(tiny.name).source
    with store.connect() as con:
        layout = fit_layout(con, source, ("age",), (), JANUARY, CASES["whole days"][0])
        counts, reference = count_windows(con, source, layout, CASES["whole days"])
    assert reference is None
    _assert_window(counts, 3, layout, frame, CASES["whole days"][3])


def _assert_window(
    counts: Counts, w: int, layout: Layout, frame: pd.DataFrame, bounds: Bounds
) -> None:
    inside = frame[(frame.ts >= bounds[0]) & (frame.ts < bounds[1])]
    for b in layout.numeric:
        values = inside[b.column].dropna().to_numpy()
        at = np.clip(np.floor((values - b.low) / b.width), 0, b.bins - 1).astype(int)
        got_counts, got_sums = counts.numeric[b.column]
        np.testing.assert_array_equal(got_counts[w], np.bincount(at, minlength=b.bins))
        expected_sums = np.bincount(at, weights=values - b.low, minlength=b.bins)
        np.testing.assert_allclose(got_sums[w], expected_sums, rtol=1e-9, atol=1e-6)
    for column in layout.categorical:
        expected = inside[column].dropna().value_counts().to_dict()
        assert counts.categorical[column][w] == expected
