"""Silences of alerts in the database (``dw_silences``).

A model, or one rule of it, silenced until a time, with a reason and who set
it; ending one early sets ``ended_at``. Each change is written with its audit
row (:mod:`monitoring.store.audit`). A read-only file from before the table
existed has no silences.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from monitoring.access import Actor
from monitoring.errors import MonitoringError
from monitoring.store import audit
from monitoring.store.connection import Store
from monitoring.store.sql import abandon, table_exists
from monitoring.timeutil import naive_utc, utc_now

MAX_REASON = 200


@dataclass(frozen=True)
class Silence:
    """A model (``rule is None``) or one of its rules silenced until ``until`` (naive UTC)."""

    id: int
    model: str
    rule: str | None
    until: dt.datetime
    reason: str
    created_by: str
    created_at: dt.datetime
    ended_at: dt.datetime | None = None

    def active(self, now: dt.datetime) -> bool:
        """True while it silences: before ``until`` and not ended."""
        return self.ended_at is None and now < self.until

    def covers(self, model: str, rule: str, now: dt.datetime) -> bool:
        """True when it silences ``rule`` of ``model`` at ``now``."""
        return self.active(now) and self.model == model and self.rule in (None, rule)


def add_silence(
    store: Store,
    model: str,
    rule: str | None,
    until: dt.datetime,
    reason: str,
    actor: Actor,
) -> Silence:
    """Silence ``rule`` of ``model`` (``None``: all its rules) until ``until`` (audited).

    Raises
    ------
    MonitoringError
        An unknown model or rule (the model's rules are listed), a time not in
        the future, an empty reason or one longer than :data:`MAX_REASON`.
    """
    spec = store.model(model).spec
    names = [r.name for r in spec.alerts.all_rules()]
    if rule is not None and rule not in names:
        raise MonitoringError(f"model {model!r} has no alert rule {rule!r}; its rules are {names}")
    moment = naive_utc(until)
    now = utc_now()
    if moment <= now:
        raise MonitoringError(f"a silence needs an end in the future; {moment} is not after {now}")
    clean = " ".join(reason.split())
    if not clean:
        raise MonitoringError("a silence needs a reason")
    if len(clean) > MAX_REASON:
        raise MonitoringError(f"a reason has at most {MAX_REASON} characters; this one has "
                              f"{len(clean):,}")  # fmt: skip
    with store.connect() as con:
        con.begin()
        try:
            row = con.execute(
                "INSERT INTO dw_silences VALUES (nextval('dw_silence_ids'), ?, ?, ?, ?, ?, ?, "
                "NULL) RETURNING id",
                [model, rule, moment, clean, actor.user, now],
            ).fetchall()
            audit.record(con, actor, "silence_alert", model, _described(rule, moment, clean))
            con.commit()
        except BaseException:
            abandon(con)
            raise
    return Silence(int(row[0][0]), model, rule, moment, clean, actor.user, now)


def end_silence(store: Store, silence_id: int, actor: Actor) -> Silence:
    """End a silence now (audited).

    Raises
    ------
    MonitoringError
        No silence has that id, or it has ended already.
    """
    found = [s for s in silences(store, active_only=False) if s.id == silence_id]
    now = utc_now()
    if not found:
        raise MonitoringError(f"no silence with id {silence_id}")
    if not found[0].active(now):
        raise MonitoringError(f"silence {silence_id} has ended already")
    old = found[0]
    with store.connect() as con:
        con.begin()
        try:
            con.execute("UPDATE dw_silences SET ended_at = ? WHERE id = ?", [now, silence_id])
            audit.record(con, actor, "silence_alert", old.model,
                         "ended " + _described(old.rule, old.until, old.reason))  # fmt: skip
            con.commit()
        except BaseException:
            abandon(con)
            raise
    return Silence(old.id, old.model, old.rule, old.until, old.reason, old.created_by,
                   old.created_at, now)  # fmt: skip


def silences(
    store: Store,
    model: str | None = None,
    active_only: bool = True,
    now: dt.datetime | None = None,
) -> list[Silence]:
    """Silences (of ``model``, or all), newest first; only those active at ``now`` (default:
    now) unless ``active_only`` is false."""
    if not table_exists(store, "dw_silences"):
        return []
    moment = now or utc_now()
    with store.connect() as con:
        rows = con.execute(
            "SELECT id, model, rule, until, reason, created_by, created_at, ended_at "
            "FROM dw_silences WHERE ($model IS NULL OR model = $model) "
            "AND (NOT $active OR (ended_at IS NULL AND until > $now)) ORDER BY id DESC",
            {"model": model, "active": active_only, "now": moment},
        ).fetchall()
    return [Silence(int(r[0]), *r[1:]) for r in rows]


def _described(rule: str | None, until: dt.datetime, reason: str) -> str:
    what = f"rule {rule!r}" if rule else "every rule"
    return f"silence of {what} until {until:%Y-%m-%d %H:%M}: {reason!r}"
