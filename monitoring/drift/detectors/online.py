"""Online detectors: a stream of records, one step at a time, at a chosen expected run time.

The thresholds are configured so that, without drift, a false detection comes
on average once every ``ert`` records (the expected run time, counted from the
moment the smallest window is full).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from monitoring.drift.detectors.base import Detector, Family


@dataclass(frozen=True)
class _OnlineDetector(Detector):
    family: ClassVar[Family] = "online"
    random: ClassVar[bool] = True
    ert: float = 200.0
    window_sizes: tuple[int, ...] = (20, 50)
    n_bootstraps: int = 2000

    def options(self, x_ref: np.ndarray) -> dict[str, Any]:
        return {
            "ert": self.ert,
            "window_sizes": list(self.window_sizes),
            "n_bootstraps": self.n_bootstraps,
            "verbose": False,
        }


@dataclass(frozen=True)
class CVMOnlineDetector(_OnlineDetector):
    """Online Cramér–von Mises on a numeric stream (``CVMDriftOnline``), at a chosen ERT."""

    name: ClassVar[str] = "cvm_online"
    title: ClassVar[str] = "online Cramér–von Mises"
    scope: ClassVar[str] = "numeric"
    alibi_class: ClassVar[str] = "CVMDriftOnline"
    statistic_name: ClassVar[str] = "online CvM"


@dataclass(frozen=True)
class FETOnlineDetector(_OnlineDetector):
    """Online Fisher exact test on a 0/1 stream (``FETDriftOnline``) at a chosen ERT.

    ``alternative`` ``greater`` watches for a rise in the share of ones, ``less``
    for a fall (Alibi Detect has no two-sided online FET).
    """

    name: ClassVar[str] = "fet_online"
    title: ClassVar[str] = "online Fisher exact"
    scope: ClassVar[str] = "binary"
    alibi_class: ClassVar[str] = "FETDriftOnline"
    statistic_name: ClassVar[str] = "online FET"
    alternative: str = "greater"

    def options(self, x_ref: np.ndarray) -> dict[str, Any]:
        return {**super().options(x_ref), "alternative": self.alternative}
