"""Calibrated timeline verdicts judged on streams whose truth is known.

A stationary reference must not flag its own windows; a 0.5 SD step must be
flagged in the first complete window after it; against the same weekday of the
reference, a step hidden by a weekly cycle is caught at once; a rolling baseline
absorbs a lasting change once it fills the baseline.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from monitoring import log_records
from monitoring.drift.config import DriftConfig
from monitoring.schema import ReferenceWindow
from monitoring.store.connection import Store
from monitoring.store.windows import WindowPlan
from monitoring.timeline.engine import run_timeline
from monitoring.timeline.report import Timeline
from tests.unit.timeline.timeline_data import spec

START = dt.datetime(2024, 1, 1)  # a Monday
REFERENCE = ReferenceWindow(START, START + dt.timedelta(weeks=8))


def stream(
    days: int,
    *,
    per_day: int = 300,
    step_at: dt.datetime | None = None,
    weekend_shift: float = 0.0,
    seed: int = 0,
) -> pd.DataFrame:
    """``days`` days of records from ``START``; ``age`` has SD 10 and moves by 5 (0.5 SD) from
    ``step_at``, and by ``weekend_shift`` SDs on Saturdays and Sundays."""
    rng = np.random.default_rng(seed)
    n = days * per_day
    seconds = np.sort(rng.uniform(0, days * 86_400, n))
    ts = pd.Timestamp(START) + pd.to_timedelta(seconds, "s")
    age = rng.normal(40, 10, n) + 10 * weekend_shift * (ts.dayofweek >= 5)
    if step_at is not None:
        age = age + 5.0 * (ts >= pd.Timestamp(step_at))
    return pd.DataFrame(
        {
            "ts": ts.floor("s"),
            "age": age,
            "income": rng.gamma(2.0, 1000.0, n),
            "plan": rng.choice(["basic", "pro", "team"], size=n, p=[0.5, 0.3, 0.2]),
            "pred": rng.integers(0, 2, n),
            "score": rng.uniform(0, 1, n),
            "label": rng.integers(0, 2, n),
        }
    )


def _timeline(store: Store, period: str, baseline: str = "whole", **plan: object) -> Timeline:
    cut = WindowPlan(period, **plan)  # type: ignore[arg-type]
    config = DriftConfig(baseline=baseline)
    return run_timeline(store, "churn", cut.windows(store.model("churn")), config, plan=cut)


def _flagged(timeline: Timeline, start: dt.datetime, end: dt.datetime) -> list[str]:
    return [w.start.date().isoformat() for w in timeline.tested_windows
            if start <= w.start < end and w.drifted]  # fmt: skip


@pytest.fixture
def stepped(store: Store) -> Store:
    """Eight calm reference weeks, then five weeks with a 0.5 SD step on Thursday of week 10."""
    step = START + dt.timedelta(weeks=9, days=3, hours=12)
    log_records(stream(91, step_at=step), spec(reference=REFERENCE), db=store.path)
    return store


def test_reference_days_are_not_flagged_and_the_step_is_caught_at_once(stepped: Store) -> None:
    daily = _timeline(stepped, "day")
    assert "56 reference windows of one day" in daily.calibration
    assert len(_flagged(daily, START, REFERENCE.end)) <= 0.05 * 56
    weekly = _timeline(stepped, "week")
    assert _flagged(weekly, START, REFERENCE.end) == []
    # The step lands mid-week 10, so week 11 (11 March) is the first whole week after it.
    after = {w.start.date().isoformat(): w for w in weekly.tested_windows}
    assert "age" in after["2024-03-11"].drifted_features
    assert all("age" in after[d].drifted_features for d in ("2024-03-18", "2024-03-25"))
    assert all(
        set(w.drifted_features) <= {"age"} for w in weekly.tested_windows if w.start >= START
    )


def test_a_rolling_baseline_absorbs_a_lasting_change(stepped: Store) -> None:
    rolling = _timeline(stepped, "week", "rolling:2")
    assert "previous 2 window" in rolling.calibration
    by_start = {w.start.date().isoformat(): w for w in rolling.tested_windows}
    assert "age" in by_start["2024-03-11"].drifted_features  # the first week all after
    assert "age" not in by_start["2024-03-25"].drifted_features  # compared with two shifted


def test_against_the_same_weekday_a_step_hidden_by_a_weekly_cycle_is_caught(
    store: Store,
) -> None:
    # Weekends sit 0.5 SD higher; from noon on Thursday 7 March everything does.
    step = dt.datetime(2024, 3, 7, 12)
    frame = stream(91, weekend_shift=0.5, step_at=step, seed=4)
    log_records(frame, spec(reference=REFERENCE), db=store.path)
    since = REFERENCE.end
    whole = _timeline(store, "day", start=since)
    seasonal = _timeline(store, "day", "seasonal", start=since)
    assert "same season" in seasonal.calibration
    for timeline in (whole, seasonal):  # neither raises a false alarm before the step
        assert _flagged(timeline, since, dt.datetime(2024, 3, 7)) == []
    # Against the whole reference the cycle widens the usual range so far that weekdays after
    # the step pass; against the same weekday every whole day after it drifts.
    days_after = [d.date().isoformat() for d in pd.date_range("2024-03-08", "2024-03-31")]
    assert _flagged(seasonal, step, dt.datetime(2024, 4, 1)) == days_after
    missed = [w for w in whole.tested_windows if w.start > step and not w.drifted]
    assert len(missed) >= 10 and all(w.start.weekday() < 5 for w in missed)

    def age_limit(timeline: Timeline) -> float:
        cell = next(c for c in timeline.tested_windows[0].cells if c.feature == "age")
        assert cell.threshold is not None
        return cell.threshold

    assert age_limit(seasonal) < 0.6 * age_limit(whole)
