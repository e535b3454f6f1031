"""Concept drift: did the model's errors change, and did its inputs?

Per window, the model's errors on the labelled rows are tested against its
errors on the labelled reference rows with an Alibi Detect detector fitted once
on the reference:

- classifiers: the error indicator (1 where prediction ≠ label) with Fisher's
  exact test (``FETDrift``, two-sided, the default) or a Chi-squared test
  (``ChiSquareDrift``);
- regressors: the residuals (target − prediction) with Kolmogorov–Smirnov
  (``KSDrift``, the default) or Cramér–von Mises (``CVMDrift``).

Alibi Detect's ``{'data', 'meta'}`` output is read in :func:`adapt` and nowhere
else. Each window is one test at level ``p_val``; over many windows some
flags are expected by chance (about ``p_val`` × windows when nothing moved),
and with thousands of rows a window can be flagged for a change too small to
matter. So, as for features, a window's errors count as changed only when the
test is significant *and* the change is large enough: an error rate that moved
by at least ``DEFAULT_MIN_ERROR_CHANGE`` (2 percentage points) for classifiers,
or residual distributions at least ``DEFAULT_MIN_RESIDUAL_SHIFT`` (0.1) apart in
normalised Wasserstein distance (in reference residual standard deviations)
for regressors. Both signals are kept: ``significant`` and ``effect``.

:func:`diagnose` combines a window's covariate-drift verdict (from the drift
engine) with its error-drift verdict:

==================  ===============  ================
                    errors stable    errors changed
==================  ===============  ================
inputs stable       stable           concept
inputs moved        covariate        both
==================  ===============  ================

and ``unknown`` when either verdict is missing (labels pending, too few
labels, no covariate verdict for the window).
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from monitoring.errors import MonitoringError
from monitoring.performance.metrics import DEFAULT_MIN_LABELLED, Sample
from monitoring.performance.records import (
    labelled_sample,
    load_records,
    performance_windows,
    time_bounds,
)
from monitoring.schema import Task
from monitoring.store.connection import Store
from monitoring.store.windows import Window

ErrorTest = Literal["fet", "chi2", "ks", "cvm"]
ErrorStatus = Literal["ok", "pending", "empty", "too_few"]
TESTS: dict[str, tuple[str, str, str]] = {
    # name: (Alibi Detect class, statistic, task family)
    "fet": ("FETDrift", "odds ratio", "classification"),
    "chi2": ("ChiSquareDrift", "chi²", "classification"),
    "ks": ("KSDrift", "KS D", "regression"),
    "cvm": ("CVMDrift", "CvM T", "regression"),
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


def adapt(
    output: Mapping[str, Any],
    *,
    window: Window,
    detector: str,
    statistic_name: str,
    error_name: str,
    n_reference: int,
    n_window: int,
    reference_error: float,
    window_error: float,
) -> ErrorDriftResult:
    """Convert Alibi Detect's ``{'data': ..., 'meta': ...}`` for one feature into a result."""
    data: Mapping[str, Any] = output["data"]
    threshold = data.get("threshold")
    return ErrorDriftResult(
        start=window.start,
        end=window.end,
        status="ok",
        detector=detector,
        statistic_name=statistic_name,
        error_name=error_name,
        n_reference=n_reference,
        n_window=n_window,
        reference_error=reference_error,
        window_error=window_error,
        is_drift=bool(np.any(data["is_drift"])),
        p_value=float(np.ravel(data["p_val"])[0]),
        statistic=float(np.ravel(data["distance"])[0]),
        threshold=None if threshold is None else float(np.max(threshold)),
    )


class Diagnosis(enum.StrEnum):
    """What moved in a window: nothing, the inputs, the input→target relation, or both."""

    STABLE = "stable"
    COVARIATE = "covariate"
    CONCEPT = "concept"
    BOTH = "both"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        """A short human-readable name."""
        return {
            "stable": "Stable",
            "covariate": "Covariate drift only",
            "concept": "Concept drift",
            "both": "Covariate and concept drift",
            "unknown": "Unknown",
        }[self.value]


def diagnose(covariate_drift: bool | None, error_drift: bool | None) -> Diagnosis:
    """Combine an input verdict and an error verdict (``None`` = not known) into a diagnosis."""
    if covariate_drift is None or error_drift is None:
        return Diagnosis.UNKNOWN
    if error_drift:
        return Diagnosis.BOTH if covariate_drift else Diagnosis.CONCEPT
    return Diagnosis.COVARIATE if covariate_drift else Diagnosis.STABLE


