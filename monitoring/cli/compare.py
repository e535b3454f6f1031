"""``python -m monitoring compare PATH --model NAME``: check a file as a slice and compare it.

The same check and comparison as the Upload & compare page, headless. Exit
codes: 0 when the file was compared, 1 when it was refused (every problem is
printed to stderr, naming the file, the column and the problem), 2 for usage
errors. ``--save NAME`` keeps the slice; without it nothing stays in the
database except the stored drift result.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from monitoring.cli.drift import render, window
from monitoring.cli.options import add_db_option, store_of
from monitoring.drift.config import DriftConfig
from monitoring.drift.results import to_document
from monitoring.store.ingest import RecordFile
from monitoring.uploads.check import DEFAULT_MAX_BYTES, SliceCheck
from monitoring.uploads.compare import compare_file


def add_compare_command(commands: Any) -> argparse.ArgumentParser:
    """Register ``compare`` on an argparse sub-parsers object; return its parser."""
    text = "Check a CSV/Parquet file against a model's spec and compare it with the reference."
    sub: argparse.ArgumentParser = commands.add_parser("compare", help=text, description=text)
    add_db_option(sub)
    sub.add_argument("path", type=Path, help="CSV, CSV.GZ or Parquet file of records")
    sub.add_argument("--model", required=True, help="the model's name")
    sub.add_argument("--save", metavar="NAME", help="keep the file as a slice under this name")
    sub.add_argument(
        "--reference", type=window, help="START:END to compare with (default: the reference)"
    )
    sub.add_argument(
        "--allow-missing-features",
        action="store_true",
        help="compare on the other features when some are missing from the file",
    )
    sub.add_argument(
        "--max-bytes",
        type=int,
        default=DEFAULT_MAX_BYTES,
        help=f"largest file accepted (default {DEFAULT_MAX_BYTES:,} bytes, as the page)",
    )
    sub.add_argument("--json", action="store_true", help="print one JSON document")
    sub.set_defaults(run=_compare)
    return sub


def check_document(check: SliceCheck) -> dict[str, Any]:
    """The check as a JSON-ready dict (without the typed records)."""
    document = {
        f.name: getattr(check, f.name) for f in dataclasses.fields(check) if f.name != "records"
    }
    document["column_problems"] = [dataclasses.asdict(p) for p in check.column_problems]
    document["missing"] = [{"column": c, "role": r} for c, r in check.missing]
    document["ok"] = check.ok
    return document


def _compare(args: argparse.Namespace) -> int:
    store = store_of(args)
    file = RecordFile.from_path(args.path)
    result = compare_file(
        store,
        file,
        args.model,
        DriftConfig(),
        reference=args.reference,
        save_as=args.save,
        allow_missing_features=args.allow_missing_features,
        max_bytes=args.max_bytes,
    )
    check = result.check
    if args.json:
        document = {
            "check": check_document(check),
            "report": None if result.report is None else to_document(result.report),
            "saved_as": None if result.saved is None else result.saved.name,
        }
        print(json.dumps(document, indent=2, default=str, allow_nan=False))
    if result.report is None:
        for line in check.messages():
            print(f"error: {line}", file=sys.stderr)
        return 1
    if not args.json:
        lines = [check.summary(), *(f"  note: {n}" for n in check.notes)]
        if check.duplicate_of:
            lines.append(f"  same content as saved slice {check.duplicate_of!r}: compared as it")
        if result.saved is not None:
            lines.append(f"  saved as slice {result.saved.name!r} (id {result.saved.id})")
        print("\n".join([*lines, "", render(result.report)]))
    return 0
