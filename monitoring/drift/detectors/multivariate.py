"""Multivariate detectors: all features at once on an encoded sample (MMD, LSDD, classifier)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from monitoring.drift.detectors.base import Detector, Family


@dataclass(frozen=True)
class _KernelDetector(Detector):
    """A PyTorch (CPU) two-sample test with a permutation p-value; subclasses name the class."""

    family: ClassVar[Family] = "multivariate"
    backend: ClassVar[str] = "torch"
    random: ClassVar[bool] = True
    sample_cap: ClassVar[int | None] = 1000
    n_permutations: int = 100

    def build(self, x_ref: np.ndarray) -> Any:
        return super().build(x_ref.astype(np.float32))

    def options(self, x_ref: np.ndarray) -> dict[str, Any]:
        return {
            "backend": "pytorch",
            "p_val": self.p_val,
            "n_permutations": self.n_permutations,
            "device": "cpu",
        }

    def predict(self, alibi: Any, x: np.ndarray) -> Mapping[str, Any]:
        return alibi.predict(x.astype(np.float32))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class MMDDetector(_KernelDetector):
    """Maximum mean discrepancy with a permutation test (``MMDDrift``, PyTorch on CPU)."""

    name: ClassVar[str] = "mmd"
    title: ClassVar[str] = "MMD"
    scope: ClassVar[str] = "multivariate, sampled"
    statistic_name: ClassVar[str] = "MMD²"
    alibi_class: ClassVar[str] = "MMDDrift"


@dataclass(frozen=True)
class LSDDDetector(_KernelDetector):
    """Least-squares density difference with a permutation test (``LSDDDrift``, PyTorch)."""

    name: ClassVar[str] = "lsdd"
    title: ClassVar[str] = "LSDD"
    scope: ClassVar[str] = "multivariate, sampled"
    statistic_name: ClassVar[str] = "LSDD"
    alibi_class: ClassVar[str] = "LSDDDrift"


@dataclass(frozen=True)
class ContextMMDDetector(_KernelDetector):
    """MMD between the windows *given* each row's context (``ContextMMDDrift``, PyTorch).

    The context is the rows' calendar position (:mod:`monitoring.drift.context`):
    a window of July nights is compared with the reference's nights, not with
    all of it, so a daily or weekly rhythm is not drift while a change in how
    the features relate to the hour or weekday is. The current window's
    contexts should lie within the reference's. It fits kernel ridge
    regressions per permutation, so its default sample is smaller (300 rows
    take about 2 s on two cores, 500 about 30 s).
    """

    name: ClassVar[str] = "context_mmd"
    title: ClassVar[str] = "context-aware MMD"
    scope: ClassVar[str] = "multivariate, sampled, given the calendar position"
    statistic_name: ClassVar[str] = "context-aware MMD"
    alibi_class: ClassVar[str] = "ContextMMDDrift"
    sample_cap: ClassVar[int | None] = 300
    needs_context: ClassVar[bool] = True

    def build_in_context(self, x_ref: np.ndarray, context: np.ndarray) -> Any:
        import alibi_detect.cd

        _calibration_without_prefit()
        return alibi_detect.cd.ContextMMDDrift(
            x_ref.astype(np.float32), context, **self.options(x_ref)
        )

    def predict_in_context(
        self, alibi: Any, x: np.ndarray, context: np.ndarray
    ) -> Mapping[str, Any]:
        return alibi.predict(x.astype(np.float32), context)  # type: ignore[no-any-return]


def _calibration_without_prefit() -> None:
    """Let Alibi Detect 0.13 calibrate its context classifier under scikit-learn ≥ 1.8.

    It calls ``CalibratedClassifierCV(clf, method=..., cv="prefit")``; scikit-learn
    1.8 removed ``cv="prefit"`` in favour of wrapping the fitted classifier in
    ``FrozenEstimator``. Its module gets a function with the old call's
    signature that builds the new form (idempotent; nothing else uses it).
    """
    from alibi_detect.cd import _domain_clf
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    def calibrated(estimator: Any, method: str = "sigmoid", cv: Any = None) -> Any:
        if cv == "prefit":
            return CalibratedClassifierCV(FrozenEstimator(estimator), method=method)
        return CalibratedClassifierCV(estimator, method=method, cv=cv)

    if _domain_clf.CalibratedClassifierCV is CalibratedClassifierCV:
        _domain_clf.CalibratedClassifierCV = calibrated


@dataclass(frozen=True)
class ClassifierDetector(Detector):
    """A gradient-boosted classifier tries to tell the windows apart (``ClassifierDrift``).

    scikit-learn backend; out-of-fold predictions over ``n_folds`` folds; the
    statistic is Alibi Detect's KS distance between the classifier's
    out-of-fold scores of the two windows.
    """

    name: ClassVar[str] = "classifier"
    title: ClassVar[str] = "classifier"
    scope: ClassVar[str] = "multivariate, sampled"
    family: ClassVar[Family] = "multivariate"
    backend: ClassVar[str] = "sklearn"
    alibi_class: ClassVar[str] = "ClassifierDrift"
    statistic_name: ClassVar[str] = "classifier KS"
    random: ClassVar[bool] = True
    sample_cap: ClassVar[int | None] = 5000
    n_folds: int = 5
    max_iter: int = 50

    def options(self, x_ref: np.ndarray) -> dict[str, Any]:
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = HistGradientBoostingClassifier(max_iter=self.max_iter, random_state=self.seed)
        return {
            "model": model,
            "backend": "sklearn",
            "p_val": self.p_val,
            "n_folds": self.n_folds,
            "seed": self.seed,
        }

    def predict(self, alibi: Any, x: np.ndarray) -> Mapping[str, Any]:
        return alibi.predict(x, return_probs=False, return_model=False)  # type: ignore[no-any-return]
