"""The tests of one window's errors against the reference's, and the size of their change.

0/1 error indicators (classifiers) are tested with Fisher's exact test
(``fet``) or a chi-squared test (``chi2``) on their counts; residuals
(regressors) with Kolmogorov–Smirnov (``ks``) or Cramér–von Mises (``cvm``)
through the detector catalogue (:mod:`monitoring.drift.detectors`). The effect
is the error rate's change, or the residuals' normalised Wasserstein distance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Literal

import numpy as np
from scipy.stats import chi2_contingency, fisher_exact, wasserstein_distance

from monitoring.drift import detectors
from monitoring.errors import MonitoringError
from monitoring.schema import Task

ErrorTest = Literal["fet", "chi2", "ks", "cvm"]
# Which detectors test which errors: 0/1 error indicators, or residuals.
TESTS: Mapping[str, str] = {
    "fet": "classification",
    "chi2": "classification",
    "ks": "regression",
    "cvm": "regression",
}


def check_test(test: str, task: Task) -> None:
    """Raise :class:`MonitoringError` for an unknown test or one that does not fit ``task``."""
    if test not in TESTS:
        raise MonitoringError(f"unknown error test {test!r}; valid tests are {list(TESTS)}")
    family = "regression" if task == "regression" else "classification"
    if TESTS[test] != family:
        valid = [name for name, fits in TESTS.items() if fits == family]
        raise MonitoringError(f"test {test!r} does not fit a {task} model; use one of {valid}")


def window_tester(
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


def _detector(test: ErrorTest, p_val: float) -> detectors.Detector:
    """The univariate detector of ``test`` for one column of errors (never updated)."""
    if test == "chi2":
        return detectors.ChiSquareDetector(p_val=p_val, categories=(2,))
    return detectors.detector_class(test)(p_val=p_val)


def error_effect(task: Task, reference: np.ndarray, window: np.ndarray) -> float:
    """Error-rate change (classifiers) or normalised Wasserstein shift of residuals (regressors)."""
    if task != "regression":
        return abs(float(window.mean()) - float(reference.mean()))
    scale = float(reference.std())
    distance = float(wasserstein_distance(reference, window))
    return distance / scale if scale > 0 else (0.0 if distance == 0 else math.inf)
