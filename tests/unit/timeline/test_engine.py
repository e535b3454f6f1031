"""The drift timeline: verdicts, the binned tests against exact ones, storage and windowing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from monitoring import log_records
from monitoring.drift.config import DriftConfig
from monitoring.drift.engine import run_drift
from monitoring.errors import MonitoringError
from monitoring.store.connection import Store
from monitoring.store.windows import Window, WindowPlan
from monitoring.timeline.engine import covariate_verdicts, run_timeline
from tests.unit.timeline.timeline_data import records, spec


@pytest.fixture
def shifted(store: Store) -> Store:
    """January reference, calm first half of February, ``age`` shifted by 1 std after."""
    log_records(records("2024-01-01", 31), spec(), db=store.path)
    log_records(records("2024-02-01", 14, seed=1), spec(), db=store.path)
    log_records(records("2024-02-15", 14, age_shift=1.0, seed=2), spec(), db=store.path)
    return store


def test_shifted_weeks_drift_and_the_rule_is_the_engines(shifted: Store) -> None:
    windows = WindowPlan("week", start=dt.datetime(2024, 2, 5)).windows(shifted.model("churn"))
    timeline = run_timeline(shifted, "churn", windows)
    by_start = {w.start.date().isoformat(): w for w in timeline.windows}
    assert by_start["2024-02-05"].drifted is False
    assert by_start["2024-02-19"].drifted_features == ("age",)
    for w in timeline.windows:
        for c in w.cells:
            if c.p_value is None:
                continue
            expected = c.p_value < w.threshold and c.effect >= timeline.config.min_effect
            assert c.drifted == expected
    assert timeline.feature_order()[0] == "age"


def test_binned_tests_agree_with_the_exact_ones(shifted: Store) -> None:
    window = (dt.datetime(2024, 2, 19), dt.datetime(2024, 2, 26))
    cut = [Window(*window, rows=1)]
    timeline = run_timeline(shifted, "churn", cut, min_rows=1)
    cells = {c.feature: c for c in timeline.windows[0].cells}
    frame = shifted.query('SELECT * FROM "records:churn"')
    ref = frame[(frame.ts >= "2024-01-01") & (frame.ts < "2024-02-01")]
    cur = frame[(frame.ts >= window[0]) & (frame.ts < window[1])]
    for column in ("age", "income"):
        exact = stats.ks_2samp(ref[column], cur[column])
        assert cells[column].statistic == pytest.approx(exact.statistic, abs=0.01)
        assert np.log10(cells[column].p_value + 1e-300) == pytest.approx(
            np.log10(exact.pvalue + 1e-300), abs=max(1.0, 0.1 * -np.log10(exact.pvalue + 1e-300))
        )
    report = run_drift(shifted, "churn", window)
    for column in ("age", "income", "plan"):
        engine = report.column(column)
        assert cells[column].effect == pytest.approx(engine.effect, rel=0.02, abs=0.005)
        assert cells[column].drifted == engine.drifted
    assert cells["plan"].p_value == pytest.approx(report.column("plan").p_value, rel=1e-6)


def test_stored_windows_are_reused_until_an_import_touches_them(shifted: Store) -> None:
    windows = WindowPlan("week", start=dt.datetime(2024, 2, 5)).windows(shifted.model("churn"))
    seen: list[tuple[int, int]] = []
    first = run_timeline(shifted, "churn", windows, progress=lambda d, t: seen.append((d, t)))
    assert first.computed == len(windows) and seen[-1] == (len(windows), len(windows))
    again = run_timeline(shifted, "churn", windows)
    assert again.computed == 0 and again.windows == first.windows
    log_records(records("2024-02-20", 1, per_day=50, seed=9), spec(), db=shifted.path)
    windows = WindowPlan("week", start=dt.datetime(2024, 2, 5)).windows(shifted.model("churn"))
    assert run_timeline(shifted, "churn", windows).computed == 1
    log_records(records("2024-01-10", 1, per_day=50, seed=8), spec(), db=shifted.path)
    assert run_timeline(shifted, "churn", windows).computed == len(windows)
    other = run_timeline(shifted, "churn", windows, DriftConfig(correction="fdr"))
    assert other.computed == len(windows)


def test_empty_and_small_windows_are_not_tested(store: Store) -> None:
    log_records(records("2024-01-01", 31), spec(), db=store.path)
    log_records(records("2024-02-10", 1, per_day=12, seed=3), spec(), db=store.path)
    log_records(records("2024-02-20", 1, per_day=300, seed=4), spec(), db=store.path)
    windows = WindowPlan("day", start=dt.datetime(2024, 2, 1)).windows(store.model("churn"))
    verdicts = covariate_verdicts(store, "churn", windows)
    timeline = run_timeline(store, "churn", windows)
    status = {w.start.date().isoformat(): w.status for w in timeline.windows}
    assert status["2024-02-05"] == "empty"
    assert status["2024-02-10"] == "too_few"
    assert status["2024-02-20"] == "tested"
    assert verdicts[dt.datetime(2024, 2, 5)] is None
    assert verdicts[dt.datetime(2024, 2, 10)] is None
    assert verdicts[dt.datetime(2024, 2, 20)] is not None
    assert set(verdicts) == {w.start for w in windows}


def test_missing_values_count_as_missing_not_as_the_lowest_bin(store: Store) -> None:
    log_records(records("2024-01-01", 31), spec(), db=store.path)
    february = records("2024-02-01", 7, seed=6)
    february.loc[february.index % 4 == 0, "age"] = np.nan  # a quarter of ages missing
    log_records(february, spec(), db=store.path)
    windows = WindowPlan("day", start=dt.datetime(2024, 2, 1)).windows(store.model("churn"))
    for window in run_timeline(store, "churn", windows).windows:
        age = next(c for c in window.cells if c.feature == "age")
        day = february[(february.ts >= window.start) & (february.ts < window.end)]
        assert age.n == day.age.notna().sum()
        assert age.missing == pytest.approx(day.age.isna().mean())
        assert age.drifted is False  # the values present are calm


def test_a_one_row_window_has_no_verdict_even_when_allowed(store: Store) -> None:
    log_records(records("2024-01-01", 31), spec(), db=store.path)
    log_records(records("2024-02-10", 1, per_day=1, seed=3), spec(), db=store.path)
    windows = [w for w in WindowPlan("day").windows(store.model("churn")) if w.rows == 1]
    timeline = run_timeline(store, "churn", windows, min_rows=1)
    assert timeline.windows[0].status == "tested"
    assert timeline.windows[0].drifted is None
    assert {c.status for c in timeline.windows[0].cells} == {"too_few"}


def test_dst_days_are_24_hours_of_naive_time(store: Store) -> None:
    log_records(records("2024-01-01", 31), spec(), db=store.path)
    hourly = records("2024-03-30", 3, per_day=24, seed=5)
    hourly["ts"] = pd.date_range("2024-03-30", periods=72, freq="h")
    log_records(hourly, spec(), db=store.path)
    days = WindowPlan("day", start=dt.datetime(2024, 3, 30), end=dt.datetime(2024, 4, 2)).windows(
        store.model("churn")
    )
    assert [(w.end - w.start, w.rows) for w in days] == [(dt.timedelta(days=1), 24)] * 3
    paris = ZoneInfo("Europe/Paris")
    aware = WindowPlan(
        "hour",
        start=dt.datetime(2024, 3, 31, 1, tzinfo=paris),
        end=dt.datetime(2024, 3, 31, 4, tzinfo=paris),
    ).windows(store.model("churn"))
    # 01:00 CET is 00:00 UTC; 04:00 CEST is 02:00 UTC: two naive hours.
    assert [w.start.hour for w in aware] == [0, 1]


def test_bad_arguments_are_refused(store: Store) -> None:
    log_records(records("2024-01-01", 3), spec(), db=store.path)
    a = Window(dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 3), 10)
    b = Window(dt.datetime(2024, 1, 2), dt.datetime(2024, 1, 4), 10)
    with pytest.raises(MonitoringError, match="overlap"):
        run_timeline(store, "churn", [a, b])
    with pytest.raises(MonitoringError, match="min_rows"):
        run_timeline(store, "churn", [a], min_rows=0)
    assert run_timeline(store, "churn", []).windows == ()


def test_hostile_column_names_are_quoted(store: Store) -> None:
    hostile = 'a"; DROP TABLE x; --'
    frame = records("2024-01-01", 40).rename(columns={"age": hostile})
    named = spec(numeric_features=(hostile, "income"))
    log_records(frame, named, db=store.path)
    # The week of 29 January is whole; the one of 5 February is clipped by the data's end.
    windows = WindowPlan("week", start=dt.datetime(2024, 1, 29)).windows(store.model("churn"))
    timeline = run_timeline(store, "churn", windows)
    assert hostile in timeline.features
    assert [w.status for w in timeline.windows] == ["tested", "partial"]
    assert {c.feature for c in timeline.windows[0].cells} >= {hostile, "income"}
