"""Performance from DuckDB cell counts against the row-level computations it replaces."""

import datetime as dt

import numpy as np
import pytest
from sklearn import metrics as skm

from monitoring import log_records
from monitoring.drift import detectors
from monitoring.performance.binned import binary_window_metrics, binned_auc
from monitoring.performance.error_tests import window_tester
from monitoring.performance.estimation import estimate_window, fit_calibration
from monitoring.performance.expected import estimate_cells, probability_error
from monitoring.performance.metrics import Sample
from monitoring.performance.records import sample_rows
from monitoring.performance.resampling import window_metrics
from monitoring.store.aggregates import SCORE_BINS, binary_cells
from monitoring.store.connection import Store
from tests.conftest import tiny_spec
from tests.unit.performance.performance_data import binary_frame

D = dt.datetime
ALL = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier")


def _fine_counts(score: np.ndarray, y: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    b = np.clip(np.floor(score * bins), 0, bins - 1).astype(int)
    pos = np.bincount(b[y == 1], minlength=bins).astype(float)
    neg = np.bincount(b[y == 0], minlength=bins).astype(float)
    return pos, neg


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("bins", [16, 256, SCORE_BINS])
def test_binned_auc_is_within_its_stated_bound_of_the_exact_one(seed: int, bins: int) -> None:
    rng = np.random.default_rng(seed)
    n = [50, 400, 3000, 20000][seed]
    y = (rng.uniform(size=n) < 0.3).astype(int)
    score = np.clip(rng.normal(0.35 + 0.25 * y, 0.2), 0, 1)
    if seed == 1:
        score = score.round(2)  # exact ties too
    auc, bound = binned_auc(*_fine_counts(score, y, bins))
    exact = skm.roc_auc_score(y, score)
    assert abs(float(auc) - exact) <= float(bound) + 1e-12
    # The bound is half the share of same-bin pairs: coarse bins must leave room for it.
    assert float(bound) < (0.5 if bins == 16 else 0.02)


def test_binned_auc_of_separable_bins_is_exact() -> None:
    auc, bound = binned_auc(np.array([0.0, 0.0, 3.0]), np.array([2.0, 1.0, 0.0]))
    assert float(auc) == 1.0 and float(bound) == 0.0


@pytest.fixture
def churn(store: Store) -> Store:
    frame = binary_frame(days=14, per_day=300, seed=3)
    log_records(frame, tiny_spec(), db=store.path)
    return store


def _rows(store: Store) -> Sample:
    frame = binary_frame(days=14, per_day=300, seed=3)
    sample = Sample(
        "binary",
        frame["label"].to_numpy(np.int64),
        frame["pred"].to_numpy(np.int64),
        frame["score"].to_numpy(np.float64),
    )
    return sample_rows(sample, 0, len(sample))


def _cells(store: Store) -> object:
    handle = store.model("churn")
    return binary_cells(handle, [(D(2024, 1, 1), D(2024, 1, 15))], None, "1").per_window()[0]


def test_cell_values_equal_the_row_values_and_auc_stays_in_its_bound(churn: Store) -> None:
    rows = _rows(churn)
    cells = _cells(churn)
    got = binary_window_metrics(
        cells, ALL, has_scores=True, resamples=0, confidence=0.95, rng=None, min_labelled=10
    )
    want = window_metrics(rows, ALL, resamples=0)
    for m in ("accuracy", "precision", "recall", "f1", "log_loss", "brier"):
        assert got[m].value == pytest.approx(want[m].value, rel=1e-12), m
    _, bound = binned_auc(*_fine_counts(rows.score, rows.y_true, SCORE_BINS))  # type: ignore[arg-type]
    assert abs(got["roc_auc"].value - want["roc_auc"].value) <= float(bound)  # type: ignore[operator]
    assert got["accuracy"].n == len(rows)


def test_cell_intervals_agree_with_the_row_bootstrap(churn: Store) -> None:
    """Coverage sanity: multinomial draws over cells and row draws give the same intervals
    up to Monte-Carlo noise, on a window of 4,200 rows."""
    rows = _rows(churn)
    cells = _cells(churn)
    got = binary_window_metrics(
        cells,
        ALL,
        has_scores=True,
        resamples=2000,
        confidence=0.9,
        rng=np.random.default_rng(1),
        min_labelled=10,
    )
    want = window_metrics(rows, ALL, resamples=2000, confidence=0.9, rng=np.random.default_rng(2))
    for m in ALL:
        g, w = got[m], want[m]
        assert g.lower is not None and g.upper is not None and w.lower is not None
        assert w.upper is not None
        width = w.upper - w.lower
        assert g.lower <= g.value <= g.upper, m  # type: ignore[operator]
        # Endpoints of 2,000-draw percentile intervals move by a few % of the width.
        assert abs(g.lower - w.lower) < 0.12 * width, m
        assert abs(g.upper - w.upper) < 0.12 * width, m


@pytest.mark.parametrize("test", ["fet", "chi2"])
@pytest.mark.parametrize(
    ("n_ref", "k_ref", "n", "k"), [(500, 90, 80, 25), (1000, 200, 60, 12), (300, 3, 40, 0)]
)
def test_count_tests_equal_alibi_detect_on_the_same_errors(
    test: str, n_ref: int, k_ref: int, n: int, k: int
) -> None:
    reference = np.repeat([1, 0], [k_ref, n_ref - k_ref])
    window = np.repeat([1, 0], [k, n - k])
    rng = np.random.default_rng(0)  # Alibi Detect sees rows in any order
    rng.shuffle(reference)
    rng.shuffle(window)
    detector = (
        detectors.ChiSquareDetector(p_val=0.05, categories=(2,))
        if test == "chi2"
        else detectors.FETDetector(p_val=0.05)
    )
    alibi = detector.fit(reference).detect(window)
    counted = window_tester(test, 0.05, reference)(window)  # type: ignore[arg-type]
    assert counted.p_values == pytest.approx(alibi.p_values, rel=1e-12)
    assert counted.statistics == pytest.approx(alibi.statistics, rel=1e-12)
    assert counted.is_drift == alibi.is_drift and counted.threshold == alibi.threshold


def test_estimate_from_cells_is_within_its_bound_of_the_row_estimate(churn: Store) -> None:
    rows = _rows(churn)
    cells = _cells(churn)
    calibration = fit_calibration(rows.score, rows.y_true)  # type: ignore[arg-type]
    want = estimate_window(
        rows.score, rows.y_pred, calibration, resamples=1000, rng=np.random.default_rng(0)
    )
    got = estimate_cells(
        cells,
        calibration.probabilities,
        lambda m: "",
        metrics=("accuracy", "precision", "recall", "f1", "roc_auc"),
        resamples=1000,
        confidence=0.95,
        rng=np.random.default_rng(1),
    )
    slack = probability_error(cells, calibration.probabilities) / len(rows)
    assert got["accuracy"].value == pytest.approx(want["accuracy"].value, abs=slack + 1e-12)
    for m in ("precision", "recall", "f1", "roc_auc"):
        assert got[m].value == pytest.approx(want[m].value, abs=0.01), m
        g, w = got[m], want[m]
        assert g.lower is not None and g.upper is not None
        assert w.lower is not None and w.upper is not None
        width = w.upper - w.lower
        # Binomial groups err on the wide side, never narrower than the row draws.
        assert g.upper - g.lower > 0.85 * width, m
        assert g.upper - g.lower < 1.6 * width, m
