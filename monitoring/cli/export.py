"""``python -m monitoring export``: a review pack of one comparison, built headless."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from monitoring.cli.drift import window
from monitoring.cli.options import add_db_option, store_of
from monitoring.drift.config import CORRECTIONS, DETECTOR_CHOICES, DriftConfig
from monitoring.report.pack import PACK_FORMATS, pack_zip
from monitoring.report.review import drift_pack


def add_export_command(commands: Any) -> argparse.ArgumentParser:
    """Register ``export`` on an argparse sub-parsers object; return its parser."""
    text = "Build a review pack (ZIP: charts, CSV tables, summary.md, report.html)."
    sub: argparse.ArgumentParser = commands.add_parser("export", help=text, description=text)
    add_db_option(sub)
    sub.add_argument("--model", required=True, help="the model's name")
    sub.add_argument("--current", type=window, required=True, help="START:END of the window")
    sub.add_argument(
        "--reference", type=window, help="START:END (default: the model's reference window)"
    )
    sub.add_argument("--detector", choices=DETECTOR_CHOICES, default="auto")
    sub.add_argument("--correction", choices=CORRECTIONS, default="bonferroni")
    sub.add_argument(
        "--formats",
        type=_formats,
        default=("png",),
        help=f"comma-separated chart formats among {','.join(PACK_FORMATS)} (default png; "
        "report.html always holds every chart, interactive)",
    )
    sub.add_argument("--out", type=Path, required=True, help="the ZIP file to write")
    sub.set_defaults(run=_export)
    return sub


def _export(args: argparse.Namespace) -> int:
    store = store_of(args)
    config = DriftConfig(args.detector, args.correction)
    pack = drift_pack(store, args.model, args.current, args.reference, config)
    data = pack_zip(pack, args.formats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(
        f"{args.out}: {len(pack.charts)} charts × {len(args.formats)} format(s), "
        f"{len(pack.tables)} table(s), summary.md, report.html ({len(data) / 1e6:.1f} MB)",
        file=sys.stdout,
    )
    return 0


def _formats(text: str) -> tuple[str, ...]:
    formats = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    unknown = [f for f in formats if f not in PACK_FORMATS]
    if unknown or not formats:
        raise argparse.ArgumentTypeError(
            f"unknown format(s) {unknown or [text]}; choose among {','.join(PACK_FORMATS)}"
        )
    return formats
