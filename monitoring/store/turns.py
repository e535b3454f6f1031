"""Taking turns on a database file with other processes: a writer waiting is let in.

DuckDB lets one process hold a file at a time, and releases it when that
process's last connection closes. A busy app (eight sessions, each run about
ten short operations) nearly always has one open, so an import or a ``check``
retrying for the lock could wait out its whole patience without a gap.

So a process that finds the file locked says so: it leaves a flag file
``<db>.waiting-<pid>`` beside the database while it retries (:func:`waiting`).
Every process, before it opens a new connection from a thread that holds
none, yields to a live flag of another process (:func:`yield_to_waiters`): it
waits until the flag is gone (the waiter got in, or gave up), at most
:data:`YIELD_SECONDS`, so its open connections drain, the file is released
and the waiter gets its turn. Threads already inside an operation are not
held back, so nobody waits on itself. Flags of dead processes, or older than
:data:`STALE_SECONDS`, are ignored (and removed when possible).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

YIELD_SECONDS = 20.0
STALE_SECONDS = 60.0
_POLL_SECONDS = 0.05
_held = threading.local()  # how many connections this thread has open


@contextlib.contextmanager
def holding() -> Iterator[None]:
    """Around one open connection: counts it for this thread (see :func:`yield_to_waiters`)."""
    _held.count = getattr(_held, "count", 0) + 1
    try:
        yield
    finally:
        _held.count -= 1


@contextlib.contextmanager
def waiting(path: Path) -> Iterator[None]:
    """While this process retries for ``path``'s lock: a flag asking the holder to let go."""
    flag = _flag(path, os.getpid())
    try:
        flag.write_text(str(os.getpid()))
    except OSError:  # a read-only folder: wait without asking
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            flag.unlink()


def yield_to_waiters(path: Path, release: Callable[[], None] = lambda: None) -> None:
    """Before opening ``path`` from a thread holding no connection: let a waiting writer in.

    ``release`` closes what this process keeps open on its own (an idle kept
    connection), so the file can be released while we wait.
    """
    if getattr(_held, "count", 0):
        return
    deadline = time.monotonic() + YIELD_SECONDS
    released = False
    while _foreign_waiter(path) and time.monotonic() < deadline:
        if not released:
            release()
            released = True
        time.sleep(_POLL_SECONDS)


def _foreign_waiter(path: Path) -> bool:
    """Whether another live process is waiting for ``path``'s lock."""
    try:
        flags = list(path.parent.glob(f"{path.name}.waiting-*"))
    except OSError:
        return False
    me = os.getpid()
    for flag in flags:
        try:
            pid = int(flag.name.rsplit("-", 1)[1])
            fresh = time.time() - flag.stat().st_mtime < STALE_SECONDS
        except (ValueError, OSError):
            continue
        if pid == me:
            continue
        if fresh and _alive(pid):
            return True
        with contextlib.suppress(OSError):
            flag.unlink()  # left by a process that died or gave up long ago
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def _flag(path: Path, pid: int) -> Path:
    return path.with_name(f"{path.name}.waiting-{pid}")
