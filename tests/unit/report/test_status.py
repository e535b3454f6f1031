"""The Overview's status line on data whose truth is known.

January is the calm reference. In the week of 2024-02-12 ``age`` moves by three
SDs and a fifth of ``income`` is missing; that week has no labels yet, and the
week before has perfect predictions (F1 = 1, above any band of coin flips).
The data ends mid-week, so the week of 2024-02-19 is partial and not judged.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from monitoring import log_records
from monitoring.report import links
from monitoring.report.status import ModelStatus, model_status, performance_status
from monitoring.store.connection import Store
from tests.conftest import tiny_spec
from tests.unit.timeline.timeline_data import records

D = dt.datetime


@pytest.fixture
def status(store: Store) -> ModelStatus:
    spec = tiny_spec()
    log_records(records("2024-01-01", 31), spec, db=store.path)
    calm = records("2024-02-01", 11, seed=1)
    calm.loc[calm["ts"] >= pd.Timestamp("2024-02-05"), "label"] = calm["pred"]  # F1 = 1
    log_records(calm, spec, db=store.path)
    moved = records("2024-02-12", 9, age_shift=3.0, seed=2)
    moved["label"] = np.nan  # labels not in yet
    moved.loc[moved.index % 5 == 0, "income"] = np.nan
    log_records(moved, spec, db=store.path)
    return model_status(store, "churn")


def test_the_latest_complete_week_is_judged(status: ModelStatus) -> None:
    assert status.window == (D(2024, 2, 12), D(2024, 2, 19)) and status.period == "week"
    assert status.level == "alert"


def test_drift_names_the_feature_that_moved(status: ModelStatus) -> None:
    drift = status.drift
    assert drift is not None and drift.verdict is True
    assert drift.worst == "age" and drift.drifted[0] == "age"
    assert drift.worst_excess is not None and drift.worst_excess > 1
    assert drift.tested == 3


def test_performance_falls_back_to_the_newest_labelled_week(status: ModelStatus) -> None:
    perf = status.performance
    assert perf is not None and perf.metric == "f1"
    assert perf.window == (D(2024, 2, 5), D(2024, 2, 12))
    assert perf.value == pytest.approx(1.0)
    assert perf.outside is True and perf.worse is False  # above the band: better than usual
    assert perf.level == "ok"


def test_quality_and_labels(status: ModelStatus) -> None:
    quality, labels = status.quality, status.labels
    assert quality is not None and labels is not None
    assert ("income", ("missing",)) in quality.features
    assert quality.level == "alert"
    assert 1_300 < labels.rows < 1_500  # about 200 a day for 7 days
    assert labels.labelled == 0 and labels.coverage == 0


def test_links_open_the_explaining_page_on_that_week() -> None:
    link = links.page_link(
        links.PERFORMANCE, "churn & co", (D(2024, 2, 5), D(2024, 2, 12)), metric="f1", window=None
    )
    assert link == "performance?model=churn+%26+co&from=2024-02-05&to=2024-02-11&metric=f1"
    assert links.moment_text(D(2024, 2, 5)) == "2024-02-05"


def test_no_judged_window_says_why(store: Store) -> None:
    log_records(records("2024-01-01", 31, per_day=2), tiny_spec(), db=store.path)
    status = model_status(store, "churn")  # every week holds 14 rows, fewer than a test needs
    assert status.window is None and status.drift is None and status.level == "unknown"
    assert "fewer than 30 rows" in status.note


def test_the_performance_part_can_be_asked_last(store: Store) -> None:
    spec = tiny_spec()
    log_records(records("2024-01-01", 31), spec, db=store.path)
    log_records(records("2024-02-01", 14, seed=4), spec, db=store.path)
    first = model_status(store, "churn", measure=False)
    assert first.performance is None and first.labels is not None and first.labels.has_target
    assert first.window is not None
    assert (
        performance_status(store, "churn", first.window) == model_status(store, "churn").performance
    )
