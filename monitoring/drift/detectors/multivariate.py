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
