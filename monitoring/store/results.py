"""The SQL of stored results: drift runs and timeline windows, with their watermarks.

What a result *is* belongs to its engine (:mod:`monitoring.drift.results`,
:mod:`monitoring.timeline.results` build the rows and read them back); this
module only writes and reads the rows. The **watermark** of a result is the
newest import of the model whose time range overlaps the result's windows
when it was computed: a later overlapping import raises it and makes the
stored result stale.

Two sessions may compute the same question at once. Saves take turns behind
one lock per process (only one process can write a DuckDB file, so that
covers every writer): each replaces the rows under its key in one
transaction, the last writer wins and no key is ever stored twice. A writer
that still loses DuckDB's conflict check (or meets the other's key) leaves
the other's (equal) result in place instead of failing.
A read-only database file stores nothing: the result is shown all the same.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb
import pandas as pd

from monitoring.store.connection import Store
from monitoring.store.sql import abandon, is_read_only
from monitoring.timeutil import Bounds

_SAVING = threading.Lock()  # one save at a time in this process (see the module docstring)
_NEW_ROWS = "dw_result_new_rows"
# Windows as a table from two list parameters ($ws, $we; see _bounds), not a registered
# DataFrame: sessions registering frames at once now and then met DuckDB's
# "pandas_scan does not exist" (the bulk inserts below register theirs one save at a time).
_BOUNDS = "(SELECT unnest($ws::TIMESTAMP[]) AS ws, unnest($we::TIMESTAMP[]) AS we)"
WINDOWS, CELLS = "dw_timeline_windows", "dw_timeline_cells"
WINDOW_COLUMNS = (
    "config_key", "model", "window_start", "window_end", "rows", "status", "threshold", "drifted",
    "watermark", "computed_at", "volume_low", "volume_high", "quality", "calibration",
)  # fmt: skip
CELL_COLUMNS = (
    "config_key", "window_start", "window_end", "position", "feature", "kind", "status", "n",
    "missing", "statistic", "p_value", "effect", "drifted", "score", "threshold", "excess",
    "missing_limit", "novel", "novel_limit", "quality",
)  # fmt: skip


def import_watermark(store: Store, model: str, windows: Sequence[Bounds]) -> int:
    """The newest import id of ``model`` whose time range overlaps any of ``windows`` (0: none)."""
    overlaps = " OR ".join(
        f"(ts_min < $w{i}_end AND ts_max >= $w{i}_start)" for i in range(len(windows))
    )
    params: dict[str, Any] = {"model": model}
    for i, (start, end) in enumerate(windows):
        params[f"w{i}_start"], params[f"w{i}_end"] = start, end
    frame = store.query(
        f"SELECT coalesce(max(id), 0) AS id FROM dw_imports WHERE model = $model AND ({overlaps})",
        params,
    )
    return int(frame["id"].iloc[0])


def load_run(store: Store, key: str) -> tuple[str, int] | None:
    """The stored report document (JSON text) under ``key`` and its watermark, if any."""
    with store.connect() as con:
        rows = con.execute(
            "SELECT report, watermark FROM dw_drift_runs WHERE key = ? ORDER BY computed_at DESC",
            [key],
        ).fetchall()
    return (str(rows[0][0]), int(rows[0][1])) if rows else None


def save_run(store: Store, key: str, run: Sequence[Any], columns: Sequence[Sequence[Any]]) -> None:
    """Replace the run under ``key``: its row in ``dw_drift_runs``, its ``dw_drift_columns``."""
    with store.connect() as con, _SAVING, _replacing(con):
        con.execute("DELETE FROM dw_drift_columns WHERE key = ?", [key])
        con.execute("DELETE FROM dw_drift_runs WHERE key = ?", [key])
        con.execute(f"INSERT INTO dw_drift_runs VALUES ({_marks(len(run))})", list(run))
        if columns:
            con.executemany(
                f"INSERT INTO dw_drift_columns VALUES ({_marks(len(columns[0]))})",
                [list(c) for c in columns],
            )


def window_watermarks(
    con: duckdb.DuckDBPyConnection, model: str, reference: Bounds, windows: Sequence[Bounds]
) -> dict[Bounds, int]:
    """Per window, the newest import overlapping it or the reference (0: none), in one query."""
    if not windows:
        return {}
    rows = con.execute(
        f"""
        SELECT b.ws, b.we, coalesce(max(i.id), 0)
        FROM {_BOUNDS} b LEFT JOIN dw_imports i ON i.model = $model AND (
            (i.ts_min < b.we AND i.ts_max >= b.ws) OR (i.ts_min < $re AND i.ts_max >= $rs))
        GROUP BY b.ws, b.we
        """,
        {"model": model, "rs": reference[0], "re": reference[1], **_bounds(windows)},
    ).fetchall()
    return {(_py(a), _py(b)): int(mark) for a, b, mark in rows}


def load_windows(
    con: duckdb.DuckDBPyConnection, key: str, windows: Sequence[Bounds]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The stored window rows and cell rows under ``key`` among ``windows``.

    Window rows: start, end, rows, status, threshold, drifted, watermark, then
    the columns after ``computed_at``; cell rows: start, end, then the cell's
    columns from ``feature`` on, in position order.
    """
    if not windows:
        return [], []
    params = {"key": key, **_bounds(windows)}
    read = (*WINDOW_COLUMNS[2:9], *WINDOW_COLUMNS[10:])  # all but the key, model and computed_at
    head_columns = ", ".join(f"w.{c}" for c in read)
    heads = con.execute(
        f"SELECT {head_columns} FROM {WINDOWS} w JOIN {_BOUNDS} b "
        f"ON w.window_start = b.ws AND w.window_end = b.we WHERE w.config_key = $key",
        params,
    ).fetchall()
    cell_columns = ", ".join(f"c.{c}" for c in (*CELL_COLUMNS[1:3], *CELL_COLUMNS[4:]))
    cells = con.execute(
        f"SELECT {cell_columns} FROM {CELLS} c "
        f"JOIN {_BOUNDS} b ON c.window_start = b.ws AND c.window_end = b.we "
        f"WHERE c.config_key = $key ORDER BY c.window_start, c.position",
        params,
    ).fetchall()
    return [(_py(r[0]), _py(r[1]), *r[2:]) for r in heads], [
        (_py(r[0]), _py(r[1]), *r[2:]) for r in cells
    ]


