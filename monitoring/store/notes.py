"""What records may hold but is worth a look: the warnings of an import, the notes of an upload.

A single row, a target empty in every row, a categorical feature with very
many distinct values, categories the model's stored reference never saw.
Worded once, counted either from a frame (:func:`record_notes`,
:func:`unseen_categories`) or in SQL over the rows of one import inside its
transaction (:func:`import_notes`), so memory does not grow with the file.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from monitoring.schema import ModelSpec
from monitoring.store.sql import quote_ident
from monitoring.store.tables import IMPORT_COLUMN

# A categorical feature with more distinct values than this, or more than half as
# many as it has rows (past MANY_ROWS), is more likely an id or free text than a category.
MANY_CATEGORIES = 1_000
MANY_ROWS = 100
_SHOWN = 3


def record_notes(records: pd.DataFrame, spec: ModelSpec) -> list[str]:
    """What is allowed in typed ``records`` but worth a look (import warnings, upload notes)."""
    target = spec.target
    empty_target = bool(target and target in records and records[target].isna().all())
    counts = {
        c: (int(records[c].nunique()), int(records[c].notna().sum()))
        for c in spec.categorical_features
        if c in records
    }
    return _notes(spec, len(records), empty_target, counts)


def unseen_categories(
    con: duckdb.DuckDBPyConnection, table: str, spec: ModelSpec, records: pd.DataFrame
) -> list[str]:
    """Warnings for categories of ``records`` that the stored reference (in ``table``) never saw."""
    if not spec.categorical_features or not _has_reference(con, table, spec, None):
        return []
    warnings = []
    for column in spec.categorical_features:
        seen = _reference_values(con, table, spec, column, None)
        new = records[column][records[column].notna() & ~records[column].isin(set(seen))]
        if not new.empty:
            counts = new.value_counts()
            warnings.append(_unseen(spec, column, len(counts), len(new), list(counts.index)))
    return warnings


def import_notes(
    con: duckdb.DuckDBPyConnection, table: str, spec: ModelSpec, import_id: int, rows: int
) -> list[str]:
    """:func:`record_notes` and :func:`unseen_categories` for the rows of import ``import_id``."""
    mine = f"{IMPORT_COLUMN} = {int(import_id)}"
    target = spec.target
    empty_target = False
    if target:
        labelled = con.execute(f"SELECT count({quote_ident(target)}) FROM {table} WHERE {mine}")
        empty_target = labelled.fetchone() == (0,)
    counts = {}
    for column in spec.categorical_features:
        name = quote_ident(column)
        row = con.execute(f"SELECT count(DISTINCT {name}), count({name}) FROM {table} WHERE {mine}")
        distinct, present = row.fetchone() or (0, 0)
        counts[column] = (int(distinct), int(present))
    notes = _notes(spec, rows, empty_target, counts)
    if not spec.categorical_features or not _has_reference(con, table, spec, import_id):
        return notes
    for column in spec.categorical_features:
        name = quote_ident(column)
        seen = (
            f"SELECT DISTINCT {name} FROM {table} WHERE {_in_reference(spec, import_id)} "
            f"AND {name} IS NOT NULL"
        )
        new = con.execute(
            f"SELECT {name}, count(*) AS n FROM {table} WHERE {mine} AND {name} IS NOT NULL "
            f"AND {name} NOT IN ({seen}) GROUP BY {name} ORDER BY n DESC, {name}",
            [spec.reference.start, spec.reference.end],
        ).fetchall()
        if new:
            total = sum(n for _, n in new)
            notes.append(_unseen(spec, column, len(new), total, [v for v, _ in new[:_SHOWN]]))
    return notes


def _notes(
    spec: ModelSpec, rows: int, empty_target: bool, counts: dict[str, tuple[int, int]]
) -> list[str]:
    """The notes from counts: rows, an empty target, (distinct, present) of each categorical."""
    notes = []
    if rows == 1:
        notes.append("the file has a single row: a drift test needs many rows per window")
    if empty_target:
        notes.append(f"target {spec.target!r} is empty in every row (labels not known yet)")
    for column, (distinct, present) in counts.items():
        if distinct > MANY_CATEGORIES or (present >= MANY_ROWS and distinct > present / 2):
            notes.append(
                f"categorical feature {column!r} has {distinct:,} distinct values in {present:,} "
                f"rows: more like an id or free text than a category; its drift tests and "
                f"charts will say little"
            )
    return notes


def _unseen(spec: ModelSpec, column: str, distinct: int, rows: int, commonest: list[object]) -> str:
    names = ", ".join(repr(v) for v in commonest[:_SHOWN])
    return (
        f"categorical feature {column!r}: {distinct:,} categories the reference "
        f"({spec.reference.label()}) never saw, in {rows:,} rows, e.g. {names}"
    )


def _in_reference(spec: ModelSpec, import_id: int | None) -> str:
    """SQL for the stored reference rows (two parameters: its bounds), this import left out."""
    ts = quote_ident(spec.timestamp)
    other = "" if import_id is None else f" AND {IMPORT_COLUMN} <> {int(import_id)}"
    return f"{ts} >= ? AND {ts} < ?{other}"


def _has_reference(
    con: duckdb.DuckDBPyConnection, table: str, spec: ModelSpec, import_id: int | None
) -> bool:
    row = con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {_in_reference(spec, import_id)} "
        f"LIMIT 1)",
        [spec.reference.start, spec.reference.end],
    ).fetchone()
    return row is not None and row[0] > 0


def _reference_values(
    con: duckdb.DuckDBPyConnection, table: str, spec: ModelSpec, column: str, import_id: int | None
) -> list[object]:
    return [
        v
        for (v,) in con.execute(
            f"SELECT DISTINCT {quote_ident(column)} FROM {table} "
            f"WHERE {_in_reference(spec, import_id)}",
            [spec.reference.start, spec.reference.end],
        ).fetchall()
    ]
