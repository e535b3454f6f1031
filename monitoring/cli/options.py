"""Options every ``python -m monitoring`` command shares."""

from __future__ import annotations

import argparse
from pathlib import Path

from monitoring.store.connection import Store, default_db_path


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """``--db PATH``: the database file (default: ``$DRIFTWATCH_DB`` or the checkout's one)."""
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="database file (default: $DRIFTWATCH_DB or data/driftwatch.duckdb)",
    )


def store_of(args: argparse.Namespace) -> Store:
    """The store ``--db`` names, or the default one."""
    return Store(args.db if args.db is not None else default_db_path())
