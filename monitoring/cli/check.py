"""``python -m monitoring check``: fill the drift timeline, check the alert rules, tell someone.

The command computes (or reads back) the model's drift timeline from
``--since`` (default: its first record) to its newest record, prints the
latest windows, checks the spec's ``[alerts]`` rules on the latest window
(:mod:`monitoring.alerts`) and, on a breach with ``--webhook URL``, POSTs the
JSON alert. Meant for cron or an orchestrator.

The rules are checked on the newest *complete* window: the current day or
week still filling is partial and is not judged (the output says so).

Exit codes: 0 no breach; 3 the latest complete window breaches a rule; 4 a
breach whose webhook could not be delivered; 5 nothing could be judged (every
window too small, partial or empty: the output says which); 1 a problem with
the data or the database; 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from monitoring.alerts.delivery import post_webhook, webhook_payload
from monitoring.alerts.rules import AlertCheck, evaluate_alerts
from monitoring.cli.options import add_db_option, baseline, day, positive_int, store_of
from monitoring.drift.config import CORRECTIONS, RULES, DriftConfig
from monitoring.errors import MonitoringError
from monitoring.report.links import DEFAULT_APP_URL, timeline_link
from monitoring.report.text import verdict_word
from monitoring.store.windows import PERIODS, WindowPlan
from monitoring.timeline.engine import DEFAULT_MIN_ROWS, TIMELINE_DETECTORS, run_timeline
from monitoring.timeline.report import Timeline
from monitoring.timeutil import span_label

EXIT_OK, EXIT_ERROR, EXIT_BREACH, EXIT_UNDELIVERED, EXIT_UNTESTED = 0, 1, 3, 4, 5
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
    sub.add_argument("--correction", choices=CORRECTIONS, default="bonferroni")
    sub.add_argument("--rule", choices=RULES, default="calibrated", help="the verdict rule")
    sub.add_argument(
        "--baseline",
        type=baseline,
        help="whole, seasonal or rolling:N: what each window is compared with "
        "(default: the spec's baseline, else whole)",
    )
    sub.add_argument(
        "--min-rows",
        type=positive_int,
        default=DEFAULT_MIN_ROWS,
        help=f"windows with fewer records are not tested (default {DEFAULT_MIN_ROWS})",
    )
    sub.add_argument("--webhook", metavar="URL", help="POST a JSON alert here on a breach")
    sub.add_argument(
        "--app-url",
        default=DEFAULT_APP_URL,
        help=f"base URL of the app, for the alert's link (default {DEFAULT_APP_URL})",
    )
    sub.add_argument("--json", action="store_true", help="print a JSON document")
    sub.set_defaults(run=run_check)
    return sub


def run_check(args: argparse.Namespace) -> int:
    """Run the check described by parsed ``args``; return the exit code."""
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
    except MonitoringError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    link = (
        None
        if check.window is None
        else timeline_link(args.app_url, args.model, (check.window.start, check.window.end), plan)
    )
    payload = webhook_payload(check, link)
    delivery: dict[str, Any] | None = None
    if check.breached and args.webhook:
        sent = post_webhook(args.webhook, payload)
        delivery = {"ok": sent.ok, "status": sent.status, "error": sent.error}
        if not sent.ok:
            print(f"error: webhook not delivered: {sent.error}", file=sys.stderr)
    if args.json:
        document = {**payload, "timeline": _summary(timeline), "webhook": delivery}
        print(json.dumps(document, indent=2, allow_nan=False))
    else:
        print(render(timeline, check, link))
    if check.window is None and timeline.windows:
        return EXIT_UNTESTED
    if not check.breached:
        return EXIT_OK
    return EXIT_UNDELIVERED if delivery is not None and not delivery["ok"] else EXIT_BREACH


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
    else:
        lines.append(
            "no alert rule breached" if _has_rules(check) else "no alert rules in the spec"
        )
    lines += [f"  note: {n}" for n in check.notes]
    if link:
        lines.append(f"timeline: {link}")
    return "\n".join(lines)


def _has_rules(check: AlertCheck) -> bool:
    r = check.rules
    return r.drifted_share is not None or bool(r.features) or bool(r.metrics)


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
