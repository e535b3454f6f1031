"""What a drift timeline returns: per window and feature, the test and the verdict.

These frozen types are what the Timeline page, ``check``, the alerts and the
stored windows (:mod:`monitoring.timeline.results`) read;
:mod:`monitoring.timeline.engine` computes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from monitoring.drift.config import DriftConfig
from monitoring.drift.judge import FeatureCell
from monitoring.timeutil import Bounds

WindowStatus = Literal["tested", "too_few", "partial", "empty"]


@dataclass(frozen=True)
class WindowDrift:
    """One window's comparison with its baseline; ``drifted`` is ``None`` when not judged.

    ``threshold`` is the p-value level of the rule (α over the tested features,
    or the corrected one of the fixed rule); ``volume_low``/``volume_high`` is
    the usual row count of a window of this shape, and ``quality`` whether a
    data-quality signal (a feature's missing or novel share, or the volume) is
    beyond usual. ``calibration`` says what the thresholds were calibrated on.
    """

    start: dt.datetime
    end: dt.datetime
    rows: int
    status: WindowStatus
    threshold: float | None
    drifted: bool | None
    cells: tuple[FeatureCell, ...]
    volume_low: float | None = None
    volume_high: float | None = None
    quality: bool | None = None
    calibration: str = ""

    @property
    def bounds(self) -> Bounds:
        return self.start, self.end

    @property
    def volume_beyond(self) -> bool | None:
        """Whether the row count is outside its usual range (``None`` without a range)."""
        if self.volume_low is None or self.volume_high is None:
            return None
        return not self.volume_low <= self.rows <= self.volume_high

    @property
    def quality_features(self) -> tuple[str, ...]:
        """The features whose missing or novel share is beyond usual."""
        return tuple(c.feature for c in self.cells if c.quality)

    @property
    def tested(self) -> int:
        """How many features were tested."""
        return sum(c.drifted is not None for c in self.cells)

    @property
    def drifted_features(self) -> tuple[str, ...]:
        """The features that drifted, in spec order."""
        return tuple(c.feature for c in self.cells if c.drifted)

    @property
    def drifted_share(self) -> float | None:
        """Share of tested features that drifted (``None`` when nothing was tested)."""
        return len(self.drifted_features) / self.tested if self.tested else None


@dataclass(frozen=True)
class Timeline:
    """A model's windows compared with its reference; ``computed`` counts fresh windows."""

    model: str
    config: DriftConfig
    reference: Bounds
    min_rows: int
    features: tuple[str, ...]
    windows: tuple[WindowDrift, ...]
    computed: int = 0
    shape: str = ""
    calibration: str = ""

    def frame(self) -> pd.DataFrame:
        """One row per window and feature (window start/end/rows/status repeated)."""
        rows = [
            {
                "start": w.start,
                "end": w.end,
                "rows": w.rows,
                "window_status": w.status,
                "threshold": w.threshold,
                **{f: getattr(c, f) for f in FeatureCell.__dataclass_fields__},
            }
            for w in self.windows
            for c in w.cells
        ]
        return pd.DataFrame(rows)

    def feature_order(self) -> tuple[str, ...]:
        """Features ranked by how often, then how far, they went beyond their thresholds.

        Most drifted windows first; ties by the largest excess (statistic over
        threshold) of any window, then in spec order.
        """
        counts = {f: 0 for f in self.features}
        largest = {f: 0.0 for f in self.features}
        for w in self.windows:
            for c in w.cells:
                counts[c.feature] += bool(c.drifted)
                if c.excess is not None:
                    largest[c.feature] = max(largest[c.feature], c.excess)
        return tuple(sorted(self.features, key=lambda f: (-counts[f], -largest[f])))

    def untested(self) -> dict[str, int]:
        """How many windows were not judged, by why: ``too_few``, ``partial``, ``empty``."""
        out: dict[str, int] = {}
        for w in self.windows:
            if w.status != "tested":
                out[w.status] = out.get(w.status, 0) + 1
        return out

    @property
    def tested_windows(self) -> tuple[WindowDrift, ...]:
        """The windows that were tested (enough rows)."""
        return tuple(w for w in self.windows if w.status == "tested")

    @property
    def drifted_windows(self) -> tuple[WindowDrift, ...]:
        """The windows whose verdict is drift."""
        return tuple(w for w in self.windows if w.drifted)

    def latest(self) -> WindowDrift | None:
        """The newest window that holds any records."""
        return next((w for w in reversed(self.windows) if w.rows), None)

    def latest_complete(self) -> WindowDrift | None:
        """The newest window that was judged: complete, with enough rows."""
        return next((w for w in reversed(self.windows) if w.status == "tested"), None)
