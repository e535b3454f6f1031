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
from monitoring.drift.report import Kind
from monitoring.timeutil import Bounds

WindowStatus = Literal["tested", "too_few", "empty"]


@dataclass(frozen=True)
class FeatureCell:
    """One feature in one window. ``status`` is ``"tested"`` or why no test ran.

    ``n`` counts the window's non-NULL values; ``missing`` is the NULL share
    (``None`` for an empty window); ``statistic`` is KS ``D`` (numeric) or χ²
    (categorical); ``effect`` the normalised Wasserstein or Jensen–Shannon
    distance; ``drifted`` is ``None`` when untested.
    """

    feature: str
    kind: Kind
    status: str
    n: int
    missing: float | None
    statistic: float | None
    p_value: float | None
    effect: float | None
    drifted: bool | None


@dataclass(frozen=True)
class WindowDrift:
    """One window's comparison with the reference; ``drifted`` is ``None`` when untested."""

    start: dt.datetime
    end: dt.datetime
    rows: int
    status: WindowStatus
    threshold: float | None
    drifted: bool | None
    cells: tuple[FeatureCell, ...]

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
        """Features sorted by how many windows they drifted in (most first; ties in spec order)."""
        counts = {f: 0 for f in self.features}
        for w in self.windows:
            for name in w.drifted_features:
                counts[name] += 1
        return tuple(sorted(self.features, key=lambda f: -counts[f]))

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
