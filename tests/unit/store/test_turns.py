"""A writer in another process gets its turn although this one keeps the file busy."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from monitoring.store import turns
from monitoring.store.connection import Store
from tests.conftest import REPO

# The other process: open the store (retrying for the lock, with its flag up) and write.
WRITER = """
import sys, time
from monitoring.store.connection import Store
started = time.monotonic()
with Store(sys.argv[1]).connect() as con:
    con.execute("CREATE TABLE written_by_the_other_process AS SELECT 1 AS x")
print(f"{time.monotonic() - started:.2f}")
"""


def _keep_busy(store: Store, until: float, errors: list[BaseException]) -> None:
    """Overlapping short operations, like sessions of the app: the file is never idle."""
    try:
        while time.monotonic() < until:
            with store.connect() as con:
                con.execute("SELECT count(*) FROM dw_models").fetchall()
                time.sleep(0.03)
    except BaseException as exc:  # reported by the test, not lost in the thread
        errors.append(exc)


def test_a_waiting_writer_is_let_in_between_busy_operations(store: Store) -> None:
    store.models()  # the file and its tables exist
    errors: list[BaseException] = []
    until = time.monotonic() + 25
    busy = [
        threading.Thread(target=_keep_busy, args=(store, until, errors), daemon=True)
        for _ in range(4)
    ]
    for thread in busy:
        thread.start()
    time.sleep(0.3)  # every thread is in its loop: some connection is always open
    done = subprocess.run(
        [sys.executable, "-c", WRITER, str(store.path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    for thread in busy:
        thread.join()
    assert done.returncode == 0, done.stderr  # not "is busy: … held it for more than 15 s"
    assert not errors
    assert "written_by_the_other_process" in store.query("SHOW TABLES")["name"].tolist()
    assert not list(store.path.parent.glob(f"{store.path.name}.waiting-*"))  # flag removed


def test_flags_of_dead_processes_are_ignored_and_removed(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    stale = tmp_path / "x.duckdb.waiting-999999999"  # no such process
    stale.write_text("999999999")
    mine = tmp_path / f"x.duckdb.waiting-{os.getpid()}"
    mine.write_text(str(os.getpid()))
    started = time.monotonic()
    turns.yield_to_waiters(db)
    assert time.monotonic() - started < 1  # nobody real is waiting: no wait
    assert not stale.exists() and mine.exists()  # our own flag is not ours to remove


def test_a_thread_inside_an_operation_never_waits(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / f"x.duckdb.waiting-{other.pid}").write_text(str(other.pid))
        with turns.holding():
            started = time.monotonic()
            turns.yield_to_waiters(db)  # it holds a connection: waiting would block the waiter
            assert time.monotonic() - started < 1
    finally:
        other.kill()
        other.wait()
