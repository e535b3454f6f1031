"""Concept drift, first half: did the model's errors change against the reference?

Per window, the model's errors on the labelled rows are tested against its
errors on the labelled reference rows with a detector fitted once on the
reference, through the product's one detector interface
(:mod:`monitoring.drift.detectors`):

- classifiers: the error indicator (1 where prediction ≠ label) with Fisher's
  exact test (``fet``, two-sided, the default) or a chi-squared test (``chi2``);
- regressors: the residuals (target − prediction) with Kolmogorov–Smirnov
  (``ks``, the default) or Cramér–von Mises (``cvm``).

Each window is one test at level ``p_val``; over many windows some flags are
expected by chance (about ``p_val`` × windows when nothing moved), and with
thousands of rows a window can be flagged for a change too small to matter.
So, as for features, a window's errors count as changed only when the test is
significant *and* the change is large enough: an error rate that moved by at
least ``DEFAULT_MIN_ERROR_CHANGE`` (2 percentage points) for classifiers, or
residual distributions at least ``DEFAULT_MIN_RESIDUAL_SHIFT`` (0.1) apart in
normalised Wasserstein distance (in reference residual standard deviations)
for regressors — or by more than the reference's own windows of the plan's
shape usually move, whichever is larger. That usual change is calibrated like
the drift thresholds (:mod:`monitoring.drift.calibration`, square-root scale,
one signal) on the reference's windows, or on up to 200 runs of consecutive
labelled reference rows of a typical window's size when it holds fewer than
20 windows: a reference week whose error rate wobbles with the weather is not
concept drift. Both signals are kept: ``significant`` and ``effect``.
:mod:`monitoring.performance.diagnosis` combines the outcome with the
covariate-drift verdicts.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from scipy.stats import chi2_contingency, fisher_exact, wasserstein_distance

from monitoring.drift import detectors
from monitoring.drift.calibration import MIN_WINDOWS, score_limits
from monitoring.errors import MonitoringError
from monitoring.performance.bands import BLOCKS
from monitoring.performance.cells import Cells, PlanCells, plan_cells
from monitoring.performance.metrics import DEFAULT_MIN_LABELLED, Sample, positive_label
from monitoring.performance.records import Records, labelled_sample, load_records
from monitoring.schema import Task
from monitoring.store.aggregates import BinaryCells, binary_rows
from monitoring.store.connection import ModelHandle, Store
from monitoring.store.windows import Window, WindowPlan

ErrorTest = Literal["fet", "chi2", "ks", "cvm"]
ErrorStatus = Literal["ok", "pending", "empty", "too_few"]
# Which detectors test which errors: 0/1 error indicators, or residuals.
TESTS: Mapping[str, str] = {
    "fet": "classification",
    "chi2": "classification",
    "ks": "regression",
    "cvm": "regression",
}
DEFAULT_TESTS: dict[str, ErrorTest] = {"binary": "fet", "multiclass": "fet", "regression": "ks"}
DEFAULT_P_VAL = 0.05
DEFAULT_MIN_ERROR_CHANGE = 0.02
DEFAULT_MIN_RESIDUAL_SHIFT = 0.1


@dataclass(frozen=True)
class ErrorDriftResult:
    """The error-drift test of one window against the reference.

    ``is_drift``, ``p_value`` and ``statistic`` are set only when ``status``
    is ``"ok"``. ``reference_error`` and ``window_error`` are the error rate
    (classifiers) or the mean residual (regressors), named by ``error_name``,
    so the size of a flagged change can be read next to its p-value.
    """

    start: dt.datetime
    end: dt.datetime
    status: ErrorStatus
    detector: str
    statistic_name: str
    error_name: str
    n_reference: int
    n_window: int
    reference_error: float | None
    window_error: float | None = None
    is_drift: bool | None = None
    p_value: float | None = None
    statistic: float | None = None
    threshold: float | None = None
    reason: str = ""
    significant: bool | None = None
    effect: float | None = None


@dataclass(frozen=True)
class ConceptDriftResult:
    """Error-drift tests of a model over a timeline of windows.

    ``min_change`` is the smallest change that counts (``min_change_name``
    says in what: the error rate's change for classifiers, the residuals'
    normalised Wasserstein distance for regressors); ``min_change_basis`` says
    whether it is the fixed minimum or the reference's calibrated usual change.
    """

    model: str
    task: Task
    test: ErrorTest
    p_val: float
    n_reference: int
    reference_error: float | None
    windows: tuple[ErrorDriftResult, ...]
    min_change: float = DEFAULT_MIN_ERROR_CHANGE
    min_change_name: str = "error-rate change"
    min_change_basis: str = "fixed"


def error_drift(
    store: Store,
    model: str,
    plan: WindowPlan | None = None,
    *,
    test: ErrorTest | None = None,
    p_val: float = DEFAULT_P_VAL,
    min_labelled: int = DEFAULT_MIN_LABELLED,
    min_effect: float | None = None,
    cells: PlanCells | None = None,
) -> ConceptDriftResult:
    """Test every window's errors against the reference's errors.

    Parameters
    ----------
    store, model
        Where the records are, and whose.
    plan
        The windows, as in :func:`~monitoring.performance.realized.realized_performance`.
    test
        ``"fet"`` or ``"chi2"`` for classifiers, ``"ks"`` or ``"cvm"`` for
        regressors; by default ``"fet"`` or ``"ks"``.
    p_val
        The level of each window's test.
    min_labelled
        Windows with fewer labelled rows are ``"too_few"`` and untested.
    min_effect
        The smallest change that counts (error-rate change for classifiers,
        normalised Wasserstein distance of residuals for regressors); by
        default ``DEFAULT_MIN_ERROR_CHANGE`` or ``DEFAULT_MIN_RESIDUAL_SHIFT``.
    cells
        A classifier's :func:`~monitoring.performance.cells.plan_cells` of
        ``plan``, when the caller has them already (saves a scan).

    Raises
    ------
    MonitoringError
        For a test that does not fit the task, or a reference with fewer than
        ``min_labelled`` labelled rows.
    """
    handle = store.model(model)
    plan = plan or WindowPlan()
    task = handle.spec.task
    chosen: ErrorTest = test or DEFAULT_TESTS[task]
    _check_test(chosen, task)
    ref = handle.spec.reference
    errors = _ErrorSource(handle, plan, cells)
    # The plan's windows over the reference partition it: their errors are the reference's.
    own = errors.reference_windows()
    if task == "regression":
        reference = errors.in_time(ref.start, ref.end)
    else:
        reference = np.concatenate(own) if own else np.zeros(0, np.int64)
    if len(reference) < min_labelled:
        raise MonitoringError(
            f"model {model!r}: the reference has {len(reference)} labelled row(s); testing errors "
            f"needs at least {min_labelled}"
        )
    test_of = _tester(chosen, p_val, reference)
    basis = "fixed"
    if min_effect is not None:
        minimum = min_effect
    else:
        usual, basis = _usual_change(handle, own, errors, reference, min_labelled)
        minimum = max(_default_minimum(task), usual)
    blank = ErrorDriftResult(
        start=ref.start,
        end=ref.end,
        status="pending",
        detector=detectors.CATALOGUE[chosen].alibi_class,
        statistic_name=detectors.CATALOGUE[chosen].statistic_name,
        error_name="mean residual" if task == "regression" else "error rate",
        n_reference=len(reference),
        n_window=0,
        reference_error=float(reference.mean()),
    )
    results: list[ErrorDriftResult] = []
    for w, found in zip(*errors.range(), strict=True):
        results.append(_window(blank, w, found, test_of, task, reference, min_labelled, minimum))
    return ConceptDriftResult(
        model=model,
        task=task,
        test=chosen,
        p_val=p_val,
        n_reference=len(reference),
        reference_error=float(reference.mean()),
        windows=tuple(results),
        min_change=minimum,
        min_change_name="residual W/σ" if task == "regression" else "error-rate change",
        min_change_basis=basis,
    )


def _usual_change(
    handle: ModelHandle,
    windows: Sequence[np.ndarray],
    errors: _ErrorSource,
    reference: np.ndarray,
    min_labelled: int,
) -> tuple[float, str]:
    """How far a window of the plan's shape usually moves inside the reference (0 when it
    cannot be told), and on what that was calibrated. ``windows`` holds the errors of
    the plan's windows over the reference."""
    ref = handle.spec.reference
    task = handle.spec.task
    own = [e for e in windows if len(e) >= min_labelled]
    if len(own) >= MIN_WINDOWS:
        runs, basis = own, f"{len(own)} reference windows"
    else:
        size = int(np.median([len(e) for e in own])) if own else 0
        if size < min_labelled or len(reference) < size + (size + 1) // 2:
            return 0.0, "fixed (the reference is too short to calibrate)"
        in_time = errors.in_time(ref.start, ref.end)
        starts = np.unique(np.linspace(0, len(in_time) - size, BLOCKS).round().astype(int))
        runs = [in_time[a : a + size] for a in starts]
        basis = f"{len(runs)} runs of {size:,} consecutive labelled reference rows"
    effects = np.array([_effect(task, reference, e) for e in runs])
    ceiling = 1.0 if task != "regression" else max(1.0, 10 * float(np.max(effects)))
    limits, _ = score_limits({"errors": effects}, {"errors": ceiling}, 1, tied={"errors"})
    threshold = limits["errors"].threshold
    return (0.0, "fixed") if threshold is None else (threshold, f"calibrated on {basis}")


