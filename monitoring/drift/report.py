"""What a drift run returns: per-column rows, verdicts and the multivariate result.

These frozen types are what pages, the CLI, stored results and exports read;
:mod:`monitoring.drift.engine` computes them and :mod:`monitoring.drift.verdicts`
applies the multiple-testing correction and the drift rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from monitoring.drift.config import DriftConfig
from monitoring.drift.effects import CategoryCounts, EffectSizes, Histogram
from monitoring.errors import MonitoringError
from monitoring.timeutil import Bounds

ENGINE_VERSION = 2  # 2: verdicts calibrated on the reference, discrete numerics by counts

Role = Literal["feature", "prediction", "score"]
Kind = Literal["numeric", "categorical"]
Status = Literal["tested", "empty", "all_missing", "too_few", "constant"]


@dataclass(frozen=True)
class ColumnDrift:
    """One column's comparison: the test, its p-value, effect sizes, sizes and plot data.

    ``n_reference``/``n_current`` count the values the test used (non-NULL
    values; complete rows for ``tabular``). ``missing_*`` are NULL shares of the
    window (``None`` for an empty window). ``unseen`` lists categories of the
    current window absent from the reference with their share of its non-NULL
    values. ``effect`` is the effect size the verdict uses (``effect_name`` says
    which); ``significant`` and ``drifted`` are ``None`` when no test ran.
    ``histogram`` (40 equal-width bins) and ``bins`` (the PSI deciles) are set
    for numeric columns, ``categories`` for categorical ones.

    The calibrated verdict: ``score`` is the statistic calibrated on the
    reference (``score_name``: binned KS ``D``, or Jensen–Shannon distance),
    ``score_threshold`` its usual limit for a window of this shape and
    ``excess`` their ratio. ``novel`` is the share of values the reference
    never holds (outside its range, or unseen categories); ``missing_limit``
    and ``novel_limit`` are the usual limits of the two shares and ``quality``
    whether either is beyond them.
    """

    column: str
    role: Role
    kind: Kind
    status: Status
    test: str | None
    note: str
    statistic: float | None
    statistic_name: str | None
    p_value: float | None
    threshold: float | None
    effects: EffectSizes
    effect_name: str
    effect: float | None
    n_reference: int
    n_current: int
    missing_reference: float | None
    missing_current: float | None
    unseen: tuple[tuple[str, float], ...]
    unseen_share: float | None
    significant: bool | None
    drifted: bool | None
    histogram: Histogram | None = None
    bins: Histogram | None = None
    categories: CategoryCounts | None = None
    score: float | None = None
    score_name: str | None = None
    score_threshold: float | None = None
    excess: float | None = None
    novel: float | None = None
    missing_limit: float | None = None
    novel_limit: float | None = None
    quality: bool | None = None


@dataclass(frozen=True)
class MultivariateDrift:
    """A joint test of all features on a sample of each window."""

    detector: str
    statistic_name: str
    statistic: float
    p_value: float
    distance_threshold: float | None
    n_reference: int
    n_current: int
    encoded_columns: tuple[str, ...]
    drifted: bool


@dataclass(frozen=True)
class Verdict:
    """Did a family of columns (``features`` or ``outputs``) drift, and by which rule.

    ``drifted`` is ``None`` when nothing could be tested; ``threshold`` is the
    corrected per-column p-value threshold (``None`` when no column was tested).
    """

    scope: Literal["features", "outputs"]
    drifted: bool | None
    method: str
    tested: int
    drifted_columns: tuple[str, ...]
    correction: str
    threshold: float | None
    rule: str


@dataclass(frozen=True)
class DriftReport:
    """The answer to one drift question; everything the page, the CLI and exports show.

    ``current_slice`` names the uploaded slice compared when the current side
    is one; ``current`` then spans its timestamps (or is the instant of its
    upload when it has none). ``calibration`` says what the thresholds were
    calibrated on (or why none could be).
    """

    model: str
    config: DriftConfig
    reference: Bounds
    current: Bounds
    rows_reference: int
    rows_current: int
    columns: tuple[ColumnDrift, ...]
    verdict: Verdict
    outputs: Verdict | None
    multivariate: MultivariateDrift | None
    computed_at: dt.datetime
    engine_version: int = ENGINE_VERSION
    from_store: bool = False
    current_slice: str | None = None
    calibration: str = ""

    @property
    def features(self) -> tuple[ColumnDrift, ...]:
        """The rows of input features."""
        return tuple(c for c in self.columns if c.role == "feature")

    @property
    def output_columns(self) -> tuple[ColumnDrift, ...]:
        """The rows of the model's prediction and score columns."""
        return tuple(c for c in self.columns if c.role != "feature")

    def column(self, name: str) -> ColumnDrift:
        """The row of ``name``; unknown names list the known ones."""
        for c in self.columns:
            if c.column == name:
                return c
        raise MonitoringError(
            f"no column {name!r} in this report; columns: {[c.column for c in self.columns]}"
        )


EFFECT_LABELS = {"wasserstein_normed": "W/σ", "jensen_shannon": "JS"}
