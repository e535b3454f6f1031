"""The audit log: who did what to which object, and when.

Every change made through the app (an upload, a saved or deleted slice, a
written or deleted note) and every import writes one row to ``dw_audit``:
time (naive UTC), user, role, action, model and a description of the
object. The row is written in the same transaction as the change itself, so
a change is never without its row, nor a row without its change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from monitoring.access import Actor
from monitoring.timeutil import utc_now

if TYPE_CHECKING:
    from monitoring.store.connection import Store

SHOWN = 200


def record(
    con: duckdb.DuckDBPyConnection, actor: Actor, action: str, model: str | None, what: str
) -> None:
    """Add one row through ``con``, inside the caller's transaction."""
    con.execute(
        "INSERT INTO dw_audit VALUES (nextval('dw_audit_ids'), ?, ?, ?, ?, ?, ?)",
        [utc_now(), actor.user, actor.role, action, model, what],
    )


def entries(store: Store, model: str | None = None, limit: int = SHOWN) -> pd.DataFrame:
    """The newest ``limit`` rows (of ``model``, or of every model), newest first.

    Columns: ``at``, ``user``, ``role``, ``action``, ``model``, ``object``. A
    read-only file from before the audit log has none: no rows.
    """
    found = store.query("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'dw_audit'")
    if not found["n"].iloc[0]:
        return pd.DataFrame(columns=["at", "user", "role", "action", "model", "object"])
    return store.query(
        'SELECT happened_at AS "at", user_name AS "user", role, action, model, object '
        "FROM dw_audit "
        "WHERE $model IS NULL OR model = $model ORDER BY id DESC LIMIT $limit",
        {"model": model, "limit": limit},
    )
