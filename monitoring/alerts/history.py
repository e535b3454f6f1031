"""From one check's rule outcomes to the alert history, and the notifications that are due.

:func:`reconcile` compares an :class:`~monitoring.alerts.rules.AlertCheck`
with the model's open alerts (Prometheus Alertmanager's life cycle, kept in
``dw_alerts``):

- a rule that fires and has no open alert **opens** one (notification
  ``open``);
- a rule that keeps firing **updates** its alert (last seen, window, values);
  it is notified again (``repeat``) only after the spec's ``repeat_hours``
  since the last notification, and never once acknowledged;
- an open alert whose rule no longer fires (``ok``, or only ``pending``), or
  whose rule left the spec, **resolves** (``resolve``, sent only when its
  opening was);
- a rule that cannot be judged this time (``unknown``) leaves its alert as it
  is: labels still pending do not resolve a metric alert;
- a notification that could not be delivered stays due (``pending_event``)
  and is tried again on the next run.

An active silence of the model or the rule keeps a notification back: it is
recorded (an attempt with outcome ``silenced``), not sent, and the alert stays
in the history. :func:`deliver` sends what is due and records every attempt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from monitoring.alert_spec import AlertRule
from monitoring.alerts.delivery import WebhookResult
from monitoring.alerts.rules import AlertCheck, RuleOutcome
from monitoring.store import alerts as history
from monitoring.store import silences
from monitoring.store.alerts import AlertRecord, Attempt
from monitoring.store.connection import Store
from monitoring.store.silences import Silence
from monitoring.timeline.report import WindowDrift
from monitoring.timeutil import utc_now

Event = Literal["open", "repeat", "resolve"]


@dataclass(frozen=True)
class Notification:
    """An alert to tell someone about: which event, and the silence that keeps it back, if any."""

    alert: AlertRecord
    event: Event
    silenced_by: Silence | None = None


@dataclass(frozen=True)
class Reconciled:
    """What one check leaves: the model's open alerts and those it resolved, and the
    notifications due."""

    alerts: tuple[AlertRecord, ...]
    due: tuple[Notification, ...]

    @property
    def firing(self) -> tuple[AlertRecord, ...]:
        """The model's alerts that are firing after this check."""
        return tuple(a for a in self.alerts if a.state == "firing")


def reconcile(
    store: Store,
    check: AlertCheck,
    link_of: Callable[[AlertRule, WindowDrift], str],
    now: dt.datetime | None = None,
) -> Reconciled:
    """Open, update and resolve the model's alerts from ``check``; nothing is written yet.

    ``link_of`` gives a rule's link to the view that explains it on a window
    (relative to the app); ``now`` (naive UTC, default the clock) is when the check ran.
    """
    moment = now or utc_now()
    repeat = dt.timedelta(hours=check.rules.repeat_hours)
    current = history.list_alerts(store, model=check.model, state="firing")
    # A resolve whose delivery failed is tried again, though the alert is closed.
    unsent = [
        a for a in history.list_alerts(store, model=check.model, state="resolved")
        if a.pending_event == "resolve"
    ]  # fmt: skip
    open_by_rule = {a.rule: a for a in current}
    quiet = silences.silences(store, model=check.model, now=moment)
    written: list[AlertRecord] = []
    due: list[Notification] = []

    def notify(alert: AlertRecord, event: Event) -> None:
        silence = next((s for s in quiet if s.covers(alert.model, alert.rule, moment)), None)
        due.append(Notification(alert, event, silence))

    seen = set()
    for outcome in check.outcomes:
        name = outcome.rule.name
        seen.add(name)
        alert = open_by_rule.get(name)
        if outcome.state == "firing":
            if alert is None:
                alert = _opened(check.model, outcome, link_of, moment)
                written.append(alert)
                notify(alert, "open")
                continue
            alert = _updated(alert, outcome, link_of, moment)
            written.append(alert)
            if alert.last_notified is None:
                notify(alert, "open")  # never told: a silence ended, or the webhook failed
            elif alert.pending_event is not None or (
                alert.acknowledged_at is None
                and repeat > dt.timedelta(0)
                and moment - alert.last_notified >= repeat
            ):
                notify(alert, "repeat")
        elif alert is not None and outcome.state in ("ok", "pending"):
            _resolve(alert, outcome.message, moment, written, notify)
    touched = {a.id for a in written}
    for alert in current:
        if alert.rule not in seen:
            _resolve(alert, "the rule is no longer in the spec", moment, written, notify)
        elif alert.id not in touched:
            written.append(alert)  # its rule could not be judged: it stays as it was
    for alert in unsent:
        written.append(alert)
        notify(alert, "resolve")
    return Reconciled(tuple(written), tuple(due))


