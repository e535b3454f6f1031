"""Faults of the database file, each reported as what it is: read-only, busy, full, a conflict."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from monitoring import log_records
from monitoring.cli.main import main
from monitoring.drift.config import DriftConfig
from monitoring.drift.engine import run_drift, stored_drift
from monitoring.errors import StoreError
from monitoring.store import audit, connection, slices
from monitoring.store.annotations import add_annotation, list_annotations
from monitoring.store.connection import Store, explained
from tests.conftest import REPO, tiny_records, tiny_spec

FEBRUARY = (dt.datetime(2024, 2, 1), dt.datetime(2024, 3, 1))


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    path = tmp_path / "filled.duckdb"
    log_records(tiny_records(120, freq="12h"), tiny_spec(), db=path)  # January and February
    add_annotation(Store(path), "churn", dt.date(2024, 1, 3), "v2")
    return path


def not_writable(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """This process may not write ``path`` (as for a user without write permission).

    The tests run as root, whom permissions do not stop, so the check is made to say so.
    """
    real = os.access

    def access(target: object, mode: int) -> bool:
        if mode == os.W_OK and Path(str(target)) in (path, path.parent):
            return False
        return real(target, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(connection.os, "access", access)


def test_a_read_only_file_is_read_and_refuses_writes_in_words(
    filled: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    not_writable(monkeypatch, filled)
    assert main(["models", "--db", str(filled)]) == 0
    assert "churn" in capsys.readouterr().out
    store = Store(filled)
    assert [n.text for n in list_annotations(store, "churn")] == ["v2"]
    assert len(store.imports("churn")) == 1 and len(audit.entries(store)) == 1
    report = run_drift(store, "churn", FEBRUARY)  # computed and shown ...
    assert report.rows_current > 0
    assert stored_drift(store, "churn", DriftConfig(), FEBRUARY) is None  # ... not stored
    assert slices.purge_drafts(store) == 0
    with pytest.raises(StoreError, match="is read-only for Driftwatch here: it can be shown"):
        add_annotation(store, "churn", dt.date(2024, 1, 4), "v3")
    assert main(["import", "--db", str(filled), str(filled), "--spec", "x.toml"]) == 1


def test_a_file_the_system_refuses_to_write_is_opened_read_only(
    filled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = duckdb.connect

    def connect(database: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        if not read_only:
            raise duckdb.IOException(f'Cannot open file "{database}": Permission denied')
        return real(database, read_only=True)

    monkeypatch.setattr(connection.duckdb, "connect", connect)
    assert Store(filled).models() == ["churn"]


def test_a_busy_file_names_the_process_holding_it(
    filled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(filled)!r}); "
         "print('held', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        monkeypatch.setattr(connection, "_LOCK_WAIT_SECONDS", 0.5)
        started = time.monotonic()
        with pytest.raises(StoreError) as err:
            Store(filled).models()
        assert time.monotonic() - started < 10
        assert f"is busy: another program (PID {holder.pid}) has held it" in str(err.value)
        assert "Conflicting lock" not in str(err.value)  # DuckDB's words stay out
    finally:
        holder.kill()
        holder.wait()


def test_a_write_conflict_says_try_again() -> None:
    message = explained(
        Path("x.duckdb"), duckdb.TransactionException("Conflict on tuple deletion!")
    )
    assert message == (
        "x.duckdb: another session changed the same data at the same moment, so nothing was "
        "written; try again"
    )


def test_a_full_disk_reports_the_real_cause(filled: Path, tmp_path: Path) -> None:
    """The file-size limit of a process stands in for a full disk: writes fail the same way."""
    records = tmp_path / "big.csv"
    tiny_records(100_000, start="2024-03-01", freq="min").to_csv(records, index=False)
    spec = tmp_path / "churn.toml"
    spec.write_text(
        'name = "churn"\ntask = "binary"\ntimestamp = "ts"\nprediction = "pred"\n'
        'scores = ["score"]\ntarget = "label"\n'
        '[features]\nnumeric = ["age", "income"]\ncategorical = ["plan"]\n'
        "[reference]\nstart = 2024-01-01\nend = 2024-02-01\n"
    )
    limit = filled.stat().st_size + 16 * 1024
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
        from monitoring.cli.main import main
        sys.exit(main(["import", {str(records)!r}, "--spec", {str(spec)!r},
                       "--db", {str(filled)!r}]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, done.stderr
    assert "File too large" in done.stderr  # the cause, as the system reported it
    assert "no transaction is active" not in done.stderr and "Traceback" not in done.stderr
    assert len(Store(filled).imports("churn")) == 1  # nothing was written
