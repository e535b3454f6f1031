"""Grouped DuckDB counts behind the drift timeline: bins fitted on the reference, then
counts per window (or per day of the reference) in one scan.

**Counts** (:func:`count_windows`): every feature in every window of a batch
with one query: one ``GROUP BY`` per feature over the same record-to-window
assignment, which is inlined rather than materialised (each part then reads
only its own column). Records are assigned to windows by ``date_trunc`` alone
when the windows are whole calendar periods (only the first and last may be
clipped), by a hash join on the period for other calendar windows, and by an
``ASOF`` join on the window starts otherwise (runs of N rows). The reference's
days (or hours) are counted the same way: they are calendar windows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from monitoring.store.bins import Layout
from monitoring.store.reads import Source
from monitoring.store.sql import quote_ident
from monitoring.timeutil import Bounds

_WINDOWS_VIEW = "dw_timeline_batch"
_EPOCH = dt.datetime(1970, 1, 1)
_ROWS = -1  # the feature id of a window's row count


@dataclass(frozen=True)
class Counts:
    """Counts of one batch of windows (index ``0 … W-1``).

    ``rows`` is each window's row count; ``numeric[column]`` is ``(counts,
    sums)``, both ``W × bins`` (sums of the values themselves);
    ``categorical[column][w]`` maps each value to its count.
    """

    windows: int
    rows: np.ndarray
    numeric: Mapping[str, tuple[np.ndarray, np.ndarray]]
    categorical: Mapping[str, list[dict[str, int]]]

    def non_null(self, column: str) -> np.ndarray:
        """Each window's non-NULL values of ``column``."""
        if column in self.numeric:
            return self.numeric[column][0].sum(axis=1)
        return np.array([sum(c.values()) for c in self.categorical[column]], dtype=np.float64)


def count_windows(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    layout: Layout,
    windows: Sequence[Bounds],
) -> Counts:
    """Count every feature of ``layout`` in each window (sorted, non-overlapping), in one scan."""
    return _count(con, source, layout, _plan(source, windows))


@dataclass(frozen=True)
class _Plan:
    """How one scan assigns records to slots.

    ``key`` is an SQL ``BIGINT`` per record; ``keys`` holds each slot's key
    value (records with another key are dropped), or is ``None`` when the key
    is the slot index itself.
    """

    slots: int
    key: str
    where: str
    params: dict[str, object]
    join: str = ""
    keys: np.ndarray | None = None
    frame: pd.DataFrame | None = None


def _plan(source: Source, windows: Sequence[Bounds]) -> _Plan:
    n_windows = len(windows)
    ts = f"t.{source.timestamp}"
    if n_windows == 0:
        return _Plan(0, "0", "FALSE", {})
    if source.predicate is not None:  # an uploaded slice: its own rows, whatever the bounds
        return _Plan(1, "0", source.predicate, dict(source.bind))
    lo, hi = windows[0][0], windows[-1][1]
    params: dict[str, object] = {"lo": lo, "hi": hi}
    where = f"{ts} >= $lo AND {ts} < $hi"
    if n_windows == 1:
        return _Plan(1, "0", where, params)
    period = calendar_period(windows)
    if period is not None and _whole_periods(period, windows):
        key = f"epoch_us(CAST(date_trunc('{period}', {ts}) AS TIMESTAMP))"
        keys = np.array([_epoch_us(_trunc(period, start)) for start, _ in windows], dtype=np.int64)
        return _Plan(n_windows, key, where, params, keys=keys)
    frame = pd.DataFrame(
        {
            "idx": range(n_windows),
            "ws": [w[0] for w in windows],
            "we": [w[1] for w in windows],
            "wk": [_trunc(period or "day", w[0]) for w in windows],
        }
    )
    if period is not None:
        join = f"JOIN {_WINDOWS_VIEW} w ON date_trunc('{period}', {ts}) = w.wk"
    else:
        join = f"ASOF JOIN {_WINDOWS_VIEW} w ON {ts} >= w.ws"
    where = f"{ts} >= w.ws AND {ts} < w.we AND {where}"
    return _Plan(n_windows, "w.idx", where, params, join=join, frame=frame)


