"""Stored drift results: the same question asked again is answered from DuckDB.

A run is keyed by a hash of the model, the :class:`~monitoring.drift.DriftConfig`,
both windows and the engine version. ``dw_drift_runs`` holds one row per key
with the whole report as JSON (enough to rebuild it exactly) and the
**watermark**: the newest import of the model whose time range overlaps the
reference or the current window when the run was computed. A later import
that overlaps either window raises the watermark, which makes the stored run
stale: :func:`load` then returns ``None`` and the caller recomputes.
A run whose current side is an uploaded slice is keyed by the slice's content
hash and its watermark looks at the reference only (a slice never changes).
``dw_drift_columns`` repeats the per-column numbers as plain columns so that
timelines can be read with SQL.

The JSON document (:func:`to_document`) is also what ``python -m monitoring
drift --json`` prints; ``docs/drift-json.md`` describes it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import types
from collections.abc import Sequence
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import pandas as pd

from monitoring.drift.report import ENGINE_VERSION, ColumnDrift, DriftConfig, DriftReport
from monitoring.store.connection import Store
from monitoring.store.reads import Bounds

SCHEMA_VERSION = 1

_TABLES = """
CREATE TABLE IF NOT EXISTS dw_drift_runs (
    key VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    detector VARCHAR NOT NULL,
    config VARCHAR NOT NULL,
    reference_start TIMESTAMP NOT NULL,
    reference_end TIMESTAMP NOT NULL,
    current_start TIMESTAMP NOT NULL,
    current_end TIMESTAMP NOT NULL,
    rows_reference BIGINT NOT NULL,
    rows_current BIGINT NOT NULL,
    drifted BOOLEAN,
    watermark BIGINT NOT NULL,
    engine_version INTEGER NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    report VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS dw_drift_columns (
    key VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    test VARCHAR,
    statistic DOUBLE,
    p_value DOUBLE,
    threshold DOUBLE,
    psi DOUBLE,
    jensen_shannon DOUBLE,
    wasserstein_normed DOUBLE,
    effect DOUBLE,
    n_reference BIGINT NOT NULL,
    n_current BIGINT NOT NULL,
    missing_reference DOUBLE,
    missing_current DOUBLE,
    unseen_share DOUBLE,
    drifted BOOLEAN
);
"""


def run_key(
    model: str,
    config: DriftConfig,
    reference: Bounds,
    current: Bounds,
    current_identity: str | None = None,
) -> str:
    """The storage key of a question: SHA-256 of model, configuration, windows and engine.

    With ``current_identity`` (an uploaded slice's content hash) the current
    side is keyed by that content instead of its time bounds.
    """
    question: dict[str, Any] = {
        "model": model,
        "config": dataclasses.asdict(config),
        "reference": [t.isoformat() for t in reference],
        "current": [t.isoformat() for t in current],
        "engine": ENGINE_VERSION,
    }
    if current_identity is not None:
        question["current"] = {"slice_sha256": current_identity}
    return hashlib.sha256(json.dumps(question, sort_keys=True).encode()).hexdigest()


def watermark(store: Store, model: str, windows: Sequence[Bounds]) -> int:
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


def load(store: Store, key: str, current_watermark: int) -> DriftReport | None:
    """The stored report under ``key`` if it is still fresh, else ``None``."""
    with store.connect() as con:
        con.execute(_TABLES)
        rows = con.execute(
            "SELECT report, watermark FROM dw_drift_runs WHERE key = ? ORDER BY computed_at DESC",
            [key],
        ).fetchall()
    if not rows or rows[0][1] != current_watermark:
        return None
    report = from_document(json.loads(rows[0][0]))
    return dataclasses.replace(report, from_store=True)


def save(store: Store, key: str, report: DriftReport, mark: int) -> None:
    """Store ``report`` under ``key``, replacing any earlier run of the same question."""
    document = json.dumps(to_document(report, strict=False))
    columns = [_column_row(key, c) for c in report.columns]
    with store.connect() as con:
        con.execute(_TABLES)
        con.begin()
        try:
            con.execute("DELETE FROM dw_drift_columns WHERE key = ?", [key])
            con.execute("DELETE FROM dw_drift_runs WHERE key = ?", [key])
            con.execute(
                "INSERT INTO dw_drift_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    key,
                    report.model,
                    report.config.detector,
                    json.dumps(dataclasses.asdict(report.config), sort_keys=True),
                    *report.reference,
                    *report.current,
                    report.rows_reference,
                    report.rows_current,
                    report.verdict.drifted,
                    mark,
                    report.engine_version,
                    report.computed_at,
                    document,
                ],
            )
            if columns:
                con.executemany(
                    "INSERT INTO dw_drift_columns VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    columns,
                )
            con.commit()
        except BaseException:
            con.rollback()
            raise


def stored_runs(store: Store, model: str) -> pd.DataFrame:
    """Every stored run of ``model``, newest first (without the report documents)."""
    with store.connect() as con:
        con.execute(_TABLES)
        return con.execute(
            "SELECT key, detector, reference_start, reference_end, current_start, current_end, "
            "rows_reference, rows_current, drifted, watermark, computed_at "
            "FROM dw_drift_runs WHERE model = ? ORDER BY computed_at DESC",
            [model],
        ).df()


def to_document(report: DriftReport, strict: bool = True) -> dict[str, Any]:
    """The report as a JSON-ready dict (``docs/drift-json.md``).

    Datetimes become ISO-8601 strings and tuples lists. With ``strict``
    (the CLI's document) non-finite numbers, such as an infinite odds ratio,
    become ``null``; without it they are kept, so a stored report is rebuilt
    exactly.
    """
    document = _plain(report, strict)
    document.pop("from_store", None)
    return {"schema_version": SCHEMA_VERSION, **document}


def from_document(document: dict[str, Any]) -> DriftReport:
    """Rebuild a report from :func:`to_document` output."""
    fields = {k: v for k, v in document.items() if k != "schema_version"}
    report = _build(DriftReport, fields)
    assert isinstance(report, DriftReport)
    return report


def _plain(value: Any, strict: bool) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), strict) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v, strict) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and strict and not math.isfinite(value):
        return None
    return value


def _build(kind: Any, value: Any) -> Any:
    """Inverse of :func:`_plain` for the types a :class:`DriftReport` is made of."""
    if value is None:
        return None
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(kind) if a is not type(None)]
        return _build(inner[0], value)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = get_type_hints(kind)
        return kind(
            **{
                f.name: _build(hints[f.name], value[f.name])
                for f in dataclasses.fields(kind)
                if f.name in value
            }
        )
    if origin is tuple:
        args = get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in value)
        return tuple(_build(a, v) for a, v in zip(args, value, strict=True))
    if kind is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if kind is float:
        return float(value)
    if origin is Literal or kind in (int, str, bool):
        return value
    raise TypeError(f"cannot rebuild a value of type {kind!r}")


def _column_row(key: str, c: ColumnDrift) -> list[Any]:
    return [
        key,
        c.column,
        c.role,
        c.kind,
        c.status,
        c.test,
        c.statistic,
        c.p_value,
        c.threshold,
        c.effects.psi,
        c.effects.jensen_shannon,
        c.effects.wasserstein_normed,
        c.effect,
        c.n_reference,
        c.n_current,
        c.missing_reference,
        c.missing_current,
        c.unseen_share,
        c.drifted,
    ]