def _window(
    blank: ErrorDriftResult,
    window: Window,
    errors: np.ndarray,
    test_of: Callable[[np.ndarray], detectors.DetectorResult],
    task: Task,
    reference: np.ndarray,
    min_labelled: int,
    minimum: float,
) -> ErrorDriftResult:
    """One window's errors: untested (empty, pending, too few) or tested against the reference."""
    untested = replace(
        blank,
        start=window.start,
        end=window.end,
        status="empty" if window.rows == 0 else "pending",
        n_window=len(errors),
    )
    if len(errors) == 0:
        return untested
    if len(errors) < min_labelled:
        reason = f"{len(errors)} labelled row(s), at least {min_labelled} needed"
        return replace(untested, status="too_few", window_error=float(errors.mean()), reason=reason)
    result = test_of(errors)
    effect = _effect(task, reference, errors)
    return replace(
        untested,
        status="ok",
        window_error=float(errors.mean()),
        p_value=result.p_values[0],
        statistic=result.statistics[0],
        threshold=result.threshold,
        significant=result.is_drift,
        effect=effect,
        is_drift=result.is_drift and effect >= minimum,
    )


def _detector(test: ErrorTest, p_val: float) -> detectors.Detector:
    """The univariate detector of ``test`` for one column of errors (never updated)."""
    if test == "chi2":
        return detectors.ChiSquareDetector(p_val=p_val, categories=(2,))
    return detectors.detector_class(test)(p_val=p_val)


