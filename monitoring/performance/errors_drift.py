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
covariate-drift verdicts. The errors per window come from
:mod:`monitoring.performance.error_sources`, the tests and effects from
:mod:`monitoring.performance.error_tests`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from monitoring.drift import detectors
from monitoring.drift.calibration import MIN_WINDOWS, score_limits
from monitoring.errors import MonitoringError
from monitoring.performance.bands import BLOCKS
from monitoring.performance.cells import PlanCells
from monitoring.performance.error_sources import ErrorSource
from monitoring.performance.error_tests import ErrorTest, check_test, error_effect, window_tester
from monitoring.performance.metrics import DEFAULT_MIN_LABELLED
from monitoring.schema import Task
from monitoring.store.connection import ModelHandle, Store
from monitoring.store.windows import Window, WindowPlan

ErrorStatus = Literal["ok", "pending", "empty", "too_few"]
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
    check_test(chosen, task)
    ref = handle.spec.reference
    errors = ErrorSource(handle, plan, cells)
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
    test_of = window_tester(chosen, p_val, reference)
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
    errors: ErrorSource,
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
    effects = np.array([error_effect(task, reference, e) for e in runs])
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
    effect = error_effect(task, reference, errors)
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


def _default_minimum(task: Task) -> float:
    return DEFAULT_MIN_RESIDUAL_SHIFT if task == "regression" else DEFAULT_MIN_ERROR_CHANGE
