"""Stored timeline windows: a window computed once is read back until the data under it changes.

A window is stored under a **configuration key** (SHA-256 of the model, the
:class:`~monitoring.drift.config.DriftConfig` (rule and baseline included),
the reference bounds, ``min_rows``, the window shape and the timeline's
method version) and its own bounds, in
``dw_timeline_windows`` (one row per window) and ``dw_timeline_cells`` (one row
per window and feature, plain columns so a timeline can be read with SQL).

Staleness follows :mod:`monitoring.drift.results`: each row keeps the **watermark**,
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
from typing import Any

import duckdb

from monitoring.drift.config import DriftConfig
from monitoring.drift.judge import FeatureCell
from monitoring.drift.shapes import Shape
from monitoring.store import results as stored
from monitoring.store.windows import Window
from monitoring.timeline.report import WindowDrift
from monitoring.timeutil import Bounds, utc_now

# 2: NULL numeric values are no longer counted in the lowest bin;
# 3: calibrated thresholds, reference-quantile bins, data quality, partial windows.
METHOD_VERSION = 3
Marks = Mapping[tuple[dt.datetime, dt.datetime], int]
_CELL_FIELDS = [f.name for f in dataclasses.fields(FeatureCell)]


def config_key(
    model: str, config: DriftConfig, reference: Bounds, min_rows: int, shape: Shape
) -> str:
    """The key of one timeline question, independent of which windows are asked for."""
    question = {
        "model": model,
        "config": dataclasses.asdict(config),
        "reference": [t.isoformat() for t in reference],
        "min_rows": min_rows,
        "shape": dataclasses.asdict(shape),
        "method": METHOD_VERSION,
    }
    return hashlib.sha256(json.dumps(question, sort_keys=True).encode()).hexdigest()


def watermarks(
    con: duckdb.DuckDBPyConnection, model: str, reference: Bounds, windows: Sequence[Window]
) -> dict[Bounds, int]:
    """Per window, the newest import overlapping it or the reference (0: none), in one query."""
    return stored.window_watermarks(con, model, reference, [w.bounds for w in windows])


def load(
    con: duckdb.DuckDBPyConnection, key: str, windows: Sequence[Window], marks: Marks
) -> dict[Bounds, WindowDrift]:
    """The stored windows among ``windows`` whose watermark still matches."""
    heads, cells = stored.load_windows(con, key, [w.bounds for w in windows])
    by_window: dict[Bounds, list[FeatureCell]] = {}
    for start, end, *fields in cells:
        by_window.setdefault((start, end), []).append(FeatureCell(*fields))
    out = {}
    for start, end, rows, status, threshold, drifted, mark, low, high, quality, cal in heads:
        if marks.get((start, end)) != mark:
            continue
        window_cells = tuple(by_window.get((start, end), ()))
        out[(start, end)] = WindowDrift(start, end, rows, status, threshold, drifted,
                                        window_cells, low, high, quality, cal)  # fmt: skip
    return out


def save(
    con: duckdb.DuckDBPyConnection,
    key: str,
    model: str,
    windows: Sequence[WindowDrift],
    marks: Marks,
    calibration: str,
) -> None:
    """Store ``windows`` under ``key``, replacing earlier rows of the same windows."""
    now = utc_now()
    heads = [
        [key, model, w.start, w.end, w.rows, w.status, w.threshold, w.drifted,
         marks.get((w.start, w.end), 0), now, w.volume_low, w.volume_high, w.quality,
         calibration]
        for w in windows
    ]  # fmt: skip
    cells: list[list[Any]] = [
        [key, w.start, w.end, i, *(getattr(c, f) for f in _CELL_FIELDS)]
        for w in windows
        for i, c in enumerate(w.cells)
    ]
    stored.save_windows(con, key, heads, cells)