def _default_minimum(task: Task) -> float:
    return DEFAULT_MIN_RESIDUAL_SHIFT if task == "regression" else DEFAULT_MIN_ERROR_CHANGE


def _effect(task: Task, reference: np.ndarray, window: np.ndarray) -> float:
    """Error-rate change (classifiers) or normalised Wasserstein shift of residuals (regressors)."""
    if task != "regression":
        return abs(float(window.mean()) - float(reference.mean()))
    scale = float(reference.std())
    distance = float(wasserstein_distance(reference, window))
    return distance / scale if scale > 0 else (0.0 if distance == 0 else math.inf)


def _errors(sample: Sample) -> np.ndarray:
    """Error indicator (classifiers, 0/1) or residual target − prediction (regressors)."""
    if sample.task == "regression":
        return np.asarray(sample.y_true - sample.y_pred, dtype=np.float64)
    return (sample.y_true != sample.y_pred).astype(np.int64)


def _check_test(test: str, task: Task) -> None:
    if test not in TESTS:
        raise MonitoringError(f"unknown error test {test!r}; valid tests are {list(TESTS)}")
    family = "regression" if task == "regression" else "classification"
    if TESTS[test] != family:
        valid = [name for name, fits in TESTS.items() if fits == family]
        raise MonitoringError(f"test {test!r} does not fit a {task} model; use one of {valid}")


