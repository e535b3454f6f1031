"""Detectors: one interface over Alibi Detect, pinned to scipy; the adapter; the registry."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from monitoring.drift import detectors
from monitoring.drift.config import DETECTOR_CHOICES, DETECTOR_LABELS, DriftConfig
from monitoring.drift.context import calendar_context, context_cycles
from monitoring.drift.detectors import (
    CATALOGUE,
    MULTIVARIATE,
    ChiSquareDetector,
    ContextMMDDetector,
    CVMDetector,
    CVMOnlineDetector,
    FETDetector,
    FETOnlineDetector,
    KSDetector,
    MMDDetector,
    TabularDetector,
)
from monitoring.drift.detectors.base import adapt
from monitoring.drift.preprocess import Preprocessor
from monitoring.errors import BackendMissingError, MonitoringError

RNG = np.random.default_rng(42)
A, B = RNG.normal(0, 1, 60), RNG.normal(0.4, 1.2, 45)


def test_ks_and_cvm_match_scipy() -> None:
    ks = KSDetector().fit(A).detect(B)
    expected = stats.ks_2samp(A, B, method="asymp")  # Alibi Detect uses the asymptotic p
    assert ks.p_values[0] == pytest.approx(expected.pvalue, abs=1e-6)
    assert ks.statistics[0] == pytest.approx(expected.statistic, abs=1e-6)
    assert (ks.n_reference, ks.n_current, ks.detector) == (60, 45, "ks")
    cvm = CVMDetector().fit(A).detect(B)
    expected_cvm = stats.cramervonmises_2samp(A, B)
    assert cvm.p_values[0] == pytest.approx(expected_cvm.pvalue, abs=1e-6)
    assert cvm.statistics[0] == pytest.approx(expected_cvm.statistic, rel=1e-6)


def test_chi_squared_counts_unseen_codes_and_matches_scipy() -> None:
    ref = RNG.integers(0, 3, 80)
    cur = RNG.integers(0, 4, 70)  # code 3 is unseen in the reference
    result = ChiSquareDetector(categories=(3,)).fit(ref).detect(cur)
    table = np.array([np.bincount(ref, minlength=4), np.bincount(cur, minlength=4)])
    expected = stats.chi2_contingency(table)
    assert result.p_values[0] == pytest.approx(expected.pvalue, abs=1e-6)
    assert result.statistics[0] == pytest.approx(expected.statistic, rel=1e-6)


def test_fisher_exact_is_two_sided_and_matches_scipy() -> None:
    ref, cur = RNG.integers(0, 2, 30), (RNG.random(25) < 0.8).astype(int)
    result = FETDetector().fit(ref).detect(cur)
    table = [[cur.sum(), ref.sum()], [25 - cur.sum(), 30 - ref.sum()]]
    expected = stats.fisher_exact(table, alternative="two-sided")
    assert result.p_values[0] == pytest.approx(expected.pvalue, abs=1e-6)
    assert result.statistics[0] == pytest.approx(expected.statistic, rel=1e-6)


def test_tabular_declares_categories_so_they_get_chi_squared() -> None:
    ref = np.column_stack([A[:40], RNG.integers(0, 3, 40)])
    cur = np.column_stack([B[:40], RNG.integers(0, 3, 40)])
    result = TabularDetector(categories=((1, 3),)).fit(ref).detect(cur)
    ks = stats.ks_2samp(ref[:, 0], cur[:, 0], method="asymp")
    counts = [np.bincount(x[:, 1].astype(int), minlength=3) for x in (ref, cur)]
    chi2 = stats.chi2_contingency(np.array(counts))
    assert result.p_values == pytest.approx((ks.pvalue, chi2.pvalue), abs=1e-6)


def test_adapter_reads_offline_and_online_dicts() -> None:
    offline = {
        "data": {"is_drift": 1, "p_val": np.array([0.01, 0.5], dtype=np.float32),
                 "distance": np.array([0.3, 0.1]), "threshold": 0.025},
        "meta": {"name": "KSDrift", "version": "0.13.0"},
    }  # fmt: skip
    result = adapt(offline, detector="ks", statistic_name="D", n_reference=10, n_current=5)
    assert result.is_drift and result.threshold == 0.025
    assert result.p_values == pytest.approx((0.01, 0.5)) and result.statistics == (0.3, 0.1)
    assert result.alibi_version == "0.13.0" and result.time is None
    online = {
        "data": {"is_drift": 0, "time": 7, "ert": 100,
                 "test_stat": np.array([[np.nan], [2.5]]), "threshold": np.array([3.0])},
        "meta": {},
    }  # fmt: skip
    step = adapt(online, detector="cvm_online", statistic_name="S", n_reference=10, n_current=1)
    assert (step.time, step.ert, step.statistics, step.threshold) == (7, 100.0, (2.5,), 3.0)
    assert step.p_values == () and not step.is_drift


def test_registry_lists_valid_names_and_reports_missing_backends() -> None:
    assert detectors.detector_class("mmd") is detectors.MMDDetector
    with pytest.raises(MonitoringError, match=r"valid detectors are \['chi2', 'classifier'"):
        detectors.detector_class("psi")
    with pytest.raises(BackendMissingError, match="'no_such_backend_pkg'"):
        detectors.require("no_such_backend_pkg")
    assert detectors.available("lsdd") is None


def test_every_menu_of_detectors_comes_from_the_catalogue() -> None:
    assert ("auto", *(n for n, c in CATALOGUE.items() if c.family != "online")) == DETECTOR_CHOICES
    assert set(DETECTOR_LABELS) == set(DETECTOR_CHOICES)
    assert DETECTOR_LABELS["ks"] == "Kolmogorov–Smirnov (numeric)"
    assert MULTIVARIATE == ("mmd", "lsdd", "context_mmd", "classifier")
    assert DriftConfig(detector="classifier").cap == 5000 and DriftConfig(detector="ks").cap is None
    for name, cls in CATALOGUE.items():
        assert cls.name == name and cls.title and cls.scope and cls.statistic_name
        assert cls.alibi_class.endswith(("Drift", "DriftOnline"))


def test_random_detectors_give_the_same_answer_beside_each_other() -> None:
    """Two threads running permutation tests at once must not draw from each other's seed."""
    rng = np.random.default_rng(5)
    ref, cur = rng.normal(size=(120, 3)), rng.normal(0.15, 1, size=(120, 3))

    def p_value(seed: int) -> float:
        return MMDDetector(seed=seed, n_permutations=40).fit(ref).detect(cur).p_values[0]

    alone = [p_value(seed) for seed in (1, 2, 3, 4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(p_value, (1, 2, 3, 4)))
    assert together == alone
    assert len(set(alone)) > 1  # the seeds matter, so a mix-up would show


def test_the_context_aware_mmd_allows_for_the_hour_of_day() -> None:
    """Features follow the hour of day; the current window holds only mornings."""
    rng = np.random.default_rng(0)

    def rows(hours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        stamps = (
            pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 28, len(hours)), "D")
            + pd.to_timedelta(hours, "h")
        )
        x = rng.normal(size=(len(hours), 4)) + 2 * np.sin(2 * np.pi * hours / 24)[:, None]
        return x, calendar_context(stamps, ("hour", "weekday"))

    x_ref, c_ref = rows(rng.uniform(0, 24, 250))
    x_cur, c_cur = rows(rng.uniform(0, 12, 250))
    plain = MMDDetector(n_permutations=100).fit(x_ref).detect(x_cur)
    aware = ContextMMDDetector(n_permutations=100).fit(x_ref, c_ref)
    assert plain.p_values[0] < 0.01  # mornings differ from the whole day
    assert aware.detect(x_cur, c_cur).p_values[0] > 0.05  # but not from the reference's mornings
    assert aware.detect(x_cur + 0.5, c_cur).p_values[0] < 0.01  # a shift beyond the hour's
    with pytest.raises(MonitoringError, match="needs each row's context"):
        aware.detect(x_cur)