def save_windows(
    con: duckdb.DuckDBPyConnection,
    key: str,
    heads: Sequence[Sequence[Any]],
    cells: Sequence[Sequence[Any]],
) -> None:
    """Replace the windows of ``heads`` (rows of :data:`WINDOW_COLUMNS`) and their cells."""
    if not heads:
        return
    with _SAVING, _replacing(con):
        bounds = _bounds([(h[2], h[3]) for h in heads])
        for table in (CELLS, WINDOWS):
            con.execute(
                f"DELETE FROM {table} WHERE config_key = $key AND (window_start, window_end) "
                f"IN (SELECT (ws, we) FROM {_BOUNDS})",
                {"key": key, **bounds},
            )
        # Whole frames, not executemany: one INSERT per row costs ~0.4 ms each.
        for table, rows, names in (
            (WINDOWS, heads, WINDOW_COLUMNS),
            (CELLS, cells, CELL_COLUMNS),
        ):
            con.register(_NEW_ROWS, pd.DataFrame([list(r) for r in rows], columns=list(names)))
            con.execute(f"INSERT INTO {table} SELECT * FROM {_NEW_ROWS}")
            con.unregister(_NEW_ROWS)


@contextlib.contextmanager
def _replacing(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction that replaces a result's rows (deleted first, then inserted).

    Losing DuckDB's conflict check, or meeting a duplicate key, can only mean
    another session stored the same result meanwhile: theirs is kept and
    nothing is raised. A read-only file keeps no results: the caller's result
    is shown, not stored.
    """
    con.begin()
    try:
        yield
        con.commit()
    except (duckdb.TransactionException, duckdb.ConstraintException):
        abandon(con)
    except duckdb.InvalidInputException as exc:
        abandon(con)
        if not is_read_only(exc):
            raise
    except BaseException:
        abandon(con)
        raise


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _bounds(windows: Sequence[Bounds]) -> dict[str, list[dt.datetime]]:
    """The parameters of :data:`_BOUNDS`: window starts and ends as two lists."""
    return {"ws": [w[0] for w in windows], "we": [w[1] for w in windows]}


def _py(value: Any) -> dt.datetime:
    return value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