class _ErrorSource:
    """A model's errors per window: from DuckDB counts for classifiers, from rows for regressors.

    A classifier's errors are 0/1, so a window's are fully told by how many
    there are: its array is rebuilt from the counts (errors first), which is
    all the tests and effects read. Only the calibration runs need the
    reference's errors in time order, and :meth:`in_time` reads them then.
    """

    def __init__(self, handle: ModelHandle, plan: WindowPlan, cells: PlanCells | None) -> None:
        self.handle = handle
        self.plan = plan
        self.task = handle.spec.task
        self._cells = cells if cells is not None and cells.plan == plan else None
        self._records: Records | None = None

    def reference_windows(self) -> list[np.ndarray]:
        """The errors of each of the plan's windows over the reference."""
        if self.task != "regression":
            return [_count_errors(c) for c in self._plan_cells().reference_cells]
        ref = self.handle.spec.reference
        return self._from_rows(self.plan.over(ref.start, ref.end).windows(self.handle))

    def range(self) -> tuple[list[Window], list[np.ndarray]]:
        """The plan's windows over its range and the errors of each."""
        if self.task != "regression":
            found = self._plan_cells()
            return list(found.windows), [_count_errors(c) for c in found.cells]
        bounds = self.plan.bounds(self.handle)
        windows = self.plan.over(*bounds).windows(self.handle) if bounds is not None else []
        return windows, self._from_rows(windows)

    def in_time(self, start: dt.datetime, end: dt.datetime) -> np.ndarray:
        """The errors of the labelled rows of ``[start, end)`` in time order."""
        spec = self.handle.spec
        if spec.task == "binary":
            rows = binary_rows(self.handle, start, end, positive_label(spec))
            return (rows.y != rows.d).astype(np.int64)
        return _errors(labelled_sample(self._rows(start, end), by_score=False))

    def _plan_cells(self) -> PlanCells:
        if self._cells is None:
            self._cells = plan_cells(self.handle, self.plan)
        return self._cells

    def _from_rows(self, windows: Sequence[Window]) -> list[np.ndarray]:
        if not windows:
            return []
        records = self._rows(windows[0].start, windows[-1].end)
        return [_errors(labelled_sample(records.between(w.start, w.end))) for w in windows]

    def _rows(self, start: dt.datetime, end: dt.datetime) -> Records:
        if self._records is None or not self._records.covers(start, end):
            self._records = load_records(self.handle, start, end)
        return self._records.between(start, end)


def _count_errors(cells: Cells) -> np.ndarray:
    """A window's 0/1 errors rebuilt from its cells: how many are wrong, how many right."""
    if isinstance(cells, BinaryCells):
        known = (cells.y >= 0) & (cells.d >= 0)
        wrong = int(cells.n[known & (cells.y != cells.d)].sum())
        total = int(cells.n[known].sum())
    else:
        wrong = int(cells.n[cells.target != cells.prediction].sum())
        total = int(cells.n.sum())
    return np.repeat(np.array([1, 0], dtype=np.int64), [wrong, total - wrong])


def _tester(
    test: ErrorTest, p_val: float, reference: np.ndarray
) -> Callable[[np.ndarray], detectors.DetectorResult]:
    """The test of a window's errors against ``reference``.

    Residuals go through the detector catalogue (Alibi Detect's KSDrift or
    CVMDrift). 0/1 errors are tested on their 2 × 2 table of counts with the
    calls Alibi Detect's FETDrift and ChiSquareDrift make (scipy's
    ``fisher_exact``, two-sided, and ``chi2_contingency``, whose statistic and
    p-value ChiSquareDrift keeps in float32); the tests hold the two equal.
    Importing Alibi Detect (and PyTorch) costs seconds and hundreds of MB
    that a count does not need.
    """
    if TESTS[test] == "regression":
        return _detector(test, p_val).fit(reference).detect
    n_ref, k_ref = len(reference), int(reference.sum())
    meta = detectors.CATALOGUE[test]

    def detect(errors: np.ndarray) -> detectors.DetectorResult:
        n, k = len(errors), int(errors.sum())
        if test == "fet":
            table = np.array([[k, k_ref], [n - k, n_ref - k_ref]])
            statistic, p = fisher_exact(table, alternative="two-sided")
        else:
            table = np.array([[n_ref - k_ref, k_ref], [n - k, k]])
            chi2, p_chi2, _, _ = chi2_contingency(table)
            statistic, p = np.float32(chi2), np.float32(p_chi2)
        return detectors.DetectorResult(
            detector=meta.name,
            is_drift=bool(p < p_val),
            p_values=(float(p),),
            statistics=(float(statistic),),
            statistic_name=meta.statistic_name,
            threshold=p_val,
            distance_threshold=None,
            n_reference=n_ref,
            n_current=n,
        )

    return detect
