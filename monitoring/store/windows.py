"""Windows over a model's records, computed in SQL at query time.

A window is a half-open time range ``[start, end)`` of the timestamp column.
Calendar windows (hour, day, week, month) are aligned to the period's start
(weeks start on Monday) and include empty periods, so a gap in traffic shows as
a window with zero rows. Row-count windows cut the records, in time order, into
consecutive runs of ``size`` rows; their ``end`` is just past their last
timestamp, so every record falls in exactly one window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from monitoring.errors import MonitoringError
from monitoring.store.connection import Store, quote_ident

Period = Literal["hour", "day", "week", "month"]
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
    def label_coverage(self) -> float | None:
        """Share of rows whose label has arrived; ``None`` for an empty window."""
        return self.labelled / self.rows if self.rows else None


def calendar_windows(
    store: Store, model: str, period: str, start: dt.datetime, end: dt.datetime
) -> list[Window]:
    """Every ``period`` overlapping ``[start, end)``, clipped to it, with row counts."""
    if period not in PERIODS:
        raise MonitoringError(f"unknown period {period!r}; valid periods are {list(PERIODS)}")
    if start >= end:
        return []
    spec = store.spec(model)
    ts = quote_ident(spec.timestamp)
    labelled = f"count({quote_ident(spec.target)})" if spec.target else "0"
    sql = f"""
        WITH bounds AS (
            SELECT range AS period_start, range + INTERVAL '{_STEP[period]}' AS period_end
            FROM range(date_trunc('{period}', $start::TIMESTAMP), $end::TIMESTAMP,
                       INTERVAL '{_STEP[period]}')
        ), counts AS (
            SELECT date_trunc('{period}', {ts}) AS period_start, count(*) AS n,
                   {labelled} AS labelled
            FROM {store.table(model)}
            WHERE {ts} >= $start AND {ts} < $end
            GROUP BY 1
        )
        SELECT greatest(b.period_start, $start::TIMESTAMP) AS start,
               least(b.period_end, $end::TIMESTAMP) AS "end",
               coalesce(c.n, 0) AS n, coalesce(c.labelled, 0) AS labelled
        FROM bounds b LEFT JOIN counts c USING (period_start)
        ORDER BY b.period_start
    """
    frame = store.query(sql, {"start": start, "end": end})
    return _windows(frame)


def row_windows(
    store: Store, model: str, size: int, start: dt.datetime, end: dt.datetime
) -> list[Window]:
    """Consecutive runs of ``size`` records (the last may be shorter) inside ``[start, end)``."""
    if size < 1:
        raise MonitoringError(f"a row-count window needs at least 1 row, got {size}")
    spec = store.spec(model)
    ts = quote_ident(spec.timestamp)
    target = quote_ident(spec.target) if spec.target else "NULL"
    # Ties on a boundary timestamp stay together: a window ends where the next begins.
    sql = f"""
        WITH numbered AS (
            SELECT {ts} AS ts, {target} AS target,
                   (row_number() OVER (ORDER BY {ts}) - 1) // $size AS chunk
            FROM {store.table(model)}
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
    frame = store.query(sql, {"start": start, "end": end, "size": size})
    return _windows(frame)


def window_count(store: Store, model: str, start: dt.datetime, end: dt.datetime) -> Window:
    """One window ``[start, end)`` with its row and label counts."""
    spec = store.spec(model)
    ts = quote_ident(spec.timestamp)
    labelled = f"count({quote_ident(spec.target)})" if spec.target else "0"
    n, k = store.query(
        f"SELECT count(*) AS n, {labelled} AS k FROM {store.table(model)} "
        f"WHERE {ts} >= ? AND {ts} < ?",
        [start, end],
    ).iloc[0]
    return Window(start, end, int(n), int(k))


def _windows(frame: pd.DataFrame) -> list[Window]:
    return [
        Window(r.start.to_pydatetime(), r.end.to_pydatetime(), int(r.n), int(r.labelled))
        for r in frame.itertuples(index=False)
    ]


def window_records(
    store: Store, model: str, start: dt.datetime, end: dt.datetime, limit: int = 500
) -> pd.DataFrame:
    """The newest ``limit`` records of ``[start, end)``, newest first, in the spec's columns."""
    spec = store.spec(model)
    ts = quote_ident(spec.timestamp)
    columns = ", ".join(quote_ident(c) for c in spec.columns())
    return store.query(
        f"SELECT {columns} FROM {store.table(model)} WHERE {ts} >= ? AND {ts} < ? "
        f"ORDER BY {ts} DESC LIMIT ?",
        [start, end, limit],
    )
