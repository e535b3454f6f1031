"""How a drift run is done: the detector, the correction, the thresholds.

:class:`DriftConfig` is part of the key under which a result is stored. The
detector names come from the catalogue (:mod:`monitoring.drift.detectors`);
``auto`` picks a univariate test per column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from monitoring.drift.detectors import CATALOGUE, MULTIVARIATE, OFFLINE
from monitoring.errors import MonitoringError

DETECTOR_CHOICES: tuple[str, ...] = ("auto", *OFFLINE)
DETECTOR_LABELS: Mapping[str, str] = {
    "auto": "auto (per column: KS/CvM, chi², Fisher)",
    **{name: CATALOGUE[name].label() for name in OFFLINE},
}
CORRECTIONS: tuple[str, ...] = ("bonferroni", "fdr")
CORRECTION_LABELS: Mapping[str, str] = {
    "bonferroni": "Bonferroni",
    "fdr": "Benjamini–Hochberg FDR",
}
RULES: tuple[str, ...] = ("calibrated", "fixed")
RULE_LABELS: Mapping[str, str] = {
    "calibrated": "calibrated on the reference's own variability",
    "fixed": "fixed: p below the corrected level and effect size at least the minimum",
}
DEFAULT_MIN_EFFECT = 0.1
AUTO_CVM_BELOW = 2000
MIN_VALUES = 2


@dataclass(frozen=True)
class DriftConfig:
    """How a drift run is done; part of the key under which its result is stored.

    ``sample_cap`` (rows per window) applies to the multivariate detectors only;
    ``None`` means their default. ``drift_share`` ``None`` means "any feature".
    """

    detector: str = "auto"
    correction: str = "bonferroni"
    p_threshold: float = 0.05
    min_effect: float = DEFAULT_MIN_EFFECT
    sample_cap: int | None = None
    n_permutations: int = 100
    drift_share: float | None = None
    seed: int = 0
    rule: str = "calibrated"
    baseline: str = "whole"

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise MonitoringError(f"unknown rule {self.rule!r}; valid rules are {list(RULES)}")
        Baseline.parse(self.baseline)
        if self.detector not in DETECTOR_CHOICES:
            raise MonitoringError(
                f"unknown detector {self.detector!r}; valid detectors are {list(DETECTOR_CHOICES)}"
            )
        if self.correction not in CORRECTIONS:
            raise MonitoringError(
                f"unknown correction {self.correction!r}; valid corrections are {list(CORRECTIONS)}"
            )
        if not 0 < self.p_threshold < 1:
            raise MonitoringError(f"p_threshold must be in (0, 1), got {self.p_threshold}")
        if self.min_effect < 0:
            raise MonitoringError(f"min_effect must not be negative, got {self.min_effect}")
        if self.sample_cap is not None and self.sample_cap < 10:
            raise MonitoringError(f"sample_cap must be at least 10 rows, got {self.sample_cap}")
        if self.n_permutations < 10:
            raise MonitoringError(f"n_permutations must be at least 10, got {self.n_permutations}")
        if self.drift_share is not None and not 0 < self.drift_share <= 1:
            raise MonitoringError(f"drift_share must be in (0, 1], got {self.drift_share}")

    @property
    def window_baseline(self) -> Baseline:
        """What each window is compared with (see :class:`Baseline`)."""
        return Baseline.parse(self.baseline)

    @property
    def cap(self) -> int | None:
        """Rows sampled per window by a multivariate detector (``None`` for the others)."""
        if self.detector not in MULTIVARIATE:
            return None
        return self.sample_cap or CATALOGUE[self.detector].sample_cap


@dataclass(frozen=True)
class Baseline:
    """What a window is compared with: ``whole`` reference, the same ``seasonal`` part of it
    (hour of day, weekday or month of year, by the window's period), or the
    ``rolling`` previous ``windows`` windows. Written ``whole``, ``seasonal``, ``rolling:N``."""

    kind: str = "whole"
    windows: int = 0

    @classmethod
    def parse(cls, text: str) -> Baseline:
        """``whole``, ``seasonal`` or ``rolling:N`` (N ≥ 1); anything else says what is valid."""
        kind, _, count = text.partition(":")
        if kind in ("whole", "seasonal") and not count:
            return cls(kind)
        if kind == "rolling" and count.isdigit() and int(count) >= 1:
            return cls("rolling", int(count))
        raise MonitoringError(
            f"unknown baseline {text!r}; valid baselines are 'whole', 'seasonal' and "
            "'rolling:N' (the previous N windows)"
        )

    def __str__(self) -> str:
        return f"rolling:{self.windows}" if self.kind == "rolling" else self.kind

    def label(self) -> str:
        """What the windows are compared with, in words."""
        if self.kind == "seasonal":
            return "against the same season of the reference"
        if self.kind == "rolling":
            return f"against the previous {self.windows} window(s)"
        return "against the whole reference"
