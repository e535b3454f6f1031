"""Univariate detectors: one test per feature (KS, Cramér–von Mises, chi-squared, Fisher),
and TabularDrift, which runs KS or chi-squared on every feature in one call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from monitoring.drift.detectors.base import Detector, Family
from monitoring.errors import MonitoringError


@dataclass(frozen=True)
class KSDetector(Detector):
    """Two-sample Kolmogorov–Smirnov per feature (Alibi Detect ``KSDrift``; asymptotic p)."""

    name: ClassVar[str] = "ks"
    title: ClassVar[str] = "Kolmogorov–Smirnov"
    scope: ClassVar[str] = "numeric"
    family: ClassVar[Family] = "numeric"
    alibi_class: ClassVar[str] = "KSDrift"
    statistic_name: ClassVar[str] = "KS D"

    def options(self, x_ref: np.ndarray) -> dict[str, Any]:
        return {"p_val": self.p_val, "alternative": "two-sided"}


@dataclass(frozen=True)
class CVMDetector(Detector):
    """Two-sample Cramér–von Mises per feature (``CVMDrift``; exact p for small samples)."""

    name: ClassVar[str] = "cvm"
    title: ClassVar[str] = "Cramér–von Mises"
    scope: ClassVar[str] = "numeric"
    family: ClassVar[Family] = "numeric"
    alibi_class: ClassVar[str] = "CVMDrift"
    statistic_name: ClassVar[str] = "CvM T"


@dataclass(frozen=True)
class ChiSquareDetector(Detector):
    """Chi-squared test of independence per categorical feature (``ChiSquareDrift``).

    Data are integer codes; ``categories`` gives each feature's number of
    reference categories (codes ``0 … k-1``); codes ≥ k are unseen categories.
    """

    name: ClassVar[str] = "chi2"
    title: ClassVar[str] = "chi-squared"
    scope: ClassVar[str] = "categorical"
    family: ClassVar[Family] = "categorical"
    alibi_class: ClassVar[str] = "ChiSquareDrift"
    statistic_name: ClassVar[str] = "chi²"
    categories: tuple[int, ...] = ()

    def options(self, x_ref: np.ndarray) -> dict[str, Any]:
        if len(self.categories) != x_ref.shape[1]:
            raise MonitoringError(
                f"chi-squared needs a category count for each of the {x_ref.shape[1]} "
                f"feature(s), got {len(self.categories)}"
            )
        return {"p_val": self.p_val, "categories_per_feature": dict(enumerate(self.categories))}


@dataclass(frozen=True)
class FETDetector(Detector):
    """Two-sided Fisher exact test per binary feature coded 0/1 (``FETDrift``)."""

    name: ClassVar[str] = "fet"
    title: ClassVar[str] = "Fisher exact"
    scope: ClassVar[str] = "binary"
    family: ClassVar[Family] = "binary"
    alibi_class: ClassVar[str] = "FETDrift"
    statistic_name: ClassVar[str] = "odds ratio"

    def options(self, x_ref: np.ndarray) -> dict[str, Any]:
        return {"p_val": self.p_val, "alternative": "two-sided"}


@dataclass(frozen=True)
class TabularDetector(Detector):
    """KS for numeric and chi-squared for categorical features in one call (``TabularDrift``).

    ``categories`` maps each categorical feature's column index to its number of
    reference categories; it is always set, so categories are never KS-tested.
    Alibi Detect is given the codes the reference rows actually hold: a
    category of the reference that none of the rows tested holds would be an
    all-zero column, which chi-squared refuses ("expected frequencies has a zero
    element").
    """

    name: ClassVar[str] = "tabular"
    title: ClassVar[str] = "TabularDrift"
    scope: ClassVar[str] = "all features, one call"
    family: ClassVar[Family] = "mixed"
    alibi_class: ClassVar[str] = "TabularDrift"
    statistic_name: ClassVar[str] = "KS D / chi²"
    categories: tuple[tuple[int, int], ...] = ()

    def options(self, x_ref: np.ndarray) -> dict[str, Any]:
        present = {i: sorted({int(v) for v in np.unique(x_ref[:, i])}) for i, _ in self.categories}
        return {"p_val": self.p_val, "categories_per_feature": present, "alternative": "two-sided"}
