"""Stored timeline windows: a window computed once is read back until the data under it changes.

A window is stored under a **configuration key** (SHA-256 of the model, the
:class:`~monitoring.drift_report.DriftConfig`, the reference bounds,
``min_rows`` and the timeline's method version) and its own bounds, in
``dw_timeline_windows`` (one row per window) and ``dw_timeline_cells`` (one row
per window and feature, plain columns so a timeline can be read with SQL).

Staleness follows :mod:`monitoring.results`: each row keeps the **watermark**,
the newest import of the model whose time range overlaps the window or the
reference when it was computed. A later import overlapping either raises the
watermark, and the stored row no longer matches; only those windows are
recomputed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from monitoring.drift.report import DriftConfig
from monitoring.store.reads import Bounds
from monitoring.store.windows import Window

if TYPE_CHECKING:
    from monitoring.timeline.engine import WindowDrift

METHOD_VERSION = 2  # 2: NULL numeric values are no longer counted in the lowest bin
Marks = Mapping[tuple[dt.datetime, dt.datetime], int]

_TABLES = """
CREATE TABLE IF NOT EXISTS dw_timeline_windows (
    config_key VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    window_start TIMESTAMP NOT NULL,
    window_end TIMESTAMP NOT NULL,
    rows BIGINT NOT NULL,
    status VARCHAR NOT NULL,
    threshold DOUBLE,
    drifted BOOLEAN,
    watermark BIGINT NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (config_key, window_start, window_end)
);
CREATE TABLE IF NOT EXISTS dw_timeline_cells (
    config_key VARCHAR NOT NULL,
    window_start TIMESTAMP NOT NULL,
    window_end TIMESTAMP NOT NULL,
    position INTEGER NOT NULL,
    feature VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    n BIGINT NOT NULL,
    missing DOUBLE,
    statistic DOUBLE,
    p_value DOUBLE,
    effect DOUBLE,
    drifted BOOLEAN
);
"""
_BOUNDS_VIEW = "dw_timeline_bounds"


def config_key(model: str, config: DriftConfig, reference: Bounds, min_rows: int) -> str:
    """The key of one timeline question, independent of which windows are asked for."""
    question = {
        "model": model,
        "config": dataclasses.asdict(config),
        "reference": [t.isoformat() for t in reference],
        "min_rows": min_rows,
        "method": METHOD_VERSION,
    }
    return hashlib.sha256(json.dumps(question, sort_keys=True).encode()).hexdigest()


def watermarks(
    con: duckdb.DuckDBPyConnection, model: str, reference: Bounds, windows: Sequence[Window]
) -> dict[tuple[dt.datetime, dt.datetime], int]:
    """Per window, the newest import overlapping it or the reference (0: none), in one query."""
    if not windows:
        return {}
    bounds = _bounds_frame(windows)
    con.register(_BOUNDS_VIEW, bounds)
    rows = con.execute(
        f"""
        SELECT b.ws, b.we, coalesce(max(i.id), 0)
        FROM {_BOUNDS_VIEW} b LEFT JOIN dw_imports i ON i.model = $model AND (
            (i.ts_min < b.we AND i.ts_max >= b.ws) OR (i.ts_min < $re AND i.ts_max >= $rs))
        GROUP BY b.ws, b.we
        """,
        {"model": model, "rs": reference[0], "re": reference[1]},
    ).fetchall()
    return {(_py(a), _py(b)): int(mark) for a, b, mark in rows}


def load(
    con: duckdb.DuckDBPyConnection, key: str, windows: Sequence[Window], marks: Marks
) -> dict[tuple[dt.datetime, dt.datetime], WindowDrift]:
    """The stored windows among ``windows`` whose watermark still matches."""
    from monitoring.timeline.engine import FeatureCell, WindowDrift

    if not windows:
        return {}
    con.execute(_TABLES)
    con.register(_BOUNDS_VIEW, _bounds_frame(windows))
    heads = con.execute(
        f"SELECT w.window_start, w.window_end, w.rows, w.status, w.threshold, w.drifted, "
        f"w.watermark FROM dw_timeline_windows w JOIN {_BOUNDS_VIEW} b "
        f"ON w.window_start = b.ws AND w.window_end = b.we WHERE w.config_key = $key",
        {"key": key},
    ).fetchall()
    cells = con.execute(
        f"SELECT c.window_start, c.window_end, c.feature, c.kind, c.status, c.n, c.missing, "
        f"c.statistic, c.p_value, c.effect, c.drifted FROM dw_timeline_cells c "
        f"JOIN {_BOUNDS_VIEW} b ON c.window_start = b.ws AND c.window_end = b.we "
        f"WHERE c.config_key = $key ORDER BY c.window_start, c.position",
        {"key": key},
    ).fetchall()
    by_window: dict[tuple[dt.datetime, dt.datetime], list[FeatureCell]] = {}
    for start, end, *fields in cells:
        by_window.setdefault((_py(start), _py(end)), []).append(FeatureCell(*fields))
    out = {}
    for start, end, rows, status, threshold, drifted, mark in heads:
        bounds = (_py(start), _py(end))
        if marks.get(bounds) != mark:
            continue
        window_cells = tuple(by_window.get(bounds, ()))
        out[bounds] = WindowDrift(*bounds, rows, status, threshold, drifted, window_cells)
    return out


def save(
    con: duckdb.DuckDBPyConnection,
    key: str,
    model: str,
    windows: Sequence[WindowDrift],
    marks: Marks,
) -> None:
    """Store ``windows`` under ``key``, replacing earlier rows of the same windows."""
    if not windows:
        return
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    heads = [
        [key, model, w.start, w.end, w.rows, w.status, w.threshold, w.drifted,
         marks.get((w.start, w.end), 0), now]
        for w in windows
    ]  # fmt: skip
    cells: list[list[Any]] = [
        [key, w.start, w.end, i, c.feature, c.kind, c.status, c.n, c.missing, c.statistic,
         c.p_value, c.effect, c.drifted]
        for w in windows
        for i, c in enumerate(w.cells)
    ]  # fmt: skip
    con.execute(_TABLES)
    con.begin()
    try:
        con.register(_BOUNDS_VIEW, _bounds_frame(windows))
        for table in ("dw_timeline_cells", "dw_timeline_windows"):
            con.execute(
                f"DELETE FROM {table} WHERE config_key = $key AND (window_start, window_end) "
                f"IN (SELECT (ws, we) FROM {_BOUNDS_VIEW})",
                {"key": key},
            )
        # Whole frames, not executemany: one INSERT per row costs ~0.4 ms each.
        for table, rows, columns in (
            ("dw_timeline_windows", heads, _WINDOW_COLUMNS),
            ("dw_timeline_cells", cells, _CELL_COLUMNS),
        ):
            con.register("dw_timeline_new_rows", pd.DataFrame(rows, columns=columns))
            con.execute(f"INSERT INTO {table} SELECT * FROM dw_timeline_new_rows")
        con.commit()
    except BaseException:
        con.rollback()
        raise


_WINDOW_COLUMNS = [
    "config_key", "model", "window_start", "window_end", "rows", "status", "threshold", "drifted",
    "watermark", "computed_at",
]  # fmt: skip
_CELL_COLUMNS = [
    "config_key", "window_start", "window_end", "position", "feature", "kind", "status", "n",
    "missing", "statistic", "p_value", "effect", "drifted",
]  # fmt: skip


def _bounds_frame(windows: Sequence[Any]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ws": pd.Series([w.start for w in windows], dtype="datetime64[us]"),
            "we": pd.Series([w.end for w in windows], dtype="datetime64[us]"),
        }
    )


def _py(value: Any) -> dt.datetime:
    return value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
