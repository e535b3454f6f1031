import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from monitoring import log_records
from monitoring.errors import MonitoringError
from monitoring.performance.diagnosis import Diagnosis, diagnose, diagnose_windows
from monitoring.performance.errors_drift import ErrorDriftResult, error_drift
from monitoring.store.connection import Store
from monitoring.store.windows import WindowPlan
from tests.conftest import tiny_spec
from tests.unit.performance.performance_data import binary_frame, regression_spec

D = dt.datetime
# Weeks after the January reference, and what was built into each.
CASES = {
    D(2024, 2, 5): Diagnosis.STABLE,
    D(2024, 2, 12): Diagnosis.COVARIATE,
    D(2024, 2, 19): Diagnosis.CONCEPT,
    D(2024, 2, 26): Diagnosis.BOTH,
}


@pytest.mark.parametrize(
    ("covariate", "errors", "expected"),
    [
        (False, False, Diagnosis.STABLE),
        (True, False, Diagnosis.COVARIATE),
        (False, True, Diagnosis.CONCEPT),
        (True, True, Diagnosis.BOTH),
        (None, True, Diagnosis.UNKNOWN),
        (True, None, Diagnosis.UNKNOWN),
        (None, None, Diagnosis.UNKNOWN),
    ],
)
def test_diagnose_truth_table(
    covariate: bool | None, errors: bool | None, expected: Diagnosis
) -> None:
    assert diagnose(covariate, errors) is expected


def constructed(regression: bool) -> pd.DataFrame:
    """Five reference-like weeks, then the four cases of :data:`CASES`.

    Inputs move by shifting ``age``; errors move by raising the label-noise
    rate (classifier: labels flipped 30 % instead of 10 %) or offsetting the
    target (regressor: +4 on noise of σ 3). The model (pred) never changes.
    """
    rng = np.random.default_rng(11)
    frame = binary_frame(days=63, per_day=100).drop(columns=["score"])
    week = frame.ts.dt.to_period("W-SUN").dt.start_time
    moved = week.isin([D(2024, 2, 12), D(2024, 2, 26)])
    changed = week.isin([D(2024, 2, 19), D(2024, 2, 26)])
    age = rng.normal(40, 5, len(frame)) + np.where(moved, 6.0, 0.0)
    frame["age"] = age
    if regression:
        noise = rng.normal(0, 3, len(frame)) + np.where(changed, 4.0, 0.0)
        return frame.assign(pred=2 * age, label=2 * age + noise)
    truth = (age > 40).astype(int)
    flipped = rng.uniform(size=len(frame)) < np.where(changed, 0.3, 0.1)
    return frame.assign(pred=truth, label=np.where(flipped, 1 - truth, truth))


def covariate_verdicts(frame: pd.DataFrame, windows: list[ErrorDriftResult]) -> dict:
    """What the drift engine would supply: a KS test of ``age`` per window."""
    reference = frame.loc[frame.ts < "2024-02-01", "age"]
    out = {}
    for w in windows:
        rows = frame.loc[(frame.ts >= w.start) & (frame.ts < w.end), "age"]
        out[w.start] = bool(ks_2samp(reference, rows).pvalue < 0.01)
    return out


@pytest.mark.parametrize(
    ("regression", "test"), [(False, "fet"), (False, "chi2"), (True, "ks"), (True, "cvm")]
)
def test_four_constructed_cases_are_told_apart(store: Store, regression: bool, test: str) -> None:
    frame = constructed(regression)
    spec = regression_spec() if regression else tiny_spec(scores=())
    log_records(frame, spec, db=store.path)
    result = error_drift(store, spec.name, WindowPlan("week"), test=test)  # type: ignore[arg-type]
    assert result.test == test and result.n_reference == int((frame.ts < "2024-02-01").sum())
    verdicts = covariate_verdicts(frame, result.windows)
    diagnoses = {d.start: d for d in diagnose_windows(result.windows, verdicts)}
    for start, expected in CASES.items():
        found = diagnoses[start]
        assert found.diagnosis is expected, (start, found.explanation)
        assert found.explanation.startswith(expected.label)
        assert found.error is not None and found.error.p_value is not None
    concept = diagnoses[D(2024, 2, 19)]
    assert "P(y|x)" in concept.explanation
    assert (
        concept.error is not None
        and concept.error.detector
        == {"fet": "FETDrift", "chi2": "ChiSquareDrift", "ks": "KSDrift", "cvm": "CVMDrift"}[test]
    )
    assert concept.error.window_error is not None and concept.error.reference_error is not None
    assert concept.error.window_error > concept.error.reference_error + (2 if regression else 0.1)


