"""The drift engine: p-values pinned to scipy, known shifts found, edge cases reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from monitoring.drift.engine import run_drift
from monitoring.drift.online import run_online
from monitoring.drift.report import DriftReport
from monitoring.drift.verdicts import correction_threshold
from monitoring.errors import MonitoringError
from monitoring.schema import ModelSpec, ReferenceWindow
from monitoring.store.connection import Store
from monitoring.store.ingest import validate_records

HOSTILE = 'a"; DROP TABLE x; --'
JAN, FEB, MAR = dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1), dt.datetime(2024, 3, 1)
REFERENCE, CURRENT = (JAN, FEB), (FEB, MAR)
SPEC = ModelSpec(
    name="m",
    task="binary",
    timestamp="ts",
    prediction="pred",
    scores=("score",),
    numeric_features=("x", HOSTILE),
    categorical_features=("c", "b"),
    positive_label="1",
    reference=ReferenceWindow(JAN, FEB),
)


def frame(n: int, start: dt.datetime, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """``n`` records spread over the 28 days from ``start``; ``shift`` moves x and c."""
    rng = np.random.default_rng(seed)
    weights = np.array([1.0, 1.0, 1.0 + 4 * shift])
    return pd.DataFrame(
        {
            "ts": pd.Timestamp(start) + pd.to_timedelta(np.linspace(0, 27 * 86400, n), "s"),
            "x": rng.normal(shift, 1.0, n),
            HOSTILE: rng.gamma(2.0, 1.0, n),
            "c": rng.choice(["red", "green", "blue"], n, p=weights / weights.sum()),
            "b": rng.choice(["yes", "no"], n),
            "pred": rng.choice(["0", "1"], n),
            "score": rng.random(n),
        }
    )


def build(path: Path, *frames: pd.DataFrame, spec: ModelSpec = SPEC) -> Store:
    """A store holding ``frames``, one import each."""
    store = Store(path)
    for i, f in enumerate(frames):
        store.append(spec, validate_records(f, spec, f"part{i}"), f"part{i}")
    return store


def drift(store: Store, **options: object) -> DriftReport:
    return run_drift(store, "m", current=CURRENT, reference=REFERENCE, **options)  # type: ignore[arg-type]


def test_p_values_match_scipy(tmp_path: Path) -> None:
    ref, cur = frame(300, JAN, 1), frame(250, FEB, 2, shift=0.3)
    report = drift(build(tmp_path / "d.duckdb", ref, cur))
    x = report.column("x")
    assert x.test == "cvm"  # fewer than 2,000 values → Cramér–von Mises
    assert x.p_value == pytest.approx(stats.cramervonmises_2samp(ref.x, cur.x).pvalue, abs=1e-6)
    c = report.column("c")
    table = pd.crosstab(pd.concat([ref.c, cur.c]), np.r_[np.zeros(300), np.ones(250)])
    chi2 = stats.chi2_contingency(table.to_numpy().T)
    assert c.test == "chi2"
    assert c.p_value == pytest.approx(chi2.pvalue, abs=1e-6)
    assert c.statistic == pytest.approx(chi2.statistic, rel=1e-6)
    b = report.column("b")
    yes_ref, yes_cur = int((ref.b == "no").sum()), int((cur.b == "no").sum())
    fisher = stats.fisher_exact([[yes_cur, yes_ref], [250 - yes_cur, 300 - yes_ref]])
    assert b.test == "fet"
    assert b.p_value == pytest.approx(fisher.pvalue, abs=1e-6)

    ks = drift(build(tmp_path / "k.duckdb", ref, cur), detector="ks").column("x")
    assert ks.test == "ks"
    assert ks.p_value == pytest.approx(
        stats.ks_2samp(ref.x, cur.x, method="asymp").pvalue, abs=1e-6
    )


def test_large_windows_use_ks_on_every_row(tmp_path: Path) -> None:
    ref, cur = frame(2500, JAN, 3), frame(2100, FEB, 4)
    x = drift(build(tmp_path / "d.duckdb", ref, cur)).column("x")
    assert (x.test, x.n_reference, x.n_current) == ("ks", 2500, 2100)
    assert x.p_value == pytest.approx(stats.ks_2samp(ref.x, cur.x, method="asymp").pvalue, abs=1e-6)


def test_a_known_shift_is_found_and_the_rest_is_not(tmp_path: Path) -> None:
    report = drift(build(tmp_path / "d.duckdb", frame(800, JAN, 5), frame(800, FEB, 6, 0.8)))
    assert report.verdict.drifted is True
    assert set(report.verdict.drifted_columns) == {"x", "c"}
    assert report.column("x").effect == pytest.approx(0.8, abs=0.15)
    assert report.outputs is not None and report.outputs.drifted is False
    assert {c.column for c in report.output_columns} == {"pred", "score"}


def test_identical_windows_do_not_drift(tmp_path: Path) -> None:
    ref = frame(500, JAN, 7)
    cur = ref.assign(ts=ref.ts + pd.Timedelta(days=31))
    report = drift(build(tmp_path / "d.duckdb", ref, cur))
    assert report.verdict.drifted is False and report.verdict.tested == 4
    for column in report.columns:
        assert column.drifted is False
        assert column.p_value == pytest.approx(1.0, abs=1e-6)
        assert column.effect == pytest.approx(0.0, abs=1e-9)


def test_a_tiny_shift_in_many_rows_is_significant_but_not_drift(tmp_path: Path) -> None:
    report = drift(build(tmp_path / "d.duckdb", frame(40_000, JAN, 8), frame(40_000, FEB, 9, 0.05)))
    x = report.column("x")
    assert x.significant is True and x.drifted is False
    assert x.effect is not None and x.effect < 0.1
    assert "x" not in report.verdict.drifted_columns


def test_empty_window_gives_a_report_not_an_exception(tmp_path: Path) -> None:
    report = drift(build(tmp_path / "d.duckdb", frame(50, JAN, 10)))
    assert report.rows_current == 0
    assert {c.status for c in report.columns} == {"empty"}
    assert report.verdict.drifted is None and "nothing could be tested" in report.verdict.rule
    assert all(c.missing_current is None and c.p_value is None for c in report.columns)


def test_single_row_all_null_and_constant_columns_are_reported(tmp_path: Path) -> None:
    ref = frame(40, JAN, 11).assign(b="same")
    ref.loc[:, HOSTILE] = np.nan
    cur = frame(2, FEB, 12).assign(b="same")
    cur.loc[0, "x"] = np.nan
    report = drift(build(tmp_path / "d.duckdb", ref, cur))
    assert report.column(HOSTILE).status == "all_missing"
    assert report.column(HOSTILE).missing_reference == 1.0
    assert report.column("x").status == "too_few"
    assert report.column("b").status == "constant"
    assert "nothing to test" in report.column("b").note


def test_unseen_categories_are_listed_with_their_share(tmp_path: Path) -> None:
    cur = frame(200, FEB, 14)
    cur.loc[:49, "c"] = "purple"
    cur.loc[50:59, "b"] = None
    report = drift(build(tmp_path / "d.duckdb", frame(200, JAN, 13), cur))
    c = report.column("c")
    assert c.unseen == (("purple", 0.25),) and c.unseen_share == 0.25
    assert c.categories is not None and c.categories.categories[-1] == "purple"
    assert c.categories.reference[-1] == 0 and c.categories.current[-1] == 50
    assert report.column("b").missing_current == pytest.approx(0.05)


def test_hostile_column_names_are_quoted_everywhere(tmp_path: Path) -> None:
    store = build(tmp_path / "d.duckdb", frame(100, JAN, 15), frame(100, FEB, 16))
    for detector in ("auto", "tabular"):
        row = drift(store, detector=detector, use_stored=False).column(HOSTILE)
        assert row.status == "tested" and row.p_value is not None
    assert store.query('SELECT count(*) AS n FROM "records:m"')["n"].iloc[0] == 200


def test_tabular_runs_ks_and_chi_squared_on_complete_rows(tmp_path: Path) -> None:
    ref, cur = frame(300, JAN, 17), frame(300, FEB, 18, 0.4)
    ref.loc[:9, "x"] = np.nan
    report = drift(build(tmp_path / "d.duckdb", ref, cur), detector="tabular")
    x, c = report.column("x"), report.column("c")
    assert (x.test, c.test) == ("tabular:ks", "tabular:chi2")
    assert (x.n_reference, x.n_current) == (290, 300)
    complete = ref.iloc[10:]
    expected = stats.ks_2samp(complete.x, cur.x, method="asymp").pvalue
    assert x.p_value == pytest.approx(expected, abs=1e-6)
    table = pd.crosstab(pd.concat([complete.c, cur.c]), np.r_[np.zeros(290), np.ones(300)])
    assert c.p_value == pytest.approx(stats.chi2_contingency(table.to_numpy().T).pvalue, abs=1e-6)
    assert report.column("pred").test == "fet"  # outputs keep their own tests


def test_tabular_survives_a_category_only_in_incomplete_rows(tmp_path: Path) -> None:
    """A reference category held only by rows with a NULL feature, and one only in the
    current window: TabularDrift once crashed ("expected frequencies has a zero element")."""
    ref, cur = frame(300, JAN, 21), frame(300, FEB, 22)
    ref.loc[:4, "c"] = "violet"  # only in rows whose x is missing: not in the complete rows
    ref.loc[:4, "x"] = np.nan
    cur.loc[:9, "c"] = "orange"  # seen only in the current window
    report = drift(build(tmp_path / "d.duckdb", ref, cur), detector="tabular")
    c = report.column("c")
    assert c.test == "tabular:chi2" and c.p_value is not None and 0 <= c.p_value <= 1
    complete = ref.iloc[5:]
    table = pd.crosstab(pd.concat([complete.c, cur.c]), np.r_[np.zeros(295), np.ones(300)])
    assert c.p_value == pytest.approx(stats.chi2_contingency(table.to_numpy().T).pvalue, abs=1e-6)


@pytest.mark.parametrize("detector", ["mmd", "lsdd", "context_mmd", "classifier"])
def test_multivariate_detectors_sample_and_find_a_shift(tmp_path: Path, detector: str) -> None:
    store = build(tmp_path / "d.duckdb", frame(400, JAN, 19), frame(400, FEB, 20, 1.0))
    report = drift(store, detector=detector, sample_cap=150, n_permutations=20)
    assert report.multivariate is not None
    assert (report.multivariate.n_reference, report.multivariate.n_current) == (150, 150)
    assert report.multivariate.drifted and report.verdict.drifted is True
    assert report.verdict.method == detector and "150 reference" in report.verdict.rule
    again = drift(store, detector=detector, sample_cap=150, n_permutations=20, use_stored=False)
    assert again.multivariate == report.multivariate  # seeded sample and permutations


def test_correction_thresholds() -> None:
    p = [0.001, 0.02, 0.03, 0.5]
    assert correction_threshold(p, "bonferroni", 0.05) == pytest.approx(0.0125)
    # Benjamini–Hochberg: bounds 0.0125, 0.025, 0.0375, 0.05 → ranks 1–3 pass.
    assert correction_threshold(p, "fdr", 0.05) == pytest.approx(0.0375)
    assert correction_threshold([0.2, 0.9], "fdr", 0.05) == pytest.approx(0.025)


def test_the_verdict_names_its_rule(tmp_path: Path) -> None:
    store = build(tmp_path / "d.duckdb", frame(300, JAN, 21), frame(300, FEB, 22, 0.8))
    fdr = drift(store, correction="fdr")
    assert "Benjamini–Hochberg" in fdr.verdict.rule and fdr.verdict.correction == "fdr"
    share = drift(store, drift_share=0.75)
    assert share.verdict.drifted is False and "at least 75%" in share.verdict.rule


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"detector": "wasserstein"}, "valid detectors are"),
        ({"correction": "holm"}, "valid corrections are"),
        ({"p_threshold": 1.5}, "p_threshold"),
    ],
)
def test_bad_options_raise_monitoring_errors(
    tmp_path: Path, options: dict[str, object], message: str
) -> None:
    store = build(tmp_path / "d.duckdb", frame(20, JAN, 23))
    with pytest.raises(MonitoringError, match=message):
        drift(store, **options)
    with pytest.raises(MonitoringError, match="not before its end"):
        run_drift(store, "m", current=(FEB, JAN))


def test_a_single_row_window_is_reported_as_too_few(tmp_path: Path) -> None:
    report = drift(build(tmp_path / "d.duckdb", frame(30, JAN, 24), frame(1, FEB, 25)))
    assert report.rows_current == 1
    assert {c.status for c in report.columns} == {"too_few"}
    assert report.verdict.drifted is None


def test_online_detection_reports_time_statistic_and_threshold(tmp_path: Path) -> None:
    store = build(tmp_path / "d.duckdb", frame(300, JAN, 26), frame(300, FEB, 27, 3.0))
    report = run_online(store, "m", "x", ert=50, window_sizes=(10,), n_bootstraps=300)
    assert report.detector == "cvm_online" and report.n_reference == 300
    assert report.detection_time is not None and report.detection_time <= 20
    assert report.detected_at is not None and FEB <= report.detected_at < MAR
    assert report.statistics[-1] > report.thresholds[-1] and report.records == report.detection_time
    binary = run_online(store, "m", "pred", ert=50, window_sizes=(10,), n_bootstraps=300)
    assert binary.detector == "fet_online" and binary.positive == "1"
    with pytest.raises(MonitoringError, match="exactly 2 categories"):
        run_online(store, "m", "c", ert=50, window_sizes=(10,), n_bootstraps=300)
