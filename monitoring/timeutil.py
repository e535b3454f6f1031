"""Time as Driftwatch stores it: naive datetimes in UTC, windows as half-open spans.

Every timestamp in the database is a naive ``TIMESTAMP`` in UTC (aware values
are converted on the way in), so every moment that meets the data goes
through :func:`naive_utc` first. A window is ``(start, end)`` with ``end``
excluded (:data:`Bounds`); :func:`span_label` is how people see one.
"""

from __future__ import annotations

import datetime as dt

Bounds = tuple[dt.datetime, dt.datetime]
TICK = dt.timedelta(microseconds=1)  # the smallest step of a stored timestamp


def naive_utc(moment: dt.datetime | dt.date) -> dt.datetime:
    """``moment`` in the stored convention: an aware datetime converted to naive UTC,
    a naive one kept as it is, a date taken as its midnight."""
    if isinstance(moment, dt.datetime):
        return moment if moment.tzinfo is None else moment.astimezone(dt.UTC).replace(tzinfo=None)
    return dt.datetime(moment.year, moment.month, moment.day)


def utc_now() -> dt.datetime:
    """Now, naive UTC, to the whole second (what "computed at" and "uploaded at" store)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def through(last: dt.datetime) -> dt.datetime:
    """The exclusive end of a span whose last record is at ``last``."""
    return last + TICK


def short(moment: dt.datetime) -> str:
    """``2013-07-01``, or ``2013-07-01 06:00`` when the moment is not a midnight."""
    return moment.strftime("%Y-%m-%d" if moment.time() == dt.time() else "%Y-%m-%d %H:%M")


def span_label(start: dt.datetime, end: dt.datetime) -> str:
    """A half-open span for people: whole days show their last day
    (``2013-01-01 → 2013-02-28``), other bounds their times."""
    if start.time() == end.time() == dt.time():
        return f"{short(start)} → {short(end - dt.timedelta(days=1))}"
    return f"{short(start)} → {short(end)}"


def range_label(first: dt.datetime | None, last: dt.datetime | None) -> str:
    """The days of a first and a last record (both included), or ``—`` without records."""
    if first is None or last is None:
        return "—"
    return f"{first:%Y-%m-%d} → {last:%Y-%m-%d}"
