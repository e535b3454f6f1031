"""Stored drift results: the same question asked again is answered from DuckDB.

A run is keyed by a hash of the model, the :class:`~monitoring.drift.config.DriftConfig`,
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

from monitoring.drift.config import DriftConfig
from monitoring.drift.report import ENGINE_VERSION, ColumnDrift, DriftReport
from monitoring.store import results as stored
from monitoring.store.connection import Store
from monitoring.timeutil import Bounds

SCHEMA_VERSION = 2  # 2: calibrated verdicts by default (`config.rule`), scores and limits


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
    """The newest import of ``model`` overlapping any of ``windows``: a result's freshness."""
    return stored.import_watermark(store, model, windows)


def load(store: Store, key: str, current_watermark: int) -> DriftReport | None:
    """The stored report under ``key`` if it is still fresh, else ``None``."""
    found = stored.load_run(store, key)
    if found is None or found[1] != current_watermark:
        return None
    report = from_document(json.loads(found[0]))
    return dataclasses.replace(report, from_store=True)


def save(store: Store, key: str, report: DriftReport, mark: int) -> None:
    """Store ``report`` under ``key``, replacing any earlier run of the same question."""
    run = [
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
        json.dumps(to_document(report, strict=False)),
    ]
    stored.save_run(store, key, run, [_column_row(key, c) for c in report.columns])


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
