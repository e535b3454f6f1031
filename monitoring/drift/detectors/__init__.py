"""The detector catalogue: every detector once, with what menus, the CLI and docs need.

Each detector class carries its name, label, family, statistic and default
sample cap (:class:`~monitoring.drift.detectors.base.Detector`); every list of
detectors in the product derives from :data:`CATALOGUE`. Families live in
their own modules: :mod:`.univariate`, :mod:`.multivariate`, :mod:`.online`.
"""

from __future__ import annotations

from collections.abc import Mapping

from monitoring.drift.detectors.base import (
    Detector,
    DetectorResult,
    FittedDetector,
    preload,
    require,
    seeded,
)
from monitoring.drift.detectors.multivariate import (
    ClassifierDetector,
    ContextMMDDetector,
    LSDDDetector,
    MMDDetector,
)
from monitoring.drift.detectors.online import CVMOnlineDetector, FETOnlineDetector
from monitoring.drift.detectors.univariate import (
    ChiSquareDetector,
    CVMDetector,
    FETDetector,
    KSDetector,
    TabularDetector,
)
from monitoring.errors import BackendMissingError, MonitoringError

CATALOGUE: Mapping[str, type[Detector]] = {
    cls.name: cls
    for cls in (
        KSDetector,
        CVMDetector,
        ChiSquareDetector,
        FETDetector,
        TabularDetector,
        MMDDetector,
        LSDDDetector,
        ContextMMDDetector,
        ClassifierDetector,
        CVMOnlineDetector,
        FETOnlineDetector,
    )
}
OFFLINE: tuple[str, ...] = tuple(n for n, c in CATALOGUE.items() if c.family != "online")
UNIVARIATE: tuple[str, ...] = tuple(
    n for n, c in CATALOGUE.items() if c.family in ("numeric", "categorical", "binary")
)
MULTIVARIATE: tuple[str, ...] = tuple(n for n, c in CATALOGUE.items() if c.family == "multivariate")


def detector_class(name: str) -> type[Detector]:
    """The detector registered as ``name``; unknown names list the valid ones."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise MonitoringError(
            f"unknown detector {name!r}; valid detectors are {sorted(CATALOGUE)}"
        ) from None


def available(name: str) -> str | None:
    """``None`` when ``name``'s backend is installed, else a sentence saying what is missing."""
    try:
        require(detector_class(name).backend)
    except BackendMissingError as exc:
        return str(exc)
    return None


__all__ = [
    "CATALOGUE",
    "MULTIVARIATE",
    "OFFLINE",
    "UNIVARIATE",
    "CVMDetector",
    "CVMOnlineDetector",
    "ChiSquareDetector",
    "ClassifierDetector",
    "ContextMMDDetector",
    "Detector",
    "DetectorResult",
    "FETDetector",
    "FETOnlineDetector",
    "FittedDetector",
    "KSDetector",
    "LSDDDetector",
    "MMDDetector",
    "TabularDetector",
    "available",
    "detector_class",
    "preload",
    "require",
    "seeded",
]
