"""Importing a record file in bounded batches: validated, appended and noted in one transaction.

The file is read in batches (:class:`~monitoring.store.files.RecordBatches`)
and each column typed batch by batch (:class:`~monitoring.store.values.ColumnTyper`).
Whatever is found is counted over the whole file, with the file's own row
numbers, and reported at once at the end; the transaction is then rolled
back, so nothing is kept. A binary model's labels are settled once every
batch is counted (:class:`~monitoring.store.labels.LabelTally`), and the
warnings are counted in SQL over the import's rows before the commit.

Two ways to append, the same rows either way (a test compares them):

- a Parquet file whose every column DuckDB can cast as the typer types it
  (:func:`_sql_casts`) is checked column by column, one column's batch in
  memory at a time, while DuckDB's own ``read_parquet`` appends it in one
  ``INSERT`` (parallel, under :data:`_BUFFER_CAP`), which a problem rolls back;
- otherwise (text dates, float labels, a CSV file) each batch is typed
  whole and appended from Arrow while every batch so far is clean.

The transaction is the one :meth:`Store.append` makes for a frame, fed in
batches; the duplicate and registration checks are the store's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import duckdb
import pandas as pd
import pyarrow as pa

from monitoring.access import Actor
from monitoring.errors import ValidationError
from monitoring.schema import ModelSpec
from monitoring.store import audit, tables
from monitoring.store.connection import ImportResult, Store, _refuse_duplicate, _register
from monitoring.store.files import RecordBatches
from monitoring.store.labels import LabelTally
from monitoring.store.notes import import_notes
from monitoring.store.sql import abandon, only_row, quote_ident
from monitoring.store.tables import IMPORT_COLUMN
from monitoring.store.values import ColumnTyper
from monitoring.timeutil import utc_now

_BATCH_VIEW = "dw_incoming_batch"
# DuckDB keeps a transaction's appended blocks cached until the commit, by default up to
# 80 % of RAM; capped, it writes them out and evicts them, so memory stays flat.
_BUFFER_CAP = 128 * 2**20


def import_batches(
    store: Store,
    source: RecordBatches,
    spec: ModelSpec,
    actor: Actor,
    labels: list[str],
    allow_duplicate: bool = False,
) -> ImportResult:
    """Validate and append every batch of ``source`` (see the module docstring).

    ``labels``: the labels a binary model already has (``ingest.stored_labels``).

    Raises
    ------
    ValidationError
        Every problem of the file, or the earlier import of the same content.
    """
    present = [c for c in spec.columns() if c in source.columns]
    problems = missing_columns(spec, source.columns)
    typers = {
        c: ColumnTyper(c, spec, rescan=_rescan(source, c) if c == spec.timestamp else None)
        for c in present
    }
    tally = LabelTally(spec, present, labels)
    table = quote_ident(tables.records_table(spec.name))
    casts = _sql_casts(source, spec, present)
    with store.connect(buffer_cap=_BUFFER_CAP) as con:
        con.begin()
        try:
            if not allow_duplicate:
                _refuse_duplicate(con, spec.name, source.name, source.sha256, None)
            created = _register(con, spec)
            import_id = int(only_row(con.execute("SELECT nextval('dw_import_ids')"))[0])
            insert_failed: BaseException | None = None
            if casts is None:
                rows = _typed_batches(con, table, source, typers, tally, import_id, problems)
            elif problems:  # a column is missing: nothing will be appended
                rows = _columns_checked(source, typers, tally)
            else:
                rows, insert_failed = _checked_while_inserting(
                    con, table, source, casts, import_id, typers, tally
                )
            problems += [p for p in (t.problem() for t in typers.values()) if p]
            if not problems:
                problems += tally.problems()
            if problems:  # reported even if the insert failed on the same bad values
                raise ValidationError(source.name, problems)
            if insert_failed is not None:
                raise insert_failed
            result = _record(con, spec, table, source.name, source.sha256, import_id, rows, actor)
            warnings = import_notes(con, table, spec, import_id, rows)
            con.commit()
        except BaseException:
            abandon(con)
            raise
    return replace(result, created_model=created, warnings=tuple(warnings))


def _typed_batches(
    con: duckdb.DuckDBPyConnection,
    table: str,
    source: RecordBatches,
    typers: dict[str, ColumnTyper],
    tally: LabelTally,
    import_id: int,
    problems: list[str],
) -> int:
    """Type the file batch by batch, appending each while all is clean; return the row count."""
    rows = 0
    for offset, batch in source.batches(list(typers)):
        typed = {c: _typed(t, batch, offset) for c, t in typers.items()}
        for column in tally.columns:
            tally.add(column, typed[column], offset)
        rows += len(batch)
        if not problems and not any(t.problem() for t in typers.values()):
            _insert(con, table, typed, import_id)
    return rows


def _columns_checked(
    source: RecordBatches, typers: dict[str, ColumnTyper], tally: LabelTally
) -> int:
    """Check the file column by column (one column's batch in memory at a time); return its rows."""
    rows = 0
    for column, typer in typers.items():
        rows = 0
        for offset, batch in source.batches([column]):
            typed = _typed(typer, batch, offset)
            if column in tally.columns:
                tally.add(column, typed, offset)
            rows += len(batch)
    return rows


def _typed(typer: ColumnTyper, batch: pa.Table | pd.DataFrame, offset: int) -> pa.Array:
    if isinstance(batch, pa.Table):
        return typer.feed_arrow(batch.column(typer.column), offset)
    return typer.feed_frame(batch[typer.column], offset)


def _sql_casts(source: RecordBatches, spec: ModelSpec, present: list[str]) -> dict[str, str] | None:
    """For a Parquet file whose columns DuckDB can type as :meth:`ColumnTyper.feed_arrow` does,
    the SQL that types each column; ``None``: typed in Python instead.

    Those are the types :meth:`ColumnTyper.feed_arrow` types without pandas:
    timestamps (naive, or aware and taken in UTC), numbers and booleans as
    numbers (NaN as missing, as a frame's NaN is), text and integers as text.
    """
    if source.parquet_path is None:
        return None
    kinds = source.arrow_types()
    casts = {}
    for column in present:
        kind = kinds[column]
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        name = quote_ident(column)
        sql_type = spec.sql_type(column)
        if sql_type == "TIMESTAMP" and pa.types.is_timestamp(kind):
            utc = kind.tz is not None
            casts[column] = f"timezone('UTC', {name})" if utc else f"CAST({name} AS TIMESTAMP)"
        elif sql_type == "DOUBLE" and (
            pa.types.is_integer(kind)
            or pa.types.is_float32(kind)
            or pa.types.is_float64(kind)
            or pa.types.is_boolean(kind)
        ):
            casts[column] = f"NULLIF(CAST({name} AS DOUBLE), 'NaN'::DOUBLE)"
        elif sql_type == "VARCHAR" and (
            pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind)
        ):
            casts[column] = f"CAST({name} AS VARCHAR)"
        else:
            return None
    return casts