@dataclass(frozen=True)
class WindowDiagnosis:
    """A window's diagnosis, the two verdicts it rests on, and the reason in plain words."""

    start: dt.datetime
    end: dt.datetime
    diagnosis: Diagnosis
    covariate_drift: bool | None
    error_drift: bool | None
    explanation: str
    error: ErrorDriftResult | None = None


@dataclass(frozen=True)
class ConceptDriftResult:
    """Error-drift tests of a model over a timeline of windows."""

    model: str
    task: Task
    test: ErrorTest
    p_val: float
    n_reference: int
    reference_error: float | None
    windows: tuple[ErrorDriftResult, ...]

    def diagnoses(
        self, covariate: Mapping[dt.datetime, bool | None]
    ) -> tuple[WindowDiagnosis, ...]:
        """Each window's diagnosis given covariate-drift verdicts keyed by window start."""
        return diagnose_windows(self.windows, covariate)


def diagnose_windows(
    errors: Sequence[ErrorDriftResult], covariate: Mapping[dt.datetime, bool | None]
) -> tuple[WindowDiagnosis, ...]:
    """Diagnose every window of an error-drift timeline.

    Parameters
    ----------
    errors
        Error-drift results, one per window (:func:`error_drift`).
    covariate
        The drift engine's verdict per window: ``True`` when the inputs
        drifted. Keys are window starts and must equal the ``start`` of the
        same windows (same period or row count, same range); a window missing
        from the mapping, or mapped to ``None``, has no covariate verdict and
        is diagnosed ``unknown``.
    """
    out = []
    for e in errors:
        moved = covariate.get(e.start)
        changed = e.is_drift if e.status == "ok" else None
        verdict = diagnose(moved, changed)
        out.append(
            WindowDiagnosis(e.start, e.end, verdict, moved, changed, explain(verdict, moved, e), e)
        )
    return tuple(out)


def explain(diagnosis: Diagnosis, covariate_drift: bool | None, error: ErrorDriftResult) -> str:
    """The diagnosis of one window in a sentence or two."""
    errors = _error_words(error)
    inputs = {
        True: "the inputs drifted",
        False: "the inputs did not drift",
        None: "there is no covariate-drift verdict for this window",
    }[covariate_drift]
    if diagnosis is Diagnosis.STABLE:
        return f"Stable: the inputs did not drift and the errors did not change ({errors})."
    if diagnosis is Diagnosis.COVARIATE:
        return (
            f"Covariate drift only: the inputs drifted but the errors did not change ({errors}); "
            "the model still holds on the new inputs."
        )
    if diagnosis is Diagnosis.CONCEPT:
        return (
            f"Concept drift: the errors changed ({errors}) while the inputs did not drift, so "
            "the relation between inputs and target, P(y|x), has changed."
        )
    if diagnosis is Diagnosis.BOTH:
        return (
            f"Covariate and concept drift: the inputs drifted and the errors changed ({errors}). "
            "Part of the change in errors may come from the new inputs alone (regions where the "
            "model was always weaker); these tests cannot tell that apart from a change in P(y|x)."
        )
    if error.status != "ok":
        return f"Unknown: {errors}; {inputs}."
    changed = "changed" if error.is_drift else "did not change"
    return f"Unknown: {inputs}; the errors {changed} ({errors})."


def _error_words(error: ErrorDriftResult) -> str:
    if error.status == "empty":
        return "the window has no records"
    if error.status == "pending":
        return "its labels have not arrived, so its errors cannot be tested yet"
    if error.status == "too_few":
        return f"too few labelled rows to test its errors: {error.reason}"
    return (
        f"{error.error_name} {_number(error.window_error)} vs {_number(error.reference_error)} "
        f"in the reference, {error.detector} {_p(error.p_value)}"
    )


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"


