"""``python -m monitoring check``: fill the drift timeline, check the alert rules, tell someone.

The command computes (or reads back) the model's drift timeline from
``--since`` (default: its first record) to its newest record, prints the
latest windows, checks the spec's ``[alerts]`` rules on the newest complete
windows (:mod:`monitoring.alerts.rules`), opens, updates and resolves alerts
in the database (:mod:`monitoring.alerts.history`) and, with ``--webhook
URL``, tells the webhook when an alert opens or resolves (and again after the
spec's ``repeat_hours``), retrying with back-off. Every run is recorded
(:func:`monitoring.store.alerts.last_check`). Meant for cron or an
orchestrator; ``docs/alerts.md`` describes rules, payloads and history.

The rules are checked on *complete* windows: the current day or week still
filling is partial and is not judged (the output says so).

Exit codes: 0 no alert firing; 3 an alert is firing (silenced or not); 4 a
notification could not be delivered (it is tried again on the next run); 5
nothing could be judged (every window too small, partial or empty: the output
says which); 1 a problem with the data or the database; 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from monitoring.alert_spec import AlertRule
from monitoring.alerts.delivery import (
    DEFAULT_ATTEMPTS,
    DEFAULT_BACKOFF,
    FORMATS,
    WebhookResult,
    alert_payload,
    full_link,
    payload_for,
    post_with_retries,
)
from monitoring.alerts.history import Notification, Reconciled, Sender, deliver, reconcile
from monitoring.alerts.rules import AlertCheck, evaluate_alerts
from monitoring.cli.options import add_db_option, add_verdict_options, day, positive_int, store_of
from monitoring.drift.config import DriftConfig
from monitoring.errors import MonitoringError
from monitoring.report.links import DEFAULT_APP_URL, performance_link, timeline_link
from monitoring.report.text import verdict_word
from monitoring.store.alerts import Attempt, target_of
from monitoring.store.check_runs import CheckRun, record_check
from monitoring.store.connection import Store
from monitoring.store.windows import PERIODS, WindowPlan
from monitoring.timeline.engine import DEFAULT_MIN_ROWS, TIMELINE_DETECTORS, run_timeline
from monitoring.timeline.report import Timeline, WindowDrift
from monitoring.timeutil import span_label, utc_now

EXIT_OK, EXIT_ERROR, EXIT_BREACH, EXIT_UNDELIVERED, EXIT_UNTESTED = 0, 1, 3, 4, 5
OUTCOMES = {EXIT_OK: "ok", EXIT_ERROR: "error", EXIT_BREACH: "firing",
            EXIT_UNDELIVERED: "undelivered", EXIT_UNTESTED: "untested"}  # fmt: skip
SHOWN_WINDOWS = 3


def add_check_command(commands: Any) -> argparse.ArgumentParser:
    """Register ``check`` on an argparse sub-parsers object; return its parser."""
    text = "Compute the drift timeline up to now and exit 3 when the latest window breaches."
    sub: argparse.ArgumentParser = commands.add_parser("check", help=text, description=text)
    add_db_option(sub)
    sub.add_argument("--model", required=True, help="the model's name")
    sub.add_argument("--period", choices=PERIODS, default="day", help="window (default: day)")
    sub.add_argument("--rows", type=positive_int, help="windows of N records instead of a period")
    sub.add_argument("--since", type=day, help="first day of the timeline (YYYY-MM-DD)")
    sub.add_argument("--detector", choices=TIMELINE_DETECTORS, default="auto")
    add_verdict_options(sub, DEFAULT_MIN_ROWS)
    sub.add_argument(
        "--webhook", metavar="URL", help="POST each alert here when it opens and resolves"
    )
    sub.add_argument(
        "--webhook-format",
        choices=FORMATS,
        default="json",
        help="json (the documented document, default) or slack (an incoming-webhook message)",
    )
    sub.add_argument(
        "--retries",
        type=positive_int,
        default=DEFAULT_ATTEMPTS,
        help=f"tries per notification when the webhook fails (default {DEFAULT_ATTEMPTS})",
    )
    sub.add_argument(
        "--backoff",
        type=seconds,
        default=DEFAULT_BACKOFF,
        help=f"seconds before the second try, doubled before each further one "
        f"(default {DEFAULT_BACKOFF:g})",
    )
    sub.add_argument(
        "--app-url",
        default=DEFAULT_APP_URL,
        help=f"base URL of the app, for the alert's link (default {DEFAULT_APP_URL})",
    )
    sub.add_argument("--json", action="store_true", help="print a JSON document")
    sub.set_defaults(run=run_check)
    return sub


def seconds(text: str) -> float:
    """A number of seconds, 0 or more (``--backoff``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, got {text}")
    return value


def run_check(args: argparse.Namespace) -> int:
    """Run the check described by parsed ``args``; return the exit code."""
    ran_at = utc_now()
    store: Store | None = None
    try:
        store = store_of(args)
        plan = WindowPlan(args.period, args.rows, args.since)
        model = store.model(args.model)
        windows = plan.windows(model)
        config = DriftConfig(
            detector=args.detector,
            correction=args.correction,
            rule=args.rule,
            baseline=args.baseline or model.spec.baseline,
        )
        timeline = run_timeline(
            store, args.model, windows, config, min_rows=args.min_rows, plan=plan
        )
        check = evaluate_alerts(store, timeline, plan)

        def link_of(rule: AlertRule | None, window: WindowDrift) -> str:
            # A metric rule is explained by the Performance page, the others by the Timeline.
            if rule is not None and rule.signal == "metric":
                found = performance_link("", args.model, window.bounds, plan, rule.metrics[0])
            else:
                found = timeline_link("", args.model, window.bounds, plan)
            return found.lstrip("/")

        reconciled = reconcile(store, check, link_of, ran_at)
        target = target_of(args.webhook) if args.webhook else None
        attempts = deliver(store, reconciled, _sender(args), target, ran_at)
    except MonitoringError as exc:
        print(f"error: {exc}", file=sys.stderr)
        _record(store, args.model, ran_at, None, EXIT_ERROR, 0, str(exc))
        return EXIT_ERROR
    link = None if check.window is None else full_link(args.app_url, link_of(None, check.window))
    undelivered = _undelivered(attempts)
    for failure in undelivered:
        print(f"error: webhook not delivered: {failure.error}", file=sys.stderr)
    code = _exit_code(timeline, check, reconciled, undelivered)
    _record(store, args.model, ran_at, check.window, code, len(reconciled.firing),
            "; ".join(b.message for b in check.breaches) or "; ".join(check.notes))  # fmt: skip
    if args.json:
        document = {
            **check_document(check, link),
            "timeline": _summary(timeline),
            "alerts": [alert_payload(a, "state", args.app_url) for a in reconciled.firing],
            "notifications": [_notified(n, attempts) for n in reconciled.due],
            "webhook": None
            if not args.webhook
            else {
                "attempts": sum(a.outcome != "silenced" for a in attempts),
                "undelivered": len(undelivered),
            },
        }
        print(json.dumps(document, indent=2, allow_nan=False, default=str))
    else:
        print(render(timeline, check, link))
        lines = _alert_lines(reconciled, attempts)
        if lines:
            print("\n".join(lines))
    return code


def _sender(args: argparse.Namespace) -> Sender | None:
    """How to send one notification to ``--webhook`` (``None`` without one)."""
    if not args.webhook:
        return None

    def send(note: Notification) -> list[WebhookResult]:
        payload = payload_for(args.webhook_format, note.alert, note.event, args.app_url)
        return post_with_retries(args.webhook, payload, attempts=args.retries,
                                 backoff=args.backoff)  # fmt: skip

    return send


def _undelivered(attempts: list[Attempt]) -> list[Attempt]:
    """The last failed try of each notification that no try delivered."""
    sent = {(a.alert_id, a.event) for a in attempts if a.outcome == "sent"}
    last: dict[tuple[str, str], Attempt] = {}
    for a in attempts:
        if a.outcome == "failed" and (a.alert_id, a.event) not in sent:
            last[(a.alert_id, a.event)] = a
    return list(last.values())


def _exit_code(
    timeline: Timeline, check: AlertCheck, reconciled: Reconciled, undelivered: list[Attempt]
) -> int:
    if undelivered:
        return EXIT_UNDELIVERED
    if reconciled.firing:
        return EXIT_BREACH
    if check.window is None and timeline.windows:
        return EXIT_UNTESTED
    return EXIT_OK


def _record(
    store: Store | None,
    model: str,
    ran_at: Any,
    window: WindowDrift | None,
    code: int,
    firing: int,
    message: str,
) -> None:
    """Add the run to ``dw_check_runs``; a model or database that failed cannot hold it."""
    if store is None:
        return
    start, end = (None, None) if window is None else window.bounds
    run = CheckRun(model, ran_at, start, end, OUTCOMES[code], code, firing, message)
    try:
        store.model(model)
        record_check(store, run)
    except MonitoringError:
        pass  # the error itself was printed; an unknown model has no runs to record


def _notified(note: Notification, attempts: list[Attempt]) -> dict[str, Any]:
    tries = [a for a in attempts if a.alert_id == note.alert.id and a.event == note.event]
    return {
        "id": note.alert.id,
        "rule": note.alert.rule,
        "event": note.event,
        "silenced": note.silenced_by is not None,
        "delivered": any(a.outcome == "sent" for a in tries),
        "attempts": sum(a.outcome != "silenced" for a in tries),
    }


def _alert_lines(reconciled: Reconciled, attempts: list[Attempt]) -> list[str]:
    words = {"open": "opened", "repeat": "still firing", "resolve": "resolved"}
    lines = []
    for note in reconciled.due:
        a = note.alert
        done = _notified(note, attempts)
        how = (
            f"silenced until {note.silenced_by.until:%Y-%m-%d %H:%M}"
            if note.silenced_by is not None
            else "sent"
            if done["delivered"]
            else "not sent"
        )
        lines.append(f"alert {words[note.event]}: [{a.severity}] {a.rule} ({a.id}), {how}")
    if reconciled.firing:
        lines.append(f"{len(reconciled.firing)} alert(s) firing on this model")
    return lines


def check_document(check: AlertCheck, link: str | None) -> dict[str, Any]:
    """The check's outcome as JSON: the judged window, the firing rules, the notes."""
    w = check.window
    return {
        "model": check.model,
        "breached": check.breached,
        "window": None
        if w is None
        else {
            "start": w.start.isoformat(),
            "end": w.end.isoformat(),
            "rows": w.rows,
            "status": w.status,
            "drifted": w.drifted,
            "drifted_share": w.drifted_share,
            "drifted_features": list(w.drifted_features),
        },
        "breaches": [{"rule": b.rule, "message": b.message} for b in check.breaches],
        "rules": [
            {
                "rule": o.rule.name,
                "severity": o.rule.severity,
                "state": o.state,
                "for": o.rule.for_windows,
                "streak": o.streak,
            }
            for o in check.outcomes
        ],
        "notes": list(check.notes),
        "link": link,
    }


def render(timeline: Timeline, check: AlertCheck, link: str | None) -> str:
    """The latest windows and the outcome of the rules, as plain text."""
    lines = [
        f"{timeline.model}: {len(timeline.windows)} window(s), {timeline.computed} computed, "
        f"{len(timeline.windows) - timeline.computed} read back"
    ]
    for w in [w for w in timeline.windows if w.rows][-SHOWN_WINDOWS:]:
        said = verdict_word(w.drifted, shout=True)
        share = "" if w.drifted_share is None else f", {w.drifted_share:.0%} of features"
        which = f" ({', '.join(w.drifted_features)})" if w.drifted_features else ""
        lines.append(f"  {span_label(w.start, w.end)}  {w.rows:>9,} rows  {said}{share}{which}")
    if check.breached:
        lines.append("BREACH:")
        lines += [f"  - [{b.rule}] {b.message}" for b in check.breaches]
    pending = [o for o in check.outcomes if o.state == "pending"]
    for o in pending:
        lines.append(
            f"  pending: [{o.rule.name}] held on {o.streak} of the {o.rule.for_windows} "
            f"window(s) in a row it needs: {o.message}"
        )
    if not check.breached and not pending:
        lines.append(
            "no alert rule breached" if _has_rules(check) else "no alert rules in the spec"
        )
    lines += [f"  note: {n}" for n in check.notes]
    if link:
        lines.append(f"timeline: {link}")
    return "\n".join(lines)


def _has_rules(check: AlertCheck) -> bool:
    return bool(check.rules.all_rules())


def _summary(timeline: Timeline) -> dict[str, Any]:
    return {
        "windows": len(timeline.windows),
        "computed": timeline.computed,
        "min_rows": timeline.min_rows,
        "drifted_windows": sum(bool(w.drifted) for w in timeline.windows),
        "latest": [
            {
                "start": w.start.isoformat(),
                "end": w.end.isoformat(),
                "rows": w.rows,
                "status": w.status,
                "drifted": w.drifted,
                "drifted_features": list(w.drifted_features),
            }
            for w in [w for w in timeline.windows if w.rows][-SHOWN_WINDOWS:]
        ],
    }
