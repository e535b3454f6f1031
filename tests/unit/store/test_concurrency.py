"""Sessions that save the same result at once: no error reaches them, one result stays."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from monitoring import log_records
from monitoring.drift.config import DriftConfig
from monitoring.drift.engine import run_configured
from monitoring.store.connection import Store
from monitoring.store.windows import WindowPlan
from monitoring.timeline.engine import run_timeline
from tests.conftest import tiny_records, tiny_spec

SESSIONS = 8
FEBRUARY = (dt.datetime(2024, 2, 1), dt.datetime(2024, 3, 1))


def at_once(task: Callable[[], object]) -> list[object]:
    """``task`` in SESSIONS threads released together; every result (or the error raised)."""
    start = threading.Barrier(SESSIONS)

    def run() -> object:
        start.wait()
        return task()

    with ThreadPoolExecutor(SESSIONS) as pool:
        return [f.result() for f in [pool.submit(run) for _ in range(SESSIONS)]]


def test_eight_sessions_saving_one_drift_result(store: Store) -> None:
    log_records(tiny_records(240, freq="6h"), tiny_spec(), db=store.path)
    reports = at_once(
        lambda: run_configured(store, "churn", DriftConfig(), FEBRUARY, use_stored=False)
    )
    assert len({r.verdict for r in reports}) == 1  # type: ignore[attr-defined]
    assert store.query("SELECT count(*) AS n FROM dw_drift_runs")["n"][0] == 1


def test_eight_sessions_saving_one_timeline(store: Store) -> None:
    log_records(tiny_records(240, freq="6h"), tiny_spec(), db=store.path)
    windows = WindowPlan("week").windows(store.model("churn"))
    timelines = at_once(lambda: run_timeline(store, "churn", windows, min_rows=5))
    assert len({len(t.windows) for t in timelines}) == 1  # type: ignore[attr-defined]
    stored = store.query("SELECT count(*) AS n FROM dw_timeline_windows")["n"][0]
    assert stored == len(windows)