def _p(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "p = —"
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def error_drift(
    store: Store,
    model: str,
    *,
    period: str | None = "week",
    rows: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    test: ErrorTest | None = None,
    p_val: float = DEFAULT_P_VAL,
    min_labelled: int = DEFAULT_MIN_LABELLED,
    min_effect: float | None = None,
) -> ConceptDriftResult:
    """Test every window's errors against the reference's errors.

    Parameters
    ----------
    store, model
        Where the records are, and whose.
    period, rows, start, end
        The windows, as in :func:`monitoring.performance.realized_performance`.
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

    Raises
    ------
    MonitoringError
        For a test that does not fit the task, or a reference with fewer than
        ``min_labelled`` labelled rows.
    """
    spec = store.spec(model)
    chosen: ErrorTest = test or DEFAULT_TESTS[spec.task]
    _check_test(chosen, spec.task)
    ref = spec.reference
    reference = _errors(labelled_sample(load_records(store, model, ref.start, ref.end)))
    if len(reference) < min_labelled:
        raise MonitoringError(
            f"model {model!r}: the reference has {len(reference)} labelled row(s); testing errors "
            f"needs at least {min_labelled}"
        )
    detector, statistic, _ = TESTS[chosen]
    error_name = "mean residual" if spec.task == "regression" else "error rate"
    fitted = _fit(chosen, reference, p_val)
    minimum = (
        min_effect
        if min_effect is not None
        else (DEFAULT_MIN_RESIDUAL_SHIFT if spec.task == "regression" else DEFAULT_MIN_ERROR_CHANGE)
    )
    bounds = time_bounds(store, model, start, end)
    results: list[ErrorDriftResult] = []
    if bounds is not None:
        records = load_records(store, model, *bounds)
        for w in performance_windows(store, model, bounds[0], bounds[1], period, rows):
            errors = _errors(labelled_sample(records.between(w.start, w.end)))
            untested = ErrorDriftResult(
                start=w.start,
                end=w.end,
                status="empty" if w.rows == 0 else "pending",
                detector=detector,
                statistic_name=statistic,
                error_name=error_name,
                n_reference=len(reference),
                n_window=len(errors),
                reference_error=float(reference.mean()),
            )
            if len(errors) == 0:
                results.append(untested)
            elif len(errors) < min_labelled:
                reason = f"{len(errors)} labelled row(s), at least {min_labelled} needed"
                results.append(
                    replace(
                        untested,
                        status="too_few",
                        window_error=float(errors.mean()),
                        reason=reason,
                    )
                )
            else:
                results.append(
                    _with_effect(
                        adapt(
                            fitted.predict(errors.reshape(-1, 1)),
                            window=w,
                            detector=detector,
                            statistic_name=statistic,
                            error_name=error_name,
                            n_reference=len(reference),
                            n_window=len(errors),
                            reference_error=float(reference.mean()),
                            window_error=float(errors.mean()),
                        ),
                        _effect(spec.task, reference, errors),
                        minimum,
                    )
                )
    return ConceptDriftResult(
        model=model,
        task=spec.task,
        test=chosen,
        p_val=p_val,
        n_reference=len(reference),
        reference_error=float(reference.mean()),
        windows=tuple(results),
    )


def _effect(task: Task, reference: np.ndarray, window: np.ndarray) -> float:
    """Error-rate change (classifiers) or normalised Wasserstein shift of residuals (regressors)."""
    if task != "regression":
        return abs(float(window.mean()) - float(reference.mean()))
    from scipy.stats import wasserstein_distance

    scale = float(reference.std())
    distance = float(wasserstein_distance(reference, window))
    return distance / scale if scale > 0 else (0.0 if distance == 0 else math.inf)


def _with_effect(result: ErrorDriftResult, effect: float, minimum: float) -> ErrorDriftResult:
    """Errors changed only when the test is significant and the change reaches ``minimum``."""
    significant = result.is_drift
    return replace(
        result,
        significant=significant,
        effect=effect,
        is_drift=bool(significant) and effect >= minimum,
    )


def _errors(sample: Sample) -> np.ndarray:
    """Error indicator (classifiers, 0/1) or residual target − prediction (regressors)."""
    if sample.task == "regression":
        return np.asarray(sample.y_true - sample.y_pred, dtype=np.float64)
    return (sample.y_true != sample.y_pred).astype(np.int64)


def _check_test(test: str, task: Task) -> None:
    if test not in TESTS:
        raise MonitoringError(f"unknown error test {test!r}; valid tests are {list(TESTS)}")
    family = "regression" if task == "regression" else "classification"
    if TESTS[test][2] != family:
        valid = [t for t, (_, _, f) in TESTS.items() if f == family]
        raise MonitoringError(f"test {test!r} does not fit a {task} model; use one of {valid}")


def _fit(test: ErrorTest, reference: np.ndarray, p_val: float) -> Any:
    """The Alibi Detect detector of ``test`` fitted on the reference errors (never updated)."""
    try:
        from alibi_detect.cd import ChiSquareDrift, CVMDrift, FETDrift, KSDrift
    except ImportError as exc:
        raise MonitoringError(
            "testing errors needs Alibi Detect: pip install alibi-detect"
        ) from exc
    x_ref = reference.reshape(-1, 1)
    if test == "fet":
        return FETDrift(x_ref, p_val=p_val, alternative="two-sided")
    if test == "chi2":
        return ChiSquareDrift(x_ref, p_val=p_val, categories_per_feature={0: 2})
    if test == "ks":
        return KSDrift(x_ref, p_val=p_val, alternative="two-sided")
    return CVMDrift(x_ref, p_val=p_val)
