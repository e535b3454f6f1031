"""Windows over a model's records, computed in SQL at query time, and the plan that cuts them.

A window is a half-open time range ``[start, end)`` of the timestamp column.
Calendar windows (hour, day, week, month) are aligned to the period's start
(weeks start on Monday) and include empty periods, so a gap in traffic shows as
a window with zero rows. Row-count windows cut the records, in time order, into
consecutive runs of ``size`` rows; their ``end`` is just past their last
timestamp, so every record falls in exactly one window.

A :class:`WindowPlan` says how windows are cut (a period or a row count) over
which range; it is the one object the timeline, performance, alerts and the
app's caches pass around.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pandas as pd

from monitoring.errors import MonitoringError
from monitoring.store.connection import ModelHandle
from monitoring.store.sql import quote_ident
from monitoring.timeutil import Bounds, naive_utc, through

PERIODS: tuple[str, ...] = ("hour", "day", "week", "month")
_STEP = {"hour": "1 hour", "day": "1 day", "week": "7 days", "month": "1 month"}


@dataclass(frozen=True)
class Window:
    """A half-open time range ``[start, end)`` and how many records fall in it."""

    start: dt.datetime
    end: dt.datetime
    rows: int = 0
    labelled: int = 0

    @property
    def bounds(self) -> Bounds:
        return self.start, self.end

    @property
    def label_coverage(self) -> float | None:
        """Share of rows whose label has arrived; ``None`` for an empty window."""
        return self.labelled / self.rows if self.rows else None


@dataclass(frozen=True)
class WindowPlan:
    """How windows are cut: calendar ``period``\\ s, or runs of ``rows`` records, over a range.

    ``start``/``end`` default to the model's first record and just past its
    last; time-zone-aware bounds are taken as naive UTC, like stored
    timestamps. Frozen and hashable: the app caches results by it.
    """

    period: str | None = "week"
    rows: int | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None

    def __post_init__(self) -> None:
        if self.rows is not None:
            if self.rows < 1:
                raise MonitoringError(f"a row-count window needs at least 1 row, got {self.rows}")
            object.__setattr__(self, "period", None)
        elif self.period is None:
            raise MonitoringError("choose a calendar period or a number of rows per window")
        elif self.period not in PERIODS:
            raise MonitoringError(
                f"unknown period {self.period!r}; valid periods are {list(PERIODS)}"
            )
        for name in ("start", "end"):
            moment = getattr(self, name)
            if moment is not None:
                object.__setattr__(self, name, naive_utc(moment))

    @property
    def unit(self) -> str:
        """What one window is, in words: ``week`` or ``5,000 rows``."""
        return f"{self.rows:,} rows" if self.rows is not None else str(self.period)

    def over(self, start: dt.datetime | None, end: dt.datetime | None) -> WindowPlan:
        """The same cut over another range."""
        return replace(self, start=start, end=end)

    def bounds(self, model: ModelHandle) -> Bounds | None:
        """``[start, end)`` with a missing bound taken from the data; ``None`` when empty."""
        if self.start is not None and self.end is not None:
            return (self.start, self.end) if self.start < self.end else None
        span = data_range(model)
        if span is None:
            return None
        lo, hi = self.start or span[0], self.end or span[1]
        return (lo, hi) if lo < hi else None

    def windows(self, model: ModelHandle) -> list[Window]:
        """The windows of ``model`` this plan cuts, with their row and label counts."""
        bounds = self.bounds(model)
        if bounds is None:
            return []
        if self.rows is not None:
            return row_windows(model, self.rows, *bounds)
        assert self.period is not None
        return calendar_windows(model, self.period, *bounds)


def data_range(model: ModelHandle) -> Bounds | None:
    """``[first record, last record + 1 µs)``, or ``None`` for a model without records."""
    ts = model.timestamp
    row = model.store.query(f"SELECT min({ts}) AS lo, max({ts}) AS hi FROM {model.table}").iloc[0]
    if pd.isna(row["lo"]):
        return None
    return row["lo"].to_pydatetime(), through(row["hi"].to_pydatetime())


def calendar_windows(
    model: ModelHandle, period: str, start: dt.datetime, end: dt.datetime
) -> list[Window]:
    """Every ``period`` overlapping ``[start, end)``, clipped to it, with row counts."""
    if period not in PERIODS:
        raise MonitoringError(f"unknown period {period!r}; valid periods are {list(PERIODS)}")
    if start >= end:
        return []
    ts = model.timestamp
    sql = f"""
        WITH bounds AS (
            SELECT range AS period_start, range + INTERVAL '{_STEP[period]}' AS period_end
            FROM range(date_trunc('{period}', $start::TIMESTAMP), $end::TIMESTAMP,
                       INTERVAL '{_STEP[period]}')
        ), counts AS (
            SELECT date_trunc('{period}', {ts}) AS period_start, count(*) AS n,
                   {model.labelled()} AS labelled
            FROM {model.table}
            WHERE {ts} >= $start AND {ts} < $end
            GROUP BY 1
        )
        SELECT greatest(b.period_start, $start::TIMESTAMP) AS start,
               least(b.period_end, $end::TIMESTAMP) AS "end",
               coalesce(c.n, 0) AS n, coalesce(c.labelled, 0) AS labelled
        FROM bounds b LEFT JOIN counts c USING (period_start)
        ORDER BY b.period_start
    """
    return _windows(model.store.query(sql, {"start": start, "end": end}))


def row_windows(
    model: ModelHandle, size: int, start: dt.datetime, end: dt.datetime
) -> list[Window]:
    """Consecutive runs of ``size`` records (the last may be shorter) inside ``[start, end)``."""
    if size < 1:
        raise MonitoringError(f"a row-count window needs at least 1 row, got {size}")
    ts = model.timestamp
    target = quote_ident(model.spec.target) if model.spec.target else "NULL"
    # Ties on a boundary timestamp stay together: a window ends where the next begins.
    sql = f"""
        WITH numbered AS (
            SELECT {ts} AS ts, {target} AS target,
                   (row_number() OVER (ORDER BY {ts}) - 1) // $size AS chunk
            FROM {model.table}
            WHERE {ts} >= $start AND {ts} < $end
        ), chunks AS (
            SELECT chunk, min(ts) AS first_ts FROM numbered GROUP BY chunk
        ), cut AS (
            SELECT first_ts AS start,
                   coalesce(lead(first_ts) OVER (ORDER BY chunk), $end::TIMESTAMP) AS "end"
            FROM chunks
        )
        SELECT c.start, c."end", count(n.ts) AS n, count(n.target) AS labelled
        FROM cut c LEFT JOIN numbered n ON n.ts >= c.start AND n.ts < c."end"
        WHERE c.start < c."end"
        GROUP BY c.start, c."end"
        ORDER BY c.start
    """
    return _windows(model.store.query(sql, {"start": start, "end": end, "size": size}))


def window_count(model: ModelHandle, start: dt.datetime, end: dt.datetime) -> Window:
    """One window ``[start, end)`` with its row and label counts."""
    ts = model.timestamp
    n, k = model.store.query(
        f"SELECT count(*) AS n, {model.labelled()} AS k FROM {model.table} "
        f"WHERE {ts} >= ? AND {ts} < ?",
        [start, end],
    ).iloc[0]
    return Window(start, end, int(n), int(k))


def _windows(frame: pd.DataFrame) -> list[Window]:
    return [
        Window(r.start.to_pydatetime(), r.end.to_pydatetime(), int(r.n), int(r.labelled))
        for r in frame.itertuples(index=False)
    ]


def outcome_records(model: ModelHandle, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """``ts``, ``prediction``, ``target`` and ``score`` of ``[start, end)`` in time order.

    ``score`` is the binary model's P(positive) column, NULL without one; the
    model must have a target column.
    """
    spec = model.spec
    assert spec.target is not None
    score = quote_ident(spec.scores[0]) if spec.task == "binary" and spec.scores else "NULL"
    ts = model.timestamp
    return model.store.query(
        f"SELECT {ts} AS ts, {quote_ident(spec.prediction)} AS prediction, "
        f"{quote_ident(spec.target)} AS target, {score} AS score "
        f"FROM {model.table} WHERE {ts} >= ? AND {ts} < ? ORDER BY {ts}",
        [start, end],
    )


def window_records(
    model: ModelHandle, start: dt.datetime, end: dt.datetime, limit: int = 500
) -> pd.DataFrame:
    """The newest ``limit`` records of ``[start, end)``, newest first, in the spec's columns."""
    ts = model.timestamp
    columns = ", ".join(quote_ident(c) for c in model.spec.columns())
    return model.store.query(
        f"SELECT {columns} FROM {model.table} WHERE {ts} >= ? AND {ts} < ? "
        f"ORDER BY {ts} DESC LIMIT ?",
        [start, end, limit],
    )
