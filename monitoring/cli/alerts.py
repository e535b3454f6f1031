"""``python -m monitoring alerts``, ``silence``, ``unsilence`` and ``silences``.

``alerts`` lists the alert history that ``check`` keeps (firing first, then
newest); ``silence`` keeps a model's notifications, or one rule's, back until
a time, with a reason; ``unsilence`` ends a silence early; ``silences`` lists
them. Silences made here are audited under this machine's account
(:func:`monitoring.access.local_process`). Exit codes: 0 done, 1 refused (the
message says why), 2 a usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from typing import Any

from monitoring.access import local_process
from monitoring.alerts.delivery import alert_payload
from monitoring.cli.options import add_db_option, moment, positive_int, store_of
from monitoring.report.links import DEFAULT_APP_URL
from monitoring.store.alerts import STATES, AlertRecord, list_alerts
from monitoring.store.silences import Silence, add_silence, end_silence, silences
from monitoring.timeutil import utc_now

DURATION = re.compile(r"([1-9][0-9]*)([mhdw])")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def add_alert_commands(commands: Any) -> None:
    """Register ``alerts``, ``silence``, ``unsilence`` and ``silences``."""
    text = "List alerts: firing first, then the newest resolved."
    sub = commands.add_parser("alerts", help=text, description=text)
    add_db_option(sub)
    sub.add_argument("--model", help="only this model's alerts")
    sub.add_argument("--rule", help="only this rule's alerts")
    sub.add_argument("--state", choices=(*STATES, "all"), default="all")
    sub.add_argument("--limit", type=positive_int, default=100, help="at most N (default 100)")
    sub.add_argument(
        "--app-url", default=DEFAULT_APP_URL, help="base URL of the app, for the links"
    )
    sub.add_argument("--json", action="store_true", help="print the webhook's JSON of each")
    sub.set_defaults(run=_alerts)

    text = "Silence a model's alerts, or one rule's, until a time: recorded, not sent."
    sub = commands.add_parser("silence", help=text, description=text)
    add_db_option(sub)
    sub.add_argument("--model", required=True, help="the model's name")
    sub.add_argument("--rule", help="one rule's name (default: every rule of the model)")
    end = sub.add_mutually_exclusive_group(required=True)
    end.add_argument("--until", type=moment, help="ISO date or date-time (UTC)")
    end.add_argument("--for", dest="duration", type=duration, help="e.g. 90m, 12h, 3d, 2w")
    sub.add_argument("--reason", required=True, help="why (shown with the silence)")
    sub.set_defaults(run=_silence)

    text = "End a silence now."
    sub = commands.add_parser("unsilence", help=text, description=text)
    add_db_option(sub)
    sub.add_argument("id", type=positive_int, help="the silence's id (see `silences`)")
    sub.set_defaults(run=_unsilence)

    text = "List the silences in force (--all: also the ended ones)."
    sub = commands.add_parser("silences", help=text, description=text)
    add_db_option(sub)
    sub.add_argument("--model", help="only this model's silences")
    sub.add_argument("--all", action="store_true", help="also expired and ended silences")
    sub.add_argument("--json", action="store_true", help="print JSON")
    sub.set_defaults(run=_silences)


def duration(text: str) -> dt.timedelta:
    """``90m``, ``12h``, ``3d`` or ``2w``."""
    found = DURATION.fullmatch(text.strip())
    if found is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 90m, 12h, 3d, 2w")
    return dt.timedelta(**{UNITS[found.group(2)]: int(found.group(1))})


def _alerts(args: argparse.Namespace) -> int:
    store = store_of(args)
    found = list_alerts(store, args.model, args.state, args.rule, limit=args.limit)
    if args.json:
        print(json.dumps([alert_payload(a, "state", args.app_url) for a in found], indent=2))
        return 0
    if not found:
        print("no alerts")
        return 0
    header = ("id", "state", "severity", "model", "rule", "window", "since", "message")
    table = [header] + [_row(a) for a in found]
    widths = [max(len(r[i]) for r in table) for i in range(len(header) - 1)]
    for row in table:
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    return 0


def _row(a: AlertRecord) -> tuple[str, ...]:
    window = "-" if a.window_start is None else f"{a.window_start:%Y-%m-%d %H:%M}"
    state = a.state + (" (acked)" if a.acknowledged_at and a.state == "firing" else "")
    return (a.id, state, a.severity, a.model, a.rule, window, f"{a.first_seen:%Y-%m-%d %H:%M}",
            a.message)  # fmt: skip


def _silence(args: argparse.Namespace) -> int:
    until = args.until if args.until is not None else utc_now() + args.duration
    made = add_silence(store_of(args), args.model, args.rule, until, args.reason,
                       local_process())  # fmt: skip
    print(f"silence {made.id}: {_scope(made)} until {made.until:%Y-%m-%d %H:%M} UTC")
    return 0


def _unsilence(args: argparse.Namespace) -> int:
    ended = end_silence(store_of(args), args.id, local_process())
    print(f"silence {ended.id} ended: {_scope(ended)}")
    return 0


def _silences(args: argparse.Namespace) -> int:
    found = silences(store_of(args), args.model, active_only=not args.all)
    if args.json:
        rows = [
            {
                "id": s.id,
                "model": s.model,
                "rule": s.rule,
                "until": s.until.isoformat(),
                "reason": s.reason,
                "created_by": s.created_by,
                "created_at": s.created_at.isoformat(),
                "ended_at": None if s.ended_at is None else s.ended_at.isoformat(),
            }
            for s in found
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if not found:
        print("no silences")
    for s in found:
        ended = f", ended {s.ended_at:%Y-%m-%d %H:%M}" if s.ended_at else ""
        print(f"{s.id}  {_scope(s)} until {s.until:%Y-%m-%d %H:%M}{ended} ({s.created_by}): "
              f"{s.reason}")  # fmt: skip
    return 0


def _scope(s: Silence) -> str:
    return f"{s.model}, rule {s.rule}" if s.rule else f"{s.model}, every rule"
