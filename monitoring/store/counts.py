"""Grouped DuckDB counts behind the drift timeline: bins, then counts per window in one scan.

:func:`fit_layout` fixes how each feature is counted (equal-width bins for a
numeric feature over the range of the reference and the timeline; values for
a categorical one). :func:`count_windows` then counts every feature in every
window of a batch, and in the reference, with one query: one ``GROUP BY`` per
feature over the same record-to-window assignment. The assignment is inlined
into each ``GROUP BY`` rather than materialised: each then reads only its own
column, which is faster and lighter than writing every column out once.
Records are assigned to windows:

- by ``date_trunc`` alone when the windows are whole calendar periods (only
  the first and last may be clipped): the fast path, which also counts a
  reference lying outside the windows' span in the same scan;
- by a hash join on the period for other calendar windows;
- by an ``ASOF`` join on the window starts otherwise (runs of N rows).

The second and third paths count the reference in a scan of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from monitoring.store.reads import Source
from monitoring.store.sql import quote_ident
from monitoring.timeutil import Bounds

DEFAULT_BINS = 500
_WINDOWS_VIEW = "dw_timeline_batch"
_EPOCH = dt.datetime(1970, 1, 1)
_REFERENCE_KEY = -1  # never an epoch_us of a period start: those are whole hours


@dataclass(frozen=True)
class NumericBins:
    """Equal-width bins of one numeric feature: ``[low + k·width, low + (k+1)·width)``."""

    column: str
    low: float
    width: float
    bins: int
    reference_std: float


@dataclass(frozen=True)
class Layout:
    """How the features of a timeline are counted: bins per numeric feature, then categoricals."""

    numeric: tuple[NumericBins, ...]
    categorical: tuple[str, ...]


@dataclass(frozen=True)
class Counts:
    """Counts of one batch of windows (index ``0 … W-1``), per feature.

    ``numeric[column]`` is ``(counts, sums)``, both ``W × bins`` (sums of
    ``x - low``); ``categorical[column][w]`` maps each value to its count.
    """

    windows: int
    numeric: Mapping[str, tuple[np.ndarray, np.ndarray]]
    categorical: Mapping[str, list[dict[str, int]]]

    def part(self, start: int, stop: int) -> Counts:
        """The windows ``start … stop-1`` only."""
        return Counts(
            stop - start,
            {c: (n[start:stop], s[start:stop]) for c, (n, s) in self.numeric.items()},
            {c: values[start:stop] for c, values in self.categorical.items()},
        )


def fit_layout(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    numeric: Sequence[str],
    categorical: Sequence[str],
    reference: Bounds,
    span: Bounds,
    bins: int = DEFAULT_BINS,
) -> Layout:
    """Bins over the range of ``reference`` ∪ ``span``, with the reference's standard deviation.

    The range and the standard deviation are separate queries: DuckDB answers
    the range from its column statistics when the two stretches meet and hold
    every record (the usual timeline), and the deviation scans the reference only.
    """
    if not numeric:
        return Layout((), tuple(categorical))
    ts = source.timestamp
    columns = [quote_ident(c) for c in numeric]
    if reference[0] <= span[1] and span[0] <= reference[1]:  # they meet: one range
        inside = f"{ts} >= $lo AND {ts} < $hi"
        bounds = {"lo": min(reference[0], span[0]), "hi": max(reference[1], span[1])}
    else:
        inside = f"({ts} >= $rs AND {ts} < $re) OR ({ts} >= $ss AND {ts} < $se)"
        bounds = {"rs": reference[0], "re": reference[1], "ss": span[0], "se": span[1]}
    ranges = con.execute(
        f"SELECT {', '.join(f'min({q}), max({q})' for q in columns)} FROM {source.table} "
        f"WHERE {inside}",
        bounds,
    ).fetchall()[0]
    spreads = con.execute(
        f"SELECT {', '.join(f'stddev_pop({q})' for q in columns)} FROM {source.table} "
        f"WHERE {ts} >= $rs AND {ts} < $re",
        {"rs": reference[0], "re": reference[1]},
    ).fetchall()[0]
    laid = []
    for i, column in enumerate(numeric):
        low, high, std = ranges[2 * i], ranges[2 * i + 1], spreads[i]
        low = 0.0 if low is None else float(low)
        high = low if high is None else float(high)
        width = (high - low) / bins if high > low else 1.0
        laid.append(NumericBins(column, low, width, bins, float(std or 0.0)))
    return Layout(tuple(laid), tuple(categorical))


def count_windows(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    layout: Layout,
    windows: Sequence[Bounds],
    reference: Bounds | None = None,
) -> tuple[Counts, Counts | None]:
    """Count every feature of ``layout`` in each window (sorted, non-overlapping) and the reference.

    Returns the windows' counts and the reference's (``None`` without a
    reference). See the module docstring for when one scan does both.
    """
    plan = _plan(source, windows, reference)
    counts = _count(con, source, layout, plan)
    if reference is None:
        return counts, None
    if plan.with_reference:
        return counts.part(0, len(windows)), counts.part(len(windows), len(windows) + 1)
    return counts, _count(con, source, layout, _range_plan(source, reference))


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
    with_reference: bool = False


def _plan(source: Source, windows: Sequence[Bounds], reference: Bounds | None) -> _Plan:
    n_windows = len(windows)
    if n_windows <= 1:
        return _range_plan(source, windows[0]) if windows else _Plan(0, "0", "FALSE", {})
    ts = f"t.{source.timestamp}"
    lo, hi = windows[0][0], windows[-1][1]
    params: dict[str, object] = {"lo": lo, "hi": hi}
    where = f"{ts} >= $lo AND {ts} < $hi"
    period = _calendar_period(windows)
    if period is not None and _whole_periods(period, windows):
        key = f"epoch_us(CAST(date_trunc('{period}', {ts}) AS TIMESTAMP))"
        keys = [_epoch_us(_trunc(period, start)) for start, _ in windows]
        if reference is None or (reference[0] < hi and reference[1] > lo):
            return _Plan(n_windows, key, where, params, keys=np.array(keys, dtype=np.int64))
        params.update(rs=reference[0], re=reference[1])
        in_reference = f"{ts} >= $rs AND {ts} < $re"
        return _Plan(
            n_windows + 1,
            f"CASE WHEN {in_reference} THEN {_REFERENCE_KEY} ELSE {key} END",
            f"(({where}) OR ({in_reference}))",
            params,
            keys=np.array([*keys, _REFERENCE_KEY], dtype=np.int64),
            with_reference=True,
        )
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


def _range_plan(source: Source, bounds: Bounds) -> _Plan:
    ts = f"t.{source.timestamp}"
    return _Plan(1, "0", f"{ts} >= $lo AND {ts} < $hi", {"lo": bounds[0], "hi": bounds[1]})


def _count(con: duckdb.DuckDBPyConnection, source: Source, layout: Layout, plan: _Plan) -> Counts:
    numeric = {
        b.column: (np.zeros((plan.slots, b.bins)), np.zeros((plan.slots, b.bins)))
        for b in layout.numeric
    }
    categorical: dict[str, list[dict[str, int]]] = {
        c: [{} for _ in range(plan.slots)] for c in layout.categorical
    }
    if not plan.slots or not (layout.numeric or layout.categorical):
        return Counts(plan.slots, numeric, categorical)
    columns = [f"{plan.key} AS w"]
    parts = []
    params = dict(plan.params)
    for i, b in enumerate(layout.numeric):
        q = f"t.{quote_ident(b.column)}"
        params[f"low{i}"], params[f"width{i}"] = b.low, b.width
        columns += [  # least/greatest skip NULLs: a NULL value lands in bin 0, not counted
            f"least(greatest(floor(({q} - $low{i}) / $width{i}), 0), {b.bins - 1})::INTEGER "
            f"AS b{i}",
            f"{q} - $low{i} AS v{i}",
        ]
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
    b_all = np.ma.getdata(result["b"])[mine]  # NULL only in categorical rows
    s_all = np.ma.getdata(result["s"])[mine]
    for i, b in enumerate(layout.numeric):
        rows = f == i
        counts, sums = numeric[b.column]
        at = (w[rows], np.asarray(b_all[rows], dtype=np.int64))
        np.add.at(counts, at, n[rows])
        np.add.at(sums, at, np.asarray(s_all[rows], dtype=np.float64))
    if layout.categorical:
        values = np.ma.getdata(result["value"])[mine].tolist()  # NULL only in numeric rows
        for k in np.flatnonzero(f >= offset).tolist():
            categorical[layout.categorical[f[k] - offset]][w[k]][str(values[k])] = int(n[k])
    return Counts(plan.slots, numeric, categorical)


def _slots(keys: np.ndarray, slot_keys: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Each result row's slot, and which rows belong to a slot at all."""
    if slot_keys is None:
        return keys, np.ones(len(keys), dtype=bool)
    order = np.argsort(slot_keys)
    ordered = slot_keys[order]
    at = np.minimum(np.searchsorted(ordered, keys), len(ordered) - 1)
    mine = ordered[at] == keys
    return order[at][mine], mine


def _calendar_period(windows: Sequence[Bounds]) -> str | None:
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
