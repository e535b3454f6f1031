"""The DuckDB store: connections, registered models and appending records.

Each model's inference records live in one wide table, ``records:<model>``,
typed from its spec, plus ``_dw_import`` (the import that wrote the row).
Metadata lives in ``dw_models`` (name, table, spec as JSON) and ``dw_imports``
(one row per import: source, content hash, rows, time range); every table is
declared in :mod:`monitoring.store.tables`. :meth:`Store.model` resolves a
model's name once into a :class:`ModelHandle`, which the library passes on.

Connections are opened per operation and closed at once, so the app, a cron
job and an import can take turns on one file: DuckDB lets one process hold a
file for writing, and a short hold keeps everyone else waiting only briefly.
The app keeps the file open for a moment between its operations
(:mod:`monitoring.store.warm`), which makes each of them a millisecond instead
of a tenth of a second to open, and still leaves gaps for other processes.
All connections to a file are alike: DuckDB refuses two connections to one file
with different settings inside one process, and the app's threads share a
process. So they are read-write, unless this process may not write the file
(or its folder): then every connection is read-only, reading works and a write
is refused saying the file is read-only.

A failure reaches the caller as a :class:`StoreError` in words: a busy file
names the process holding it, a write conflict says to try again, a
read-only file says so; other causes (a full disk) keep DuckDB's message,
which names them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from monitoring.access import Actor
from monitoring.errors import ModelNotFoundError, StoreError, ValidationError
from monitoring.schema import ModelSpec
from monitoring.store import audit, buffer_caps, tables, turns, warm
from monitoring.store.reads import Source
from monitoring.store.sql import abandon, first_row, is_read_only, only_row, quote_ident
from monitoring.store.tables import IMPORT_COLUMN
from monitoring.timeutil import utc_now

# Anchored at the checkout, so the app and the CLI agree wherever they are started from.
DEFAULT_DB = Path(__file__).resolve().parents[2] / "data" / "driftwatch.duckdb"
DB_ENV = "DRIFTWATCH_DB"
_LOCK_WAIT_SECONDS = 15.0


def default_db_path() -> Path:
    """The database the CLI and the app use unless told otherwise (``DRIFTWATCH_DB`` wins)."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


def using_default_db() -> bool:
    """True unless ``DRIFTWATCH_DB`` names another database."""
    return not os.environ.get(DB_ENV)


@dataclass(frozen=True)
class ModelHandle:
    """A registered model resolved once: the store it lives in, its spec and its quoted table.

    The library's internal functions take a handle instead of ``(store, name)``,
    so one request reads the catalog once however many steps it has.
    """

    store: Store
    spec: ModelSpec
    table: str  # quoted

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def timestamp(self) -> str:
        """The quoted timestamp column."""
        return quote_ident(self.spec.timestamp)

    @property
    def source(self) -> Source:
        """The model's records as the drift engine reads them (windows are time ranges)."""
        return Source(self.table, self.timestamp)

    def labelled(self) -> str:
        """SQL counting the labelled rows of a group (``0`` for a model without a target)."""
        return f"count({quote_ident(self.spec.target)})" if self.spec.target else "0"


@dataclass(frozen=True)
class ImportResult:
    """What one import wrote."""

    model: str
    import_id: int
    rows: int
    ts_min: dt.datetime
    ts_max: dt.datetime
    created_model: bool
    warnings: tuple[str, ...] = ()  # allowed but worth a look (see ingest.record_notes)


