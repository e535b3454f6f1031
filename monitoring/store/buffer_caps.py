"""A cap on DuckDB's buffer pool, shared fairly by the connections to one database file.

DuckDB keeps one database instance per file per process, and ``memory_limit``
— which also bounds how many of the file's blocks stay cached — belongs to
that instance, not to a connection. A drift run reads each block only a few
times, so caching gains it little, yet by default DuckDB keeps every block it
read (up to 80 % of RAM): the whole table. So a connection may ask for a cap.
The cap (the largest one asked for) is in force only while *every* open
connection to the file asked for one; any other connection gets DuckDB's
default back before it is handed out, so its queries never run under someone
else's cap. The registry is per process because DuckDB's instance is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

MIB = 2**20
# Enough for a grouped scan that reads each block once or twice (counts per window and
# bin): caching more of the table gains it little and costs the process its size.
SCAN_CAP = 64 * MIB
_UNKNOWN = -1  # never a cap: the limit in force is not known


@dataclass
class _FileConnections:
    """The open connections to one file in this process and the cap each asked for."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    caps: dict[int, int | None] = field(default_factory=dict)  # id(connection) -> cap
    applied: int | None = None  # the cap in force; None: DuckDB's default

    def wanted(self) -> int | None:
        asked = list(self.caps.values())
        if not asked or None in asked:
            return None
        return max(c for c in asked if c is not None)

    def apply(self, con: duckdb.DuckDBPyConnection) -> None:
        """Put the wanted cap in force through ``con`` (an open connection to the file)."""
        cap = self.wanted()
        if cap == self.applied:
            return
        try:
            if cap is None:
                con.execute("RESET memory_limit")
            else:
                con.execute(f"SET memory_limit = '{max(cap // MIB, 1)}MiB'")
        except duckdb.Error:
            return  # running queries pin more than the cap: keep the current limit
        self.applied = cap


_FILES: dict[Path, _FileConnections] = {}
_FILES_LOCK = threading.Lock()


def _of(path: Path) -> _FileConnections:
    with _FILES_LOCK:
        return _FILES.setdefault(path.resolve(), _FileConnections())


@contextmanager
def tracked(
    path: Path, open_connection: Callable[[Path], duckdb.DuckDBPyConnection], cap: int | None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open a connection to ``path`` asking for ``cap`` bytes (``None``: no cap); close it after."""
    file = _of(path)
    # Opening may wait seconds for another process's lock: never while holding the file's.
    con = open_connection(path)
    with file.lock:
        if not file.caps:  # a fresh instance, or one kept alive elsewhere: say it outright
            file.applied = _UNKNOWN
        file.caps[id(con)] = cap
        file.apply(con)
    try:
        yield con
    finally:
        with file.lock:
            del file.caps[id(con)]
            if file.caps:
                file.apply(con)
            else:
                file.applied = None  # the instance goes with its last connection
            con.close()


def change(path: Path, con: duckdb.DuckDBPyConnection, cap: int | None) -> None:
    """Change the cap ``con`` (opened by :func:`tracked` on ``path``) asks for."""
    file = _of(path)
    with file.lock:
        file.caps[id(con)] = cap
        file.apply(con)
