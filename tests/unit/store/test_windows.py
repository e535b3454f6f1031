import datetime as dt
import itertools

import pandas as pd
import pytest

from monitoring import log_records
from monitoring.errors import MonitoringError
from monitoring.store.connection import Store
from monitoring.store.windows import calendar_windows, row_windows, window_count
from tests.conftest import tiny_records, tiny_spec

D = dt.datetime


@pytest.fixture
def gappy(store: Store) -> Store:
    """Records on Jan 1, 2, 3 (two each on the 3rd), none on Jan 4-9, then Jan 10."""
    times = [
        "2024-01-01 08:00",
        "2024-01-02 09:00",
        "2024-01-03 10:00",
        "2024-01-03 10:00",
        "2024-01-10 23:59:59",
    ]
    records = tiny_records(len(times)).assign(ts=pd.to_datetime(times, format="ISO8601"))
    records.loc[4, "label"] = None
    log_records(records, tiny_spec(), db=store.path)
    return store


def test_daily_windows_include_empty_days(gappy: Store) -> None:
    windows = calendar_windows(gappy.model("churn"), "day", D(2024, 1, 1), D(2024, 1, 11))
    assert len(windows) == 10
    assert [w.rows for w in windows] == [1, 1, 2, 0, 0, 0, 0, 0, 0, 1]
    assert windows[3].label_coverage is None
    assert windows[-1].labelled == 0
    assert windows[0].start == D(2024, 1, 1) and windows[-1].end == D(2024, 1, 11)


def test_weeks_start_on_monday_and_are_clipped(gappy: Store) -> None:
    # 2024-01-01 is a Monday; start mid-week on Wednesday the 3rd.
    windows = calendar_windows(gappy.model("churn"), "week", D(2024, 1, 3), D(2024, 1, 12))
    assert [(w.start, w.end, w.rows) for w in windows] == [
        (D(2024, 1, 3), D(2024, 1, 8), 2),
        (D(2024, 1, 8), D(2024, 1, 12), 1),
    ]


def test_month_and_hour_periods(gappy: Store) -> None:
    months = calendar_windows(gappy.model("churn"), "month", D(2023, 12, 15), D(2024, 2, 10))
    assert [w.rows for w in months] == [0, 5, 0]
    hours = calendar_windows(gappy.model("churn"), "hour", D(2024, 1, 3), D(2024, 1, 3, 12))
    assert len(hours) == 12 and hours[10].rows == 2


def test_empty_range_and_unknown_period(gappy: Store) -> None:
    assert calendar_windows(gappy.model("churn"), "day", D(2024, 1, 5), D(2024, 1, 5)) == []
    with pytest.raises(MonitoringError, match=r"unknown period 'fortnight'; valid periods are"):
        calendar_windows(gappy.model("churn"), "fortnight", D(2024, 1, 1), D(2024, 2, 1))


def test_row_windows_keep_ties_together(store: Store) -> None:
    # Rows 2 and 3 share a timestamp and a chunk boundary (size 2) falls between
    # them: both go to the second window, which starts at that timestamp.
    times = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03", "2024-01-04"])
    log_records(tiny_records(5).assign(ts=times), tiny_spec(), db=store.path)
    windows = row_windows(store.model("churn"), 2, D(2024, 1, 1), D(2024, 2, 1))
    assert [(w.start, w.rows) for w in windows] == [
        (D(2024, 1, 1), 1),
        (D(2024, 1, 2), 3),
        (D(2024, 1, 4), 1),
    ]
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))
    assert windows[-1].end == D(2024, 2, 1)


def test_row_windows_sizes(gappy: Store) -> None:
    assert [w.rows for w in row_windows(gappy.model("churn"), 1, D(2024, 1, 1), D(2024, 1, 3))] == [
        1,
        1,
    ]
    assert [
        w.rows for w in row_windows(gappy.model("churn"), 100, D(2024, 1, 1), D(2024, 2, 1))
    ] == [5]
    assert row_windows(gappy.model("churn"), 3, D(2025, 1, 1), D(2025, 2, 1)) == []
    with pytest.raises(MonitoringError, match="at least 1 row"):
        row_windows(gappy.model("churn"), 0, D(2024, 1, 1), D(2024, 2, 1))


def test_window_count(gappy: Store) -> None:
    window = window_count(gappy.model("churn"), D(2024, 1, 3), D(2024, 1, 11))
    assert (window.rows, window.labelled) == (3, 2)
    assert window_count(gappy.model("churn"), D(2030, 1, 1), D(2030, 2, 1)).rows == 0
