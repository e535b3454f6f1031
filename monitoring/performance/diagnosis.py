"""Concept drift, second half: what moved in a window — the inputs, the errors, both?

:func:`diagnose` combines a window's covariate-drift verdict (from the drift
timeline) with its error-drift verdict (:mod:`monitoring.performance.errors_drift`):

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
from dataclasses import dataclass

from monitoring.performance.errors_drift import ErrorDriftResult


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
