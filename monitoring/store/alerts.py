"""Alert history and its deliveries in the database.

- ``dw_alerts``: one row per alert, from the run of ``check`` that opened it
  (``state = 'firing'``) to the one that resolved it (``'resolved'``): rule,
  model, severity, the newest window and its measured values, first and last
  seen, when it was last notified and which notification still waits for a
  working webhook (``pending_event``), who acknowledged it.
- ``dw_alert_deliveries``: every attempt to tell someone, or that a silence
  kept it back: event (``open``, ``repeat``, ``resolve``), attempt number, the
  webhook's scheme and host (never its path, which often holds a token),
  outcome (``sent``, ``failed``, ``silenced``), HTTP status and error.

Silences are in :mod:`monitoring.store.silences`, the runs of ``check`` in
:mod:`monitoring.store.check_runs`. Acknowledgements are written with their
audit row (:mod:`monitoring.store.audit`). Every read tolerates a read-only
file from before these tables existed (it has no alerts).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import duckdb

from monitoring.access import Actor
from monitoring.errors import MonitoringError
from monitoring.store import audit
from monitoring.store.connection import Store
from monitoring.store.sql import abandon, table_exists
from monitoring.timeutil import utc_now

AlertState = Literal["firing", "resolved"]
STATES: tuple[str, ...] = ("firing", "resolved")
SHOWN = 500

_ALERT_COLUMNS = (
    "id, model, rule, severity, state, message, measured, window_start, window_end, "
    "first_window_start, link, first_seen, last_seen, resolved_at, last_notified, "
    "pending_event, acknowledged_by, acknowledged_at"
)


@dataclass(frozen=True)
class AlertRecord:
    """One alert as stored.

    ``id`` is stable for the alert's life (model, rule and the first window it
    fired on), so a receiver can match the resolve to its open. ``values`` are
    the measured values of the newest window (JSON-ready); ``link`` is the
    path and query of the explaining view (``timeline?model=…``), relative to
    the app's URL. Times are naive UTC.
    """

    id: str
    model: str
    rule: str
    severity: str
    state: str
    message: str
    values: dict[str, Any]
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    first_window_start: dt.datetime | None
    link: str | None
    first_seen: dt.datetime
    last_seen: dt.datetime
    resolved_at: dt.datetime | None = None
    last_notified: dt.datetime | None = None
    pending_event: str | None = None
    acknowledged_by: str | None = None
    acknowledged_at: dt.datetime | None = None


@dataclass(frozen=True)
class Attempt:
    """One try at delivering a notification, or the note that a silence kept it back."""

    alert_id: str
    event: str
    attempt: int
    outcome: Literal["sent", "failed", "silenced"]
    target: str | None = None
    status: int | None = None
    error: str | None = None
    at: dt.datetime = field(default_factory=utc_now)


def target_of(url: str) -> str:
    """A webhook as the history names it: scheme and host, never the path (it may hold a
    token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"


def save_alerts(
    store: Store, alerts: Sequence[AlertRecord], attempts: Sequence[Attempt] = ()
) -> None:
    """Insert or replace ``alerts`` (by id) and add ``attempts``, in one transaction."""
    if not alerts and not attempts:
        return
    with store.connect() as con:
        con.begin()
        try:
            for a in alerts:
                con.execute(
                    f"INSERT OR REPLACE INTO dw_alerts ({_ALERT_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [a.id, a.model, a.rule, a.severity, a.state, a.message,
                     json.dumps(a.values, allow_nan=False, default=str), a.window_start,
                     a.window_end, a.first_window_start, a.link, a.first_seen, a.last_seen,
                     a.resolved_at, a.last_notified, a.pending_event, a.acknowledged_by,
                     a.acknowledged_at],
                )  # fmt: skip
            _add_attempts(con, attempts)
            con.commit()
        except BaseException:
            abandon(con)
            raise


def _add_attempts(con: duckdb.DuckDBPyConnection, attempts: Sequence[Attempt]) -> None:
    for t in attempts:
        con.execute(
            "INSERT INTO dw_alert_deliveries VALUES "
            "(nextval('dw_delivery_ids'), ?, ?, ?, ?, ?, ?, ?, ?)",
            [t.alert_id, t.event, t.at, t.attempt, t.target, t.outcome, t.status, t.error],
        )


def list_alerts(
    store: Store,
    model: str | None = None,
    state: str = "all",
    rule: str | None = None,
    limit: int = SHOWN,
) -> list[AlertRecord]:
    """Alerts, firing first then newest seen first; ``state`` is ``firing``, ``resolved`` or
    ``all``; ``model`` and ``rule`` narrow them.

    Raises
    ------
    MonitoringError
        An unknown ``state``.
    """
    if state not in (*STATES, "all"):
        raise MonitoringError(f"unknown alert state {state!r}; use firing, resolved or all")
    if not table_exists(store, "dw_alerts"):
        return []
    with store.connect() as con:
        rows = con.execute(
            f"SELECT {_ALERT_COLUMNS} FROM dw_alerts "
            "WHERE ($model IS NULL OR model = $model) AND ($rule IS NULL OR rule = $rule) "
            "AND ($state = 'all' OR state = $state) "
            "ORDER BY state = 'firing' DESC, last_seen DESC, id LIMIT $limit",
            {"model": model, "rule": rule, "state": state, "limit": limit},
        ).fetchall()
    return [_alert(r) for r in rows]


def get_alert(store: Store, alert_id: str) -> AlertRecord:
    """One alert by id.

    Raises
    ------
    MonitoringError
        No alert has that id.
    """
    found = []
    if table_exists(store, "dw_alerts"):
        with store.connect() as con:
            found = con.execute(
                f"SELECT {_ALERT_COLUMNS} FROM dw_alerts WHERE id = ?", [alert_id]
            ).fetchall()
    if not found:
        raise MonitoringError(f"no alert with id {alert_id!r}")
    return _alert(found[0])


def acknowledge(store: Store, alert_id: str, actor: Actor) -> AlertRecord:
    """Mark a firing alert as acknowledged by ``actor`` (audited): its repeats stop.

    Raises
    ------
    MonitoringError
        No such alert, or it is resolved already.
    """
    alert = get_alert(store, alert_id)
    if alert.state != "firing":
        raise MonitoringError(f"alert {alert_id} ({alert.rule} on {alert.model}) is resolved")
    now = utc_now()
    with store.connect() as con:
        con.begin()
        try:
            con.execute(
                "UPDATE dw_alerts SET acknowledged_by = ?, acknowledged_at = ? WHERE id = ?",
                [actor.user, now, alert_id],
            )
            audit.record(con, actor, "acknowledge_alert", alert.model,
                         f"alert {alert_id}: {alert.rule}")  # fmt: skip
            con.commit()
        except BaseException:
            abandon(con)
            raise
    return get_alert(store, alert_id)


def deliveries(store: Store, alert_id: str | None = None, limit: int = SHOWN) -> list[Attempt]:
    """Delivery attempts (of one alert, or of all), newest first."""
    if not table_exists(store, "dw_alert_deliveries"):
        return []
    with store.connect() as con:
        rows = con.execute(
            "SELECT alert_id, event, attempt, outcome, target, status, error, attempted_at "
            "FROM dw_alert_deliveries WHERE $alert IS NULL OR alert_id = $alert "
            "ORDER BY id DESC LIMIT $limit",
            {"alert": alert_id, "limit": limit},
        ).fetchall()
    return [Attempt(*r) for r in rows]


def _alert(row: tuple[Any, ...]) -> AlertRecord:
    values = list(row)
    values[6] = json.loads(values[6])
    return AlertRecord(*values)
