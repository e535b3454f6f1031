"""Time as the store keeps it: naive UTC, half-open spans, labels for people."""

import datetime as dt
from zoneinfo import ZoneInfo

from monitoring.timeutil import naive_utc, range_label, span_label, through, utc_now

D = dt.datetime


def test_naive_utc_converts_aware_times_and_takes_dates_as_midnight() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert naive_utc(D(2024, 7, 1, 12, tzinfo=paris)) == D(2024, 7, 1, 10)
    assert naive_utc(D(2024, 7, 1, 12)) == D(2024, 7, 1, 12)
    assert naive_utc(dt.date(2024, 7, 1)) == D(2024, 7, 1)


def test_now_is_naive_and_whole_seconds() -> None:
    now = utc_now()
    assert now.tzinfo is None and now.microsecond == 0
    assert abs(now - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(seconds=5)


def test_span_labels_show_the_last_day_of_whole_days() -> None:
    assert span_label(D(2024, 2, 1), D(2024, 3, 1)) == "2024-02-01 → 2024-02-29"
    assert span_label(D(2024, 2, 1, 6), D(2024, 2, 1, 18)) == "2024-02-01 06:00 → 2024-02-01 18:00"


def test_a_range_of_records_includes_both_ends() -> None:
    last = D(2024, 2, 29, 23, 59)
    assert range_label(D(2024, 2, 1, 8), last) == "2024-02-01 → 2024-02-29"
    assert range_label(None, None) == "—"
    assert through(last) > last and through(last) - last == dt.timedelta(microseconds=1)