def _checked_while_inserting(
    con: duckdb.DuckDBPyConnection,
    table: str,
    source: RecordBatches,
    casts: dict[str, str],
    import_id: int,
    typers: dict[str, ColumnTyper],
    tally: LabelTally,
) -> tuple[int, BaseException | None]:
    """Check the columns here while DuckDB appends the file in a worker thread.

    DuckDB reads, casts and compresses on its own threads, outside the GIL, so
    the two overlap (3M rows: 1.9 s of checks beside a 4.7 s insert). The
    insert is inside the caller's transaction: when the checks find a problem,
    rolling it back keeps nothing. Returns the row count and the insert's
    exception, if it raised.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-insert") as pool:
        inserting = pool.submit(_insert_parquet, con, table, source, casts, import_id)
        rows = _columns_checked(source, typers, tally)
        return rows, inserting.exception()


def _insert_parquet(
    con: duckdb.DuckDBPyConnection,
    table: str,
    source: RecordBatches,
    casts: dict[str, str],
    import_id: int,
) -> None:
    """Append the whole (checked) Parquet file with DuckDB's reader: parallel, in bounded memory."""
    names = ", ".join(quote_ident(c) for c in casts)
    con.execute(
        f"INSERT INTO {table} ({names}, {IMPORT_COLUMN}) "
        f"SELECT {', '.join(casts.values())}, ? FROM read_parquet(?)",
        [import_id, str(source.parquet_path)],
    )


def missing_columns(spec: ModelSpec, columns: list[str]) -> list[str]:
    """The problem of the spec columns that ``columns`` lack (a target may come later)."""
    missing = [
        f"{c!r} ({role})"
        for c, role in spec.columns().items()
        if c not in columns and role != "target"
    ]
    if not missing:
        return []
    shown = ", ".join(repr(n) for n in columns[:12])
    listing = f"[{shown}{', …' if len(columns) > 12 else ''}]"
    return [f"missing column(s) {', '.join(missing)}; the file has {listing}"]


def _rescan(source: RecordBatches, column: str) -> Callable[[], Iterator[pd.Series]]:
    """A reader of ``column``'s raw values from the first row, batch by batch."""

    def batches() -> Iterator[pd.Series]:
        for _, batch in source.batches([column]):
            if isinstance(batch, pd.DataFrame):
                yield batch[column]
                continue
            values = batch.column(column).combine_chunks()
            if pa.types.is_dictionary(values.type):
                values = values.dictionary_decode()
            yield values.to_pandas()

    return batches


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, typed: dict[str, pa.Array], import_id: int
) -> None:
    names = list(typed)
    batch = pa.table(list(typed.values()), names=names)
    select = ", ".join(quote_ident(c) for c in names)
    con.register(_BATCH_VIEW, batch)
    try:
        con.execute(
            f"INSERT INTO {table} ({select}, {IMPORT_COLUMN}) "
            f"SELECT {select}, ? FROM {_BATCH_VIEW}",
            [import_id],
        )
    finally:
        con.unregister(_BATCH_VIEW)


def _record(
    con: duckdb.DuckDBPyConnection,
    spec: ModelSpec,
    table: str,
    source: str,
    content_hash: str,
    import_id: int,
    rows: int,
    actor: Actor,
) -> ImportResult:
    """Log the import (and audit it) inside the transaction; return what it wrote."""
    ts = quote_ident(spec.timestamp)
    ts_min, ts_max = only_row(
        con.execute(
            f"SELECT min({ts}), max({ts}) FROM {table} WHERE {IMPORT_COLUMN} = ?", [import_id]
        )
    )
    con.execute(
        "INSERT INTO dw_imports (id, model, source, content_hash, row_count, ts_min, "
        "ts_max, imported_at, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [import_id, spec.name, source, content_hash, rows, ts_min, ts_max, utc_now(), None],
    )
    audit.record(
        con, actor, "import", spec.name, f"import #{import_id} of {source!r}, {rows:,} rows"
    )
    return ImportResult(spec.name, import_id, rows, ts_min, ts_max, False)