def test_pending_too_few_and_empty_windows_are_unknown(store: Store) -> None:
    frame = binary_frame(days=28).drop(columns=["score"])
    extra = binary_frame(days=14, start="2024-02-05").drop(columns=["score"])
    extra.loc[extra.ts >= "2024-02-12", "label"] = None  # week of 12 Feb: pending
    few = binary_frame(days=1, per_day=4, start="2024-02-19").drop(columns=["score"])
    log_records(pd.concat([frame, extra, few]), tiny_spec(scores=()), db=store.path)
    result = error_drift(store, "churn", WindowPlan("week"), min_labelled=10)
    status = {w.start: w.status for w in result.windows}
    assert status[D(2024, 1, 29)] == "empty"
    assert status[D(2024, 2, 5)] == "ok"
    assert status[D(2024, 2, 12)] == "pending"
    assert status[D(2024, 2, 19)] == "too_few"
    verdicts = {w.start: False for w in result.windows}
    found = {d.start: d for d in diagnose_windows(result.windows, verdicts)}
    pending = found[D(2024, 2, 12)]
    assert pending.diagnosis is Diagnosis.UNKNOWN and pending.error_drift is None
    assert "labels have not arrived" in pending.explanation
    assert "too few labelled rows" in found[D(2024, 2, 19)].explanation
    assert "no records" in found[D(2024, 1, 29)].explanation
    missing = diagnose_windows(result.windows, {})
    assert all(d.diagnosis is Diagnosis.UNKNOWN for d in missing)
    assert "no covariate-drift verdict" in missing[0].explanation


def test_a_test_must_fit_the_task(store: Store) -> None:
    log_records(binary_frame(days=7).drop(columns=["score"]), tiny_spec(scores=()), db=store.path)
    with pytest.raises(MonitoringError, match=r"test 'ks' does not fit a binary model; use one"):
        error_drift(store, "churn", test="ks")
    with pytest.raises(MonitoringError, match=r"unknown error test 'z'; valid tests are"):
        error_drift(store, "churn", test="z")  # type: ignore[arg-type]
    with pytest.raises(MonitoringError, match=r"the reference has 280 labelled row\(s\)"):
        error_drift(store, "churn", min_labelled=500)


def test_a_significant_but_small_error_change_is_not_concept_drift(store: Store) -> None:
    # 20,000 reference rows with 20 % errors, then a week with 21.5 % errors: with this many
    # rows Fisher's test is significant, but 1.5 points is below the 2-point minimum.
    rows = 20_000
    ts = pd.date_range("2024-01-01", "2024-01-31 23:00", periods=rows)
    reference = pd.DataFrame(
        {
            "ts": ts,
            "age": 1.0,
            "income": 1.0,
            "plan": "a",
            "pred": "1",
            "label": ["0" if i % 5 == 0 else "1" for i in range(rows)],
        }
    )
    week = reference.assign(
        ts=pd.date_range("2024-02-05", "2024-02-11 23:00", periods=rows),
        label=["0" if i % 200 < 43 else "1" for i in range(rows)],
    )
    log_records(pd.concat([reference, week]), tiny_spec(scores=()), db=store.path)
    tested = {w.start: w for w in error_drift(store, "churn", WindowPlan("week")).windows}
    changed = tested[D(2024, 2, 5)]
    assert changed.significant is True and changed.effect == pytest.approx(0.015, abs=1e-3)
    assert changed.is_drift is False
    strict = error_drift(store, "churn", WindowPlan("week"), min_effect=0.01).windows
    assert {w.start: w for w in strict}[D(2024, 2, 5)].is_drift is True


def test_the_minimum_change_follows_how_much_the_references_own_weeks_move(store: Store) -> None:
    """Error rates that wobble week by week in the reference are not concept drift there."""
    frame = binary_frame(days=25 * 7, per_day=150)
    week = ((frame.ts - frame.ts.min()).dt.days // 7).to_numpy()
    # Each of 24 reference weeks flips its own share (0–16 %) of predictions, the last week 40 %.
    rng = np.random.default_rng(1)
    share = np.r_[rng.uniform(0, 0.16, 24), 0.4]
    flip = rng.uniform(size=len(frame)) < share[week]
    frame.loc[flip, "pred"] = 1 - frame.loc[flip, "pred"]
    reference = tiny_spec().reference.__class__(
        D(2024, 1, 1), D(2024, 1, 1) + dt.timedelta(weeks=24)
    )
    log_records(frame, tiny_spec(reference=reference), db=store.path)
    result = error_drift(store, "churn", WindowPlan("week"))
    assert (
        result.min_change > 0.02 and result.min_change_basis == "calibrated on 24 reference windows"
    )
    weeks = [w for w in result.windows if w.status == "ok"]
    assert [w.is_drift for w in weeks[:24]] == [False] * 24
    assert weeks[24].is_drift is True  # 40 % flipped: far beyond the usual
    fixed = error_drift(store, "churn", WindowPlan("week"), min_effect=0.02)
    assert fixed.min_change_basis == "fixed"
    assert sum(bool(w.is_drift) for w in fixed.windows[:24]) >= 3  # 2 points flag the wobble
