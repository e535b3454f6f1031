"""Window shapes, the reference's atoms and calibration windows, and seasons."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from monitoring.drift.calibration import MIN_WINDOWS
from monitoring.drift.shapes import (
    CHUNKS_PER_WINDOW,
    MAX_BLOCKS,
    Atoms,
    Shape,
    calendar_atoms,
    calibration_windows,
    season_cycle,
    seasons,
)
from monitoring.errors import MonitoringError

D = dt.datetime
MONDAY = D(2024, 1, 1)  # 2024-01-01 is a Monday
DAY, HOUR = dt.timedelta(days=1), dt.timedelta(hours=1)


def weeks(n: int, start: D = MONDAY) -> tuple[D, D]:
    return start, start + 7 * n * DAY


def chunks(n: int, rows: int) -> Atoms:
    """``n`` row chunks of a row shape, one per minute (their times do not matter)."""
    shape = Shape.of_rows(rows)
    minute = dt.timedelta(minutes=1)
    return Atoms(shape, tuple((MONDAY + i * minute, MONDAY + (i + 1) * minute) for i in range(n)))


# --------------------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    ("period", "unit", "length"),
    [("hour", "hour", 1), ("day", "day", 1), ("week", "day", 7), ("month", "day", 30)],
)
def test_a_calendar_period_is_a_run_of_hours_or_days(period: str, unit: str, length: int) -> None:
    shape = Shape.of_period(period)
    assert (shape.unit, shape.length, shape.period, shape.rows) == (unit, length, period, None)
    assert shape.label() == period


def test_a_row_shape_is_ten_chunks_of_a_tenth_of_the_rows_rounded_up() -> None:
    shape = Shape.of_rows(5000)
    assert (shape.unit, shape.length, shape.period, shape.rows) == ("chunk", 10, None, 5000)
    assert CHUNKS_PER_WINDOW == 10
    assert shape.chunk_rows == 500
    assert Shape.of_rows(5001).chunk_rows == 501
    assert Shape.of_rows(3).chunk_rows == 1
    assert shape.label() == "5,000 rows"


@pytest.mark.parametrize(
    ("bounds", "expected", "label"),
    [
        ((D(2024, 2, 1), D(2024, 3, 1)), Shape.of_period("month"), "month"),
        ((D(2024, 3, 4), D(2024, 3, 11)), Shape.of_period("week"), "week"),
        ((D(2024, 3, 5), D(2024, 3, 6)), Shape.of_period("day"), "day"),
        ((D(2024, 3, 5, 13), D(2024, 3, 5, 14)), Shape.of_period("hour"), "hour"),
        ((D(2024, 3, 5), D(2024, 3, 12)), Shape("day", 7), "7-day window"),  # Tuesday to Tuesday
        ((D(2024, 3, 1), D(2024, 3, 11)), Shape("day", 10), "10-day window"),
        ((D(2024, 3, 5, 6), D(2024, 3, 5, 12)), Shape("hour", 6), "6-hour window"),
        ((D(2024, 3, 5, 6, 20), D(2024, 3, 5, 6, 40)), Shape("hour", 1), "1-hour window"),
    ],
)
def test_of_span_names_a_whole_period_by_its_period_and_anything_else_by_its_length(
    bounds: tuple[D, D], expected: Shape, label: str
) -> None:
    shape = Shape.of_span(bounds)
    assert shape == expected
    assert shape.label() == label


# --------------------------------------------------------------------------- atoms


def test_the_days_of_a_reference_of_whole_weeks_are_its_atoms() -> None:
    atoms = calendar_atoms(Shape.of_period("week"), weeks(8))
    assert len(atoms) == 56
    assert atoms.starts == tuple(MONDAY + i * DAY for i in range(56))
    assert all(end - start == DAY for start, end in atoms.bounds)


def test_hourly_atoms_cover_every_hour_even_empty_ones() -> None:
    atoms = calendar_atoms(Shape.of_period("hour"), (MONDAY, MONDAY + 3 * DAY))
    assert len(atoms) == 72
    assert atoms.bounds[-1] == (MONDAY + 71 * HOUR, MONDAY + 72 * HOUR)


def test_atoms_are_clipped_to_a_reference_that_starts_and_ends_inside_a_day() -> None:
    reference = (D(2024, 1, 1, 6, 30), D(2024, 1, 4, 12))
    atoms = calendar_atoms(Shape.of_period("day"), reference)
    assert atoms.bounds == (
        (D(2024, 1, 1, 6, 30), D(2024, 1, 2)),
        (D(2024, 1, 2), D(2024, 1, 3)),
        (D(2024, 1, 3), D(2024, 1, 4)),
        (D(2024, 1, 4), D(2024, 1, 4, 12)),
    )
    hourly = calendar_atoms(Shape.of_period("hour"), (D(2024, 1, 1, 6, 30), D(2024, 1, 1, 9)))
    assert hourly.bounds[0] == (D(2024, 1, 1, 6, 30), D(2024, 1, 1, 7))
    assert len(hourly) == 3


# --------------------------------------------------------------------------- calibration windows


def test_enough_whole_weeks_are_the_calibration_windows_themselves() -> None:
    shape = Shape.of_period("week")
    runs = calibration_windows(calendar_atoms(shape, weeks(MIN_WINDOWS + 5)))
    assert runs.method == "reference windows"
    assert runs.runs == tuple((7 * i, 7 * i + 7) for i in range(MIN_WINDOWS + 5))
    assert runs.describe(shape) == f"{MIN_WINDOWS + 5} reference windows of one week"


def test_a_reference_starting_mid_week_skips_the_clipped_first_week() -> None:
    shape = Shape.of_period("week")
    wednesday = MONDAY + 2 * DAY
    atoms = calendar_atoms(shape, (wednesday, MONDAY + 7 * (MIN_WINDOWS + 1) * DAY + 3 * DAY))
    runs = calibration_windows(atoms)
    assert runs.method == "reference windows"
    assert len(runs) == MIN_WINDOWS  # weeks 2 … 21; neither partial week counts
    assert runs.runs[0] == (5, 12) and atoms.starts[5] == MONDAY + 7 * DAY
    assert all(atoms.starts[a].weekday() == 0 and b - a == 7 for a, b in runs.runs)


def test_whole_months_are_runs_of_their_own_number_of_days() -> None:
    shape = Shape.of_period("month")
    atoms = calendar_atoms(shape, (D(2023, 1, 1), D(2025, 1, 1)))
    runs = calibration_windows(atoms)
    assert runs.method == "reference windows" and len(runs) == 24
    lengths = [b - a for a, b in runs.runs]
    assert lengths[:3] == [31, 28, 31] and lengths[12 + 1] == 29  # February 2024
    assert [atoms.starts[a] for a, _ in runs.runs][12] == D(2024, 1, 1)
    assert runs.runs[-1][1] == len(atoms) == 731


def test_fewer_whole_weeks_than_needed_give_every_contiguous_block_of_a_week() -> None:
    shape = Shape.of_period("week")
    runs = calibration_windows(calendar_atoms(shape, weeks(MIN_WINDOWS - 1)))
    days = 7 * (MIN_WINDOWS - 1)
    assert runs.method == "resampled blocks"
    assert runs.runs == tuple((s, s + 7) for s in range(days - 7 + 1))
    assert runs.describe(shape) == f"{days - 6} resampled 7-day blocks of the reference"


def test_resampled_blocks_are_at_most_max_blocks_evenly_spread_over_the_reference() -> None:
    shape = Shape.of_period("month")
    atoms = calendar_atoms(shape, (D(2024, 1, 1), D(2025, 1, 1)))  # 12 months, 366 days
    runs = calibration_windows(atoms)
    starts = np.array([a for a, _ in runs.runs])
    assert runs.method == "resampled blocks"
    assert 0.9 * MAX_BLOCKS <= len(runs) <= MAX_BLOCKS
    assert all(b - a == 30 for a, b in runs.runs)
    assert starts[0] == 0 and runs.runs[-1][1] == 366
    assert np.all(np.diff(starts) > 0) and np.diff(starts).max() <= 2
    assert runs.describe(shape) == f"{len(runs)} resampled 30-day blocks of the reference"


def test_a_span_shape_is_always_calibrated_on_blocks() -> None:
    shape = Shape("day", 10)
    runs = calibration_windows(calendar_atoms(shape, (MONDAY, MONDAY + 60 * DAY)))
    assert runs.method == "resampled blocks"
    assert runs.runs == tuple((s, s + 10) for s in range(51))
    assert runs.describe(shape) == "51 resampled 10-day blocks of the reference"


def test_hours_and_days_of_a_long_enough_reference_are_its_own() -> None:
    hourly = calibration_windows(calendar_atoms(Shape.of_period("hour"), (MONDAY, MONDAY + DAY)))
    daily = calibration_windows(calendar_atoms(Shape.of_period("day"), weeks(4)))
    assert hourly.method == daily.method == "reference windows"
    assert hourly.runs == tuple((i, i + 1) for i in range(24))
    assert len(daily) == 28


def test_row_windows_are_consecutive_groups_of_ten_chunks_or_blocks_of_ten() -> None:
    shape = Shape.of_rows(5000)
    whole = calibration_windows(chunks(10 * MIN_WINDOWS + 7, 5000))
    assert whole.method == "reference windows"
    assert whole.runs == tuple((10 * i, 10 * i + 10) for i in range(MIN_WINDOWS))
    exact = calibration_windows(chunks(10 * MIN_WINDOWS, 5000))
    assert exact.method == "reference windows" and exact.runs == whole.runs
    assert whole.describe(shape) == f"{MIN_WINDOWS} reference windows of 5,000 rows"
    blocks = calibration_windows(chunks(150, 5000))
    assert blocks.method == "resampled blocks"
    assert blocks.runs == tuple((s, s + 10) for s in range(141))
    assert blocks.describe(shape) == "141 resampled 5,000-row blocks of the reference"


def test_a_reference_too_short_for_ten_blocks_cannot_be_calibrated() -> None:
    shape = Shape.of_period("week")
    with pytest.raises(MonitoringError) as raised:
        calibration_windows(calendar_atoms(shape, (MONDAY, MONDAY + 15 * DAY)))
    assert str(raised.value) == (
        "the reference is too short to calibrate week windows: it holds 15 day(s), and "
        "calibrating needs at least 16"
    )
    # Sixteen days are enough: ten blocks of seven days.
    enough = calibration_windows(calendar_atoms(shape, (MONDAY, MONDAY + 16 * DAY)))
    assert enough.method == "resampled blocks" and len(enough) == 10


def test_a_long_window_needs_a_rest_of_half_its_length() -> None:
    shape = Shape.of_period("month")  # 30 days: each block against at least 15 others
    with pytest.raises(MonitoringError, match="calibrating needs at least 45"):
        calibration_windows(calendar_atoms(shape, (MONDAY, MONDAY + 44 * DAY)))
    assert len(calibration_windows(calendar_atoms(shape, (MONDAY, MONDAY + 45 * DAY)))) == 16


def test_too_few_row_chunks_name_the_row_shape() -> None:
    with pytest.raises(MonitoringError, match=r"calibrate 5,000-row windows: it holds 18 chunk"):
        calibration_windows(chunks(18, 5000))
    assert len(calibration_windows(chunks(19, 5000))) == 10


# --------------------------------------------------------------------------- seasons


def test_seasons_are_hour_of_day_weekday_or_month_and_none_for_rows() -> None:
    starts = [D(2024, 1, 1, 5), D(2024, 2, 14, 23), D(2024, 7, 6, 0)]  # Mon, Wed, Sat
    np.testing.assert_array_equal(seasons(starts, "hour"), [5, 23, 0])
    np.testing.assert_array_equal(seasons(starts, "day"), [0, 2, 5])
    np.testing.assert_array_equal(seasons(starts, "week"), [1, 2, 7])
    np.testing.assert_array_equal(seasons(starts, "month"), [1, 2, 7])
    assert seasons(starts, None) is None


def test_daily_atoms_of_four_weeks_hold_each_weekday_four_times() -> None:
    atoms = calendar_atoms(Shape.of_period("day"), weeks(4))
    season = seasons(atoms.starts, "day")
    assert season is not None
    assert np.bincount(season).tolist() == [4] * 7


def test_season_cycles_are_named_for_messages() -> None:
    assert [season_cycle(p) for p in ("hour", "day", "week", "month", None)] == [
        "hour of day",
        "weekday",
        "month",
        "month",
        "none",
    ]
