"""The small pieces every SQL text of the store is built from.

Identifiers (table and column names come from specs, which users write) pass
through :func:`quote_ident`; values are always parameters, never text.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:  # connection imports this module
    from monitoring.store.connection import Store


def quote_ident(name: str) -> str:
    """Quote an SQL identifier for DuckDB, doubling any embedded double quote."""
    return '"' + name.replace('"', '""') + '"'


def first_row(result: duckdb.DuckDBPyConnection) -> tuple[Any, ...] | None:
    """The first row of a result, read to the end: DuckDB 2 refuses work after a half-read one."""
    rows = result.fetchall()
    return rows[0] if rows else None


def abandon(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction, if DuckDB still holds one.

    A failed statement (a write conflict, a full disk) can end the transaction
    itself; rolling back then raises "no transaction is active", which would
    hide the real cause. Callers re-raise the cause after this.
    """
    with contextlib.suppress(duckdb.TransactionException):
        con.rollback()


def is_read_only(exc: duckdb.Error) -> bool:
    """True when ``exc`` is DuckDB refusing a write to a file opened read-only."""
    return "read-only mode" in str(exc)


def only_row(result: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """The single row of an aggregate query."""
    row = first_row(result)
    assert row is not None, "an aggregate query returns one row"
    return row


def table_exists(store: Store, table: str) -> bool:
    """True when the file has ``table``: a read-only file may predate the newer tables."""
    found = store.query("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = ?", [table])
    return bool(found["n"].iloc[0])
