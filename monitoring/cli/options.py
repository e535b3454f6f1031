"""What every ``python -m monitoring`` command shares: the database option and argument types."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from monitoring.drift.config import CORRECTIONS, RULES, Baseline
from monitoring.errors import MonitoringError
from monitoring.store.connection import Store, default_db_path
from monitoring.store.warm import keep_warm
from monitoring.timeutil import Bounds, naive_utc


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """``--db PATH``: the database file (default: ``$DRIFTWATCH_DB`` or the checkout's one)."""
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="database file (default: $DRIFTWATCH_DB or data/driftwatch.duckdb)",
    )


def store_of(args: argparse.Namespace) -> Store:
    """The store ``--db`` names, or the default one, kept open between the command's
    operations (:func:`~monitoring.store.warm.keep_warm`): an import makes eight, and
    taking the file's lock once for them, not eight times, spares the app beside it
    seven hand-overs."""
    store = Store(args.db if args.db is not None else default_db_path())
    keep_warm(store.path)
    return store


def positive_int(text: str) -> int:
    """A whole number of at least 1 (``--rows``, ``--min-rows``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value


def moment(text: str) -> dt.datetime:
    """An ISO date or date-time, as naive UTC (a date is its midnight)."""
    try:
        return naive_utc(dt.datetime.fromisoformat(text.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date or date-time") from None


def day(text: str) -> dt.datetime:
    """A date (``YYYY-MM-DD``), as its midnight."""
    try:
        return naive_utc(dt.date.fromisoformat(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def until(text: str) -> dt.datetime:
    """The exclusive end of ``--until``: a bare date includes that whole day."""
    end = moment(text)
    return end + dt.timedelta(days=1) if len(text.strip()) <= 10 else end


def window(text: str) -> Bounds:
    """``START:END`` with ISO dates or date-times; the split is the one colon at which both
    sides are ISO times (``2013-07-01 06:00:2013-07-01 18:00`` has one such colon)."""
    candidates = []
    for i, char in enumerate(text):
        if char != ":":
            continue
        try:
            candidates.append((moment(text[:i]), moment(text[i + 1 :])))
        except argparse.ArgumentTypeError:
            continue
    if len(candidates) != 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not START:END with ISO dates, e.g. 2013-07-01:2013-08-01"
        )
    return candidates[0]


def baseline(text: str) -> str:
    """``whole``, ``seasonal`` or ``rolling:N``: what each window is compared with."""
    try:
        return str(Baseline.parse(text))
    except MonitoringError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_verdict_options(parser: argparse.ArgumentParser, min_rows: int) -> None:
    """``--rule``, ``--correction``, ``--baseline`` and ``--min-rows``: how windows are judged.

    ``min_rows`` is the default of ``--min-rows`` (the timeline engine's), passed
    in so that this module stays free of the engine's imports.
    """
    parser.add_argument("--rule", choices=RULES, default="calibrated", help="the verdict rule")
    parser.add_argument("--correction", choices=CORRECTIONS, default="bonferroni",
                        help="multiple-testing correction of the fixed rule")  # fmt: skip
    parser.add_argument(
        "--baseline",
        type=baseline,
        help="compare each window with the whole reference, the same season of it "
        "('seasonal'), or the previous N windows ('rolling:N'); default: the spec's "
        "baseline, else whole",
    )
    parser.add_argument(
        "--min-rows",
        type=positive_int,
        default=min_rows,
        help=f"windows with fewer records are not tested (default {min_rows})",
    )