def _resolve(
    alert: AlertRecord,
    message: str,
    moment: dt.datetime,
    written: list[AlertRecord],
    notify: Callable[[AlertRecord, Event], None],
) -> None:
    told = alert.last_notified is not None
    # An alert nobody was told about closes quietly: a resolve of it would puzzle its reader.
    closed = replace(
        alert,
        state="resolved",
        resolved_at=moment,
        message=message or alert.message,
        pending_event=None,
    )
    written.append(closed)
    if told:
        notify(closed, "resolve")


def _opened(
    model: str,
    outcome: RuleOutcome,
    link_of: Callable[[AlertRule, WindowDrift], str],
    moment: dt.datetime,
) -> AlertRecord:
    window, first = outcome.window, outcome.first_window
    assert window is not None and first is not None  # a firing rule held on a window
    key = f"{model}\0{outcome.rule.name}\0{first.start.isoformat()}\0{moment.isoformat()}"
    return AlertRecord(
        id=hashlib.sha256(key.encode()).hexdigest()[:16],
        model=model,
        rule=outcome.rule.name,
        severity=outcome.rule.severity,
        state="firing",
        message=outcome.message,
        values=outcome.values,
        window_start=window.start,
        window_end=window.end,
        first_window_start=first.start,
        link=link_of(outcome.rule, window),
        first_seen=moment,
        last_seen=moment,
    )


def _updated(
    alert: AlertRecord,
    outcome: RuleOutcome,
    link_of: Callable[[AlertRule, WindowDrift], str],
    moment: dt.datetime,
) -> AlertRecord:
    window = outcome.window
    assert window is not None
    return replace(
        alert,
        severity=outcome.rule.severity,
        message=outcome.message,
        values=outcome.values,
        window_start=window.start,
        window_end=window.end,
        link=link_of(outcome.rule, window),
        last_seen=moment,
    )


Sender = Callable[[Notification], Sequence[WebhookResult]]


def deliver(
    store: Store,
    reconciled: Reconciled,
    send: Sender | None,
    target: str | None = None,
    now: dt.datetime | None = None,
) -> list[Attempt]:
    """Send the due notifications with ``send`` and write the alerts and every attempt.

    ``send`` returns the result of each try (retries included, the last one
    decides); ``None`` means no webhook is configured: the alerts are written
    and nothing counts as told. A silenced notification is recorded once per
    alert, not sent. Returns the attempts made or recorded.
    """
    moment = now or utc_now()
    alerts = {a.id: a for a in reconciled.alerts}
    attempts: list[Attempt] = []
    for note in reconciled.due:
        alert = alerts[note.alert.id]
        if note.silenced_by is not None:
            if send is not None and not _silenced_before(store, alert.id):
                why = f"silence {note.silenced_by.id} until {note.silenced_by.until:%Y-%m-%d %H:%M}"
                attempts.append(Attempt(alert.id, note.event, 0, "silenced", target, None, why,
                                        moment))  # fmt: skip
            continue
        if send is None:
            continue
        results = list(send(replace(note, alert=alert)))
        for number, result in enumerate(results, start=1):
            outcome: Literal["sent", "failed"] = "sent" if result.ok else "failed"
            attempts.append(Attempt(alert.id, note.event, number, outcome, target,
                                    result.status, result.error, moment))  # fmt: skip
        if results and results[-1].ok:
            alerts[alert.id] = replace(alert, last_notified=moment, pending_event=None)
        else:
            alerts[alert.id] = replace(alert, pending_event=note.event)
    history.save_alerts(store, list(alerts.values()), attempts)
    return attempts


def _silenced_before(store: Store, alert_id: str) -> bool:
    latest = history.deliveries(store, alert_id, limit=1)
    return bool(latest) and latest[0].outcome == "silenced"