def test_the_calendar_context_is_cyclic_and_has_a_year_only_for_a_years_reference() -> None:
    month = (pd.Timestamp("2024-01-01").to_pydatetime(), pd.Timestamp("2024-02-01").to_pydatetime())
    year = (month[0], pd.Timestamp("2025-01-01").to_pydatetime())
    assert context_cycles(month) == ("hour", "weekday")
    assert context_cycles(year) == ("hour", "weekday", "year")
    context = calendar_context(pd.Series(pd.to_datetime(["2024-01-01 23:59", "2024-01-02 00:00"])),
                               ("hour",))  # fmt: skip
    assert context.shape == (2, 2)
    np.testing.assert_allclose(context[0], context[1], atol=0.01)  # 23:59 is next to midnight


def test_seeding_restores_the_global_generator() -> None:
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    with detectors.seeded(7):
        np.random.random()
    assert np.random.random() == expected


def test_online_detectors_find_a_change_and_report_when() -> None:
    rng = np.random.default_rng(3)
    cvm = CVMOnlineDetector(ert=50, window_sizes=(10,), n_bootstraps=300).fit(rng.normal(size=100))
    steps = cvm.stream(np.r_[rng.normal(size=5), rng.normal(4, 1, 100)])
    assert steps[-1].is_drift and 10 <= steps[-1].time <= 20  # type: ignore[operator]
    assert np.isnan(steps[0].statistics[0]) and steps[-1].statistics[0] > steps[-1].threshold  # type: ignore[operator]
    fet = FETOnlineDetector(ert=50, window_sizes=(10,), n_bootstraps=300)
    flips = fet.fit((rng.random(100) < 0.2).astype(int)).stream(np.ones(60, dtype=int))
    assert flips[-1].is_drift and flips[-1].ert == 50.0


