"""The runs of ``python -m monitoring check`` in the database (``dw_check_runs``).

One row per run: time, model, the judged window, outcome and exit code, so the
app can say when a model was last checked and how it went (:func:`last_check`).
A read-only file from before the table existed has no runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from monitoring.store.connection import Store
from monitoring.store.sql import table_exists


@dataclass(frozen=True)
class CheckRun:
    """One run of ``check``: when, on which model and window, how it ended."""

    model: str
    ran_at: dt.datetime
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    outcome: str
    exit_code: int
    firing: int
    message: str = ""


def record_check(store: Store, run: CheckRun) -> None:
    """Add one run of ``check``."""
    with store.connect() as con:
        con.execute(
            "INSERT INTO dw_check_runs VALUES (nextval('dw_check_ids'), ?, ?, ?, ?, ?, ?, ?, ?)",
            [run.model, run.ran_at, run.window_start, run.window_end, run.outcome,
             run.exit_code, run.firing, run.message],
        )  # fmt: skip


def last_check(store: Store, model: str) -> CheckRun | None:
    """The newest run of ``check`` on ``model``, ``None`` when it never ran.

    ``outcome`` is ``ok``, ``firing``, ``undelivered``, ``untested`` or
    ``error``, with the exit code of the same meaning (``docs/alerts.md``).
    """
    if not table_exists(store, "dw_check_runs"):
        return None
    with store.connect() as con:
        rows = con.execute(
            "SELECT model, ran_at, window_start, window_end, outcome, exit_code, firing, message "
            "FROM dw_check_runs WHERE model = ? ORDER BY id DESC LIMIT 1",
            [model],
        ).fetchall()
    return CheckRun(*rows[0]) if rows else None
