"""Keeping a database file open between a busy process's operations, for a moment.

DuckDB keeps one database instance per file per process and closes it with the
file's last connection. Opening it again reads the file's header and catalog:
about 0.1 s, against a millisecond for a connection while the instance is
open. The app opens a connection per operation, about ten per page run, so it
spent most of an empty rerun opening the file.

A process that opts in (:func:`keep_warm`; the app and the CLI do) keeps
one idle connection to the file while it is busy: it is closed when no operation
has asked for the file for ``linger`` seconds, and at the latest ``longest``
seconds after it was opened, after which the file is left alone for ``gap``
seconds. So another process (an import, a ``check`` from cron) waiting for the
lock — it retries for 15 s — still gets its turn between the app's operations.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

LINGER_S = 0.5
LONGEST_S = 2.0
GAP_S = 0.3
_TICK_S = 0.05


@dataclass
class _Kept:
    """The idle connection kept for one file, and when it was last wanted."""

    linger: float
    longest: float
    gap: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    con: duckdb.DuckDBPyConnection | None = None
    opened: float = 0.0
    used: float = 0.0
    cool_until: float = 0.0

    def touch(self, open_connection: Callable[[], duckdb.DuckDBPyConnection]) -> None:
        """Note an operation on the file; open the kept connection first if there is none."""
        now = time.monotonic()
        with self.lock:
            self.used = now
            if self.con is not None or now < self.cool_until:
                return
        con = open_connection()  # may wait for another process's lock: not under ours
        with self.lock:
            if self.con is not None:  # another thread kept one meanwhile
                con.close()
                return
            self.con, self.opened, self.used = con, time.monotonic(), time.monotonic()
        threading.Thread(target=self._watch, name="duckdb-keep-warm", daemon=True).start()

    def _watch(self) -> None:
        """Close the kept connection once the file is idle or has been kept long enough."""
        while True:
            time.sleep(_TICK_S)
            now = time.monotonic()
            with self.lock:
                idle = now - self.used >= self.linger
                long_enough = now - self.opened >= self.longest
                if not (idle or long_enough):
                    continue
                con, self.con = self.con, None
                if long_enough:
                    self.cool_until = now + self.gap
            if con is not None:
                con.close()
            return

    def close(self) -> None:
        with self.lock:
            con, self.con = self.con, None
        if con is not None:
            con.close()


_KEPT: dict[Path, _Kept] = {}
_KEPT_LOCK = threading.Lock()


def keep_warm(
    path: str | Path, linger: float = LINGER_S, longest: float = LONGEST_S, gap: float = GAP_S
) -> None:
    """Keep ``path`` open between this process's operations (see the module docstring)."""
    with _KEPT_LOCK:
        _KEPT.setdefault(Path(path).resolve(), _Kept(linger, longest, gap))


def touch(path: Path, open_connection: Callable[[], duckdb.DuckDBPyConnection]) -> None:
    """Before an operation on ``path``: keep it open if this process asked to."""
    kept = _KEPT.get(path.resolve())
    if kept is not None:
        kept.touch(open_connection)


def release(path: str | Path) -> None:
    """Close the kept connection of ``path`` now and stop keeping it (tests, deletes)."""
    with _KEPT_LOCK:
        kept = _KEPT.pop(Path(path).resolve(), None)
    if kept is not None:
        kept.close()


@atexit.register
def _release_all() -> None:
    """At exit, close every kept connection: a file's last connection closing is what
    checkpoints its write-ahead log into it (a command's daemon watcher would not)."""
    for path in list(_KEPT):
        release(path)


def pause(path: Path) -> None:
    """Close the kept connection of ``path`` now, to let a waiting process in; it is kept
    again from the next operation on (see :mod:`monitoring.store.turns`)."""
    kept = _KEPT.get(path.resolve())
    if kept is not None:
        kept.close()