def _count(con: duckdb.DuckDBPyConnection, source: Source, layout: Layout, plan: _Plan) -> Counts:
    rows = np.zeros(plan.slots)
    numeric = {
        b.column: (np.zeros((plan.slots, b.bins)), np.zeros((plan.slots, b.bins)))
        for b in layout.numeric
    }
    categorical: dict[str, list[dict[str, int]]] = {
        c: [{} for _ in range(plan.slots)] for c in layout.categorical
    }
    if not plan.slots:
        return Counts(0, rows, numeric, categorical)
    columns = [f"{plan.key} AS w"]
    parts = [
        f"SELECT w, {_ROWS} AS f, NULL::INTEGER AS b, NULL::VARCHAR AS value, count(*) AS n, "
        f"NULL::DOUBLE AS s FROM base GROUP BY ALL"
    ]
    params = dict(plan.params)
    for i, b in enumerate(layout.numeric):
        q = f"t.{quote_ident(b.column)}"
        expression, bin_params = b.bin_sql(q, f"f{i}")
        params.update(bin_params)
        columns += [f"{expression} AS b{i}", f"{q} AS v{i}"]
        parts.append(
            f"SELECT w, {i} AS f, b{i} AS b, NULL::VARCHAR AS value, count(*) AS n, "
            f"sum(v{i}) AS s FROM base WHERE v{i} IS NOT NULL GROUP BY ALL"
        )
    offset = len(layout.numeric)
    for j, column in enumerate(layout.categorical):
        columns.append(f"CAST(t.{quote_ident(column)} AS VARCHAR) AS c{j}")
        parts.append(
            f"SELECT w, {offset + j} AS f, NULL::INTEGER AS b, c{j} AS value, count(*) AS n, "
            f"NULL::DOUBLE AS s FROM base WHERE c{j} IS NOT NULL GROUP BY ALL"
        )
    sql = (
        f"WITH base AS NOT MATERIALIZED (SELECT {', '.join(columns)} FROM {source.table} t "
        f"{plan.join} WHERE {plan.where}) " + " UNION ALL ".join(parts)
    )
    cursor = con.cursor()
    try:
        if plan.frame is not None:
            cursor.register(_WINDOWS_VIEW, plan.frame)
        result = cursor.execute(sql, params).fetchnumpy()
    finally:
        cursor.close()
    w, mine = _slots(np.asarray(result["w"], dtype=np.int64), plan.keys)
    f = np.asarray(result["f"], dtype=np.int64)[mine]
    n = np.asarray(result["n"], dtype=np.float64)[mine]
    b_all = np.ma.getdata(result["b"])[mine]  # NULL only in row-count and categorical rows
    s_all = np.ma.getdata(result["s"])[mine]
    np.add.at(rows, w[f == _ROWS], n[f == _ROWS])
    for i, b in enumerate(layout.numeric):
        at_feature = f == i
        counts, sums = numeric[b.column]
        at = (w[at_feature], np.asarray(b_all[at_feature], dtype=np.int64))
        np.add.at(counts, at, n[at_feature])
        np.add.at(sums, at, np.asarray(s_all[at_feature], dtype=np.float64))
    if layout.categorical:
        values = np.ma.getdata(result["value"])[mine].tolist()  # NULL only in other rows
        for k in np.flatnonzero(f >= offset).tolist():
            categorical[layout.categorical[f[k] - offset]][w[k]][str(values[k])] = int(n[k])
    return Counts(plan.slots, rows, numeric, categorical)


def _slots(keys: np.ndarray, slot_keys: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Each result row's slot, and which rows belong to a slot at all."""
    if slot_keys is None:
        return keys, np.ones(len(keys), dtype=bool)
    order = np.argsort(slot_keys)
    ordered = slot_keys[order]
    at = np.minimum(np.searchsorted(ordered, keys), len(ordered) - 1)
    mine = ordered[at] == keys
    return order[at][mine], mine


def is_whole_period(period: str, start: dt.datetime, end: dt.datetime) -> bool:
    """True when ``[start, end)`` is exactly one calendar ``period`` (not clipped)."""
    first = _trunc(period, start)
    if first != start:
        return False
    following = _trunc(period, first + {"hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1),
                                        "week": dt.timedelta(days=7),
                                        "month": dt.timedelta(days=32)}[period])  # fmt: skip
    return end == following


def calendar_period(windows: Sequence[Bounds]) -> str | None:
    """The calendar period whose (clipped) periods these windows are, if any."""
    for period in ("hour", "day", "week", "month"):
        keys = [_trunc(period, start) for start, _ in windows]
        inside = all(
            _trunc(period, end - dt.timedelta(microseconds=1)) == key
            for (_, end), key in zip(windows, keys, strict=True)
        )
        if inside and len(set(keys)) == len(keys):
            return period
    return None


def _whole_periods(period: str, windows: Sequence[Bounds]) -> bool:
    """True when each window is its whole period, but the first may start and the last end late.

    Each window already lies inside one period; one that starts and ends on
    period boundaries is that period, so ``date_trunc`` alone places its records.
    """
    last = len(windows) - 1
    return all(
        (i == 0 or _trunc(period, start) == start) and (i == last or _trunc(period, end) == end)
        for i, (start, end) in enumerate(windows)
    )


def _trunc(period: str, moment: dt.datetime) -> dt.datetime:
    """``date_trunc`` in Python (weeks start on Monday, as in DuckDB)."""
    if period == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def _epoch_us(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)