class Store:
    """A Driftwatch database file; cheap to create, holds no open connection."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    @contextmanager
    def connect(self, buffer_cap: int | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open a connection (creating the file and metadata tables if needed).

        ``buffer_cap``: bytes DuckDB may use, cached blocks included, while this
        connection is open — in force only while every connection to the file in
        this process asked for a cap (see :mod:`monitoring.buffer_caps`).
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        if not created:
            # another process waiting for the file goes first; then, in a process that
            # opted in, the file stays open while it is busy
            turns.yield_to_waiters(self.path, lambda: warm.pause(self.path))
            warm.touch(self.path, lambda: _open_waiting_for_lock(self.path))
        with (
            turns.holding(),
            buffer_caps.tracked(self.path, _open_waiting_for_lock, buffer_cap) as con,
        ):
            try:
                tables.ensure(con, self.path, created)
                yield con
            except duckdb.Error as exc:
                raise StoreError(explained(self.path, exc)) from exc

    def cap_buffer(self, con: duckdb.DuckDBPyConnection, buffer_cap: int | None) -> None:
        """Change the ``buffer_cap`` that ``con`` (from :meth:`connect`) asks for."""
        buffer_caps.change(self.path, con, buffer_cap)

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> pd.DataFrame:
        """Run one parameterised query and return its rows as a DataFrame."""
        with self.connect() as con:
            return con.execute(sql, params).df()

    def models(self) -> list[str]:
        """Names of the registered models, sorted."""
        with self.connect() as con:
            return [
                r[0] for r in con.execute("SELECT name FROM dw_models ORDER BY name").fetchall()
            ]

    def model(self, name: str) -> ModelHandle:
        """Resolve a registered model once: its spec and its quoted table.

        Raises
        ------
        ModelNotFoundError
            For an unknown name; the message lists the known ones.
        """
        with self.connect() as con:
            row = first_row(
                con.execute("SELECT spec, table_name FROM dw_models WHERE name = ?", [name])
            )
            if row is None:
                known = [
                    r[0] for r in con.execute("SELECT name FROM dw_models ORDER BY name").fetchall()
                ]
                raise ModelNotFoundError(
                    f"no model named {name!r} in {self.path}; known models: {known or 'none'}"
                )
        return ModelHandle(self, ModelSpec.from_json(row[0]), quote_ident(row[1]))

    def data_version(self) -> int:
        """A number that grows with every import: a cheap key for caches."""
        with self.connect() as con:
            return int(only_row(con.execute("SELECT coalesce(max(id), 0) FROM dw_imports"))[0])

    def append(
        self,
        spec: ModelSpec,
        records: pd.DataFrame,
        source: str,
        content_hash: str | None = None,
        actor: Actor | None = None,
        batch_id: str | None = None,
        allow_duplicate: bool = False,
    ) -> ImportResult:
        """Append validated records in one transaction, registering the model if new.

        ``records`` must already be validated (:func:`monitoring.store.ingest.validate_records`):
        exactly the spec's columns, typed as :meth:`ModelSpec.sql_type` says.
        A registered model whose spec changes any column's role is refused, and
        so is a ``content_hash`` or ``batch_id`` the model has imported before
        (unless ``allow_duplicate``). With ``actor`` the audit log records the
        import in the same transaction.
        """
        columns = list(spec.columns())
        with self.connect() as con:
            con.begin()
            try:
                if not allow_duplicate:
                    _refuse_duplicate(con, spec.name, source, content_hash, batch_id)
                created = _register(con, spec)
                table = quote_ident(tables.records_table(spec.name))
                import_id = only_row(con.execute("SELECT nextval('dw_import_ids')"))[0]
                con.register("dw_incoming", records)
                select = ", ".join(quote_ident(c) for c in columns)
                con.execute(
                    f"INSERT INTO {table} ({select}, {IMPORT_COLUMN}) "
                    f"SELECT {select}, ? FROM dw_incoming",
                    [import_id],
                )
                con.unregister("dw_incoming")
                ts = quote_ident(spec.timestamp)
                ts_min, ts_max = only_row(
                    con.execute(
                        f"SELECT min({ts}), max({ts}) FROM {table} WHERE {IMPORT_COLUMN} = ?",
                        [import_id],
                    )
                )
                con.execute(
                    "INSERT INTO dw_imports (id, model, source, content_hash, row_count, ts_min, "
                    "ts_max, imported_at, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        import_id,
                        spec.name,
                        source,
                        content_hash,
                        len(records),
                        ts_min,
                        ts_max,
                        utc_now(),
                        batch_id,
                    ],
                )
                if actor is not None:
                    what = f"import #{import_id} of {source!r}, {len(records):,} rows"
                    audit.record(con, actor, "import", spec.name, what)
                con.commit()
            except BaseException:
                abandon(con)
                raise
        return ImportResult(spec.name, int(import_id), len(records), ts_min, ts_max, created)

    def imports(self, model: str) -> pd.DataFrame:
        """The import log of ``model``, newest first."""
        return self.query(
            "SELECT id, source, content_hash, batch_id, row_count, ts_min, ts_max, imported_at "
            "FROM dw_imports WHERE model = ? ORDER BY id DESC",
            [model],
        )


def _refuse_duplicate(
    con: duckdb.DuckDBPyConnection,
    model: str,
    source: str,
    content_hash: str | None,
    batch_id: str | None,
) -> None:
    """Refuse an import whose content or batch id the model already has: it would double rows."""
    row = first_row(
        con.execute(
            "SELECT id, source, imported_at, row_count, batch_id = ? FROM dw_imports "
            "WHERE model = ? AND (content_hash = ? OR batch_id = ?) ORDER BY id LIMIT 1",
            [batch_id, model, content_hash, batch_id],
        )
    )
    if row is None:
        return
    import_id, earlier, when, rows, same_batch = row
    what = (
        f"batch {batch_id!r} was logged"
        if same_batch
        else f"the same content (sha256 {str(content_hash)[:12]}…) was imported"
    )
    fix = "use a new batch id" if same_batch else "pass --allow-duplicate to import it anyway"
    raise ValidationError(
        source,
        [
            f"{what} into {model!r} before: import #{import_id} from {earlier!r} on "
            f"{when:%Y-%m-%d %H:%M} UTC, {rows:,} rows; importing it again would count every "
            f"row twice ({fix})"
        ],
    )


def _register(con: duckdb.DuckDBPyConnection, spec: ModelSpec) -> bool:
    """Create the model's table and metadata row, or check the spec still fits the table."""
    row = first_row(con.execute("SELECT spec FROM dw_models WHERE name = ?", [spec.name]))
    if row is not None:
        stored = ModelSpec.from_json(row[0])
        if not stored.same_columns(spec):
            raise StoreError(
                f"model {spec.name!r} is already registered with other columns or task; "
                f"stored: {stored.columns()} ({stored.task}); new: {spec.columns()} ({spec.task})"
            )
        con.execute(
            "UPDATE dw_models SET spec = ?, updated_at = ? WHERE name = ?",
            [spec.to_json(), utc_now(), spec.name],
        )
        return False
    tables.create_records_table(con, spec)
    con.execute(
        "INSERT INTO dw_models VALUES (?, ?, ?, ?, ?)",
        [spec.name, tables.records_table(spec.name), spec.to_json(), utc_now(), utc_now()],
    )
    return True