def test_preprocessor_scales_on_the_reference_and_flags_unseen_and_missing() -> None:
    ref = pd.DataFrame({"x": [1.0, 2.0, 3.0, None], "c": ["a", "b", "a", None]})
    cur = pd.DataFrame({"x": [2.0, None], "c": ["z", None]})
    encoder = Preprocessor.fit(ref, ["x"], ["c"])
    assert encoder.feature_names == ("x", "c=a", "c=b", "c=<other>", "c=<missing>")
    matrix = encoder.transform(cur)
    assert matrix.tolist() == [[0.0, 0, 0, 1, 0], [0.0, 0, 0, 0, 1]]
    assert encoder.transform(ref)[0, 0] == pytest.approx(-1 / np.std([1.0, 2.0, 3.0]))


@pytest.mark.parametrize(
    ("ref_codes", "cur_codes"),
    [
        ([0, 2, 0, 2], [0, 2, 3, 3]),  # code 1 declared, held by no reference row; 3 only current
        ([0, 0, 1, 1], [2, 2, 2, 3]),  # the current window holds only categories never seen
        ([0, 0, 0, 0], [0, 0, 0, 0]),  # one category on both sides
    ],
)
def test_tabular_counts_only_categories_some_row_holds(
    ref_codes: list[int], cur_codes: list[int]
) -> None:
    """The demo's July crashed here once: chi-squared refuses a category that neither window
    holds ("expected frequencies has a zero element"); the test runs on the categories seen."""
    n = 40
    ref = np.column_stack([A[:n], np.resize(ref_codes, n)])
    cur = np.column_stack([B[:n], np.resize(cur_codes, n)])
    result = TabularDetector(categories=((1, 3),)).fit(ref).detect(cur)
    seen = sorted(set(ref_codes) | set(cur_codes))
    table = np.array([[np.sum(x[:, 1] == v) for v in seen] for x in (ref, cur)])
    expected = stats.chi2_contingency(table).pvalue if len(seen) > 1 else 1.0
    assert result.p_values[1] == pytest.approx(expected, abs=1e-6)
    assert 0.0 <= result.p_values[1] <= 1.0
