"""Validating records against a model's spec, and importing them: files and DataFrames alike.

Nothing is kept unless every check has passed; every problem found is
reported at once, naming the file, the column and example rows, so a user can
fix a file in one go. Row numbers count data rows from 1 (the header is not a
row). Reading files is :mod:`monitoring.store.files`, typing one column is
:mod:`monitoring.store.values`, a file import streams through
:mod:`monitoring.store.importer`; this module adds the checks across columns
and against what the store already holds:

- a binary model's targets and predictions must be its two labels: the
  positive label (the spec's, else ``"1"``) and one other, the one already
  stored or else the file's most common one;
- the same file (by content hash) or the same ``log_records`` batch id is
  not imported twice unless asked to (``allow_duplicate``);
- what is allowed but worth a look comes back as warnings: a single row, a
  target empty in every row, a categorical feature with very many distinct
  values, categories the reference window never saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from monitoring.access import Actor, local_process
from monitoring.errors import ValidationError
from monitoring.schema import ModelSpec
from monitoring.store import notes
from monitoring.store.connection import ImportResult, Store, default_db_path
from monitoring.store.files import (
    MAX_FILE_BYTES,
    MISSING_TOKENS,
    RecordFile,
    open_batches,
    read_records,
)
from monitoring.store.importer import import_batches, missing_columns
from monitoring.store.labels import label_problems
from monitoring.store.notes import MANY_CATEGORIES, MANY_ROWS, record_notes
from monitoring.store.sql import quote_ident
from monitoring.store.values import convert_column

__all__ = [
    "MANY_CATEGORIES",
    "MANY_ROWS",
    "MAX_FILE_BYTES",
    "MISSING_TOKENS",
    "RecordFile",
    "convert_column",
    "import_file",
    "label_problems",
    "log_records",
    "read_records",
    "record_notes",
    "validate_records",
]


def validate_records(
    frame: pd.DataFrame, spec: ModelSpec, source: str, labels: Sequence[str] = ()
) -> pd.DataFrame:
    """Check ``frame`` against ``spec`` and return it typed for the store.

    The result has exactly the spec's columns, in table order: numbers as
    float64, text as object (``None`` for missing), the timestamp as naive
    datetime64 (aware times converted to UTC). A missing target column is
    allowed (labels arrive later) and filled with NULL. ``labels``: the
    labels a binary model already has in the store (see :func:`stored_labels`).

    Raises
    ------
    ValidationError
        Listing every problem: missing columns, values of the wrong type, bad
        timestamps, labels outside the model's two, an empty frame.
    """
    if len(frame) == 0:
        raise ValidationError(source, ["no rows"])
    problems: list[str] = []
    present = [str(c) for c in frame.columns]
    duplicated = sorted({c for c in present if present.count(c) > 1})
    if duplicated:
        raise ValidationError(source, [f"duplicated column name(s): {duplicated}"])
    problems += missing_columns(spec, present)
    typed: dict[str, pd.Series] = {}
    for column, role in spec.columns().items():
        if column not in frame.columns:
            if role == "target":
                typed[column] = pd.Series([None] * len(frame), dtype=_target_dtype(spec))
            continue
        typed[column], problem = convert_column(frame[column], column, spec)
        if problem:
            problems.append(problem)
    if not problems:
        problems += [message for _, _, message in label_problems(typed, spec, labels)]
    if problems:
        raise ValidationError(source, problems)
    return pd.DataFrame(typed)


def stored_labels(store: Store, spec: ModelSpec) -> list[str]:
    """The labels a registered binary model holds in its targets and predictions (at most 3)."""
    if spec.task != "binary" or spec.name not in store.models():
        return []
    handle = store.model(spec.name)
    columns = [c for c in (spec.prediction, spec.target) if c]
    union = " UNION ".join(
        f"SELECT DISTINCT {quote_ident(c)} AS v FROM {handle.table}" for c in columns
    )
    frame = store.query(f"SELECT v FROM ({union}) WHERE v IS NOT NULL ORDER BY v LIMIT 3")
    return [str(v) for v in frame["v"]]


def unseen_categories(store: Store, spec: ModelSpec, records: pd.DataFrame) -> list[str]:
    """Warnings for categories of ``records`` that the model's stored reference never saw."""
    if spec.name not in store.models() or not spec.categorical_features:
        return []
    handle = store.model(spec.name)
    with store.connect() as con:
        return notes.unseen_categories(con, handle.table, spec, records)


def import_file(
    store: Store,
    path: str | Path,
    spec: ModelSpec,
    actor: Actor | None = None,
    max_bytes: int | None = MAX_FILE_BYTES,
    allow_duplicate: bool = False,
) -> ImportResult:
    """Validate a CSV/Parquet file against ``spec`` and append it in one transaction.

    ``max_bytes`` limits the file and what it unpacks to (as for uploads). A
    file whose content was imported into the model before is refused unless
    ``allow_duplicate``. The audit log records the import under ``actor``
    (default: this process's account); the result carries the warnings. A
    Parquet file is streamed in batches, so memory stays flat in its size
    (:mod:`monitoring.store.importer`).

    Raises
    ------
    ValidationError
        Every problem of the file, or the earlier import of the same content.
    """
    source = open_batches(path, max_bytes)
    return import_batches(
        store,
        source,
        spec,
        actor or local_process(),
        stored_labels(store, spec),
        allow_duplicate=allow_duplicate,
    )


def log_records(
    records: pd.DataFrame,
    model: str | ModelSpec,
    db: str | Path | None = None,
    source: str = "log_records",
    batch_id: str | None = None,
) -> ImportResult:
    """Append a DataFrame of inference records to a model: the hook for pipelines.

    Parameters
    ----------
    records
        One row per prediction, with the spec's columns (extra columns are ignored).
    model
        The name of a registered model, or a spec (which registers the model on
        first use).
    db
        The database file; by default ``DRIFTWATCH_DB`` or ``data/driftwatch.duckdb``.
    source
        What the import log records as the origin of these rows.
    batch_id
        A name for this batch, unique per model: a batch id that was logged
        before is refused, so a retried pipeline step cannot double its rows.

    Raises
    ------
    ValidationError
        The records do not fit the spec, or ``batch_id`` was logged before.
    """
    store = Store(db if db is not None else default_db_path())
    spec = model if isinstance(model, ModelSpec) else store.model(model).spec
    actor = local_process("log_records")
    return _append(store, spec, records, source, actor, batch_id=batch_id)


def _append(
    store: Store,
    spec: ModelSpec,
    frame: pd.DataFrame,
    source: str,
    actor: Actor,
    content_hash: str | None = None,
    batch_id: str | None = None,
    allow_duplicate: bool = False,
) -> ImportResult:
    typed = validate_records(frame, spec, source, stored_labels(store, spec))
    warnings = record_notes(typed, spec) + unseen_categories(store, spec, typed)
    result = store.append(
        spec,
        typed,
        source,
        content_hash,
        actor,
        batch_id=batch_id,
        allow_duplicate=allow_duplicate,
    )
    return replace(result, warnings=tuple(warnings))


def _target_dtype(spec: ModelSpec) -> str:
    return "float64" if spec.task == "regression" else "object"