def explained(path: Path, exc: duckdb.Error) -> str:
    """A DuckDB failure on ``path`` in words a user can act on (see the module docstring)."""
    text = str(exc)
    if is_read_only(exc):
        return (
            f"{path} is read-only for Driftwatch here: it can be shown but not changed "
            f"(make the file and its folder writable to import, upload or annotate)"
        )
    if isinstance(exc, duckdb.TransactionException) and "conflict" in text.lower():
        return (
            f"{path}: another session changed the same data at the same moment, so nothing "
            f"was written; try again"
        )
    return f"{path}: {text}"


def _open_waiting_for_lock(path: Path) -> duckdb.DuckDBPyConnection:
    """Connect, retrying while another process holds the file's write lock."""
    read_only = path.exists() and not _writable(path)
    deadline = time.monotonic() + _LOCK_WAIT_SECONDS
    asked = False
    with ExitStack() as asking:
        while True:
            try:
                return duckdb.connect(str(path), read_only=read_only)
            except duckdb.IOException as exc:
                text = str(exc)
                if not read_only and path.exists() and _denied(text):
                    read_only = True  # the file system says what os.access did not
                    continue
                if "lock" not in text.lower():
                    raise StoreError(f"{path}: cannot open the database: {exc}") from exc
                if time.monotonic() > deadline:
                    raise StoreError(_busy(path, text)) from exc
                if not asked:  # the holder is asked to let go (store/turns.py)
                    asking.enter_context(turns.waiting(path))
                    asked = True
                time.sleep(0.1)
            except duckdb.Error as exc:
                raise StoreError(f"{path}: cannot open the database: {exc}") from exc


def _writable(path: Path) -> bool:
    """True when this process may write the file and create its write-ahead log beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _denied(text: str) -> bool:
    return "Permission denied" in text or "Read-only file system" in text


def _busy(path: Path, text: str) -> str:
    holder = re.search(r"\(PID (\d+)\)", text)
    who = f"another program (PID {holder[1]})" if holder else "another program"
    return (
        f"{path} is busy: {who} has held it for more than {_LOCK_WAIT_SECONDS:.0f} s — an "
        f"import or a check may still be running; try again when it is done"
    )
