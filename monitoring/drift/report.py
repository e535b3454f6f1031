"""What a drift run returns: its configuration, per-column rows and verdicts.

These frozen types are what pages, the CLI, stored results and exports read;
:mod:`monitoring.drift` computes them and :mod:`monitoring.verdicts` applies
the multiple-testing correction and the drift rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from monitoring.drift.effects import CategoryCounts, EffectSizes, Histogram
from monitoring.errors import MonitoringError
from monitoring.store.reads import Bounds

DETECTOR_CHOICES: tuple[str, ...] = (
    "auto",
    "ks",
    "cvm",
    "chi2",
    "fet",
    "tabular",
    "mmd",
    "lsdd",
    "classifier",
)
CORRECTIONS: tuple[str, ...] = ("bonferroni", "fdr")
MULTIVARIATE: tuple[str, ...] = ("mmd", "lsdd", "classifier")
DEFAULT_SAMPLE_CAP: Mapping[str, int] = {"mmd": 1000, "lsdd": 1000, "classifier": 5000}
DEFAULT_MIN_EFFECT = 0.1
AUTO_CVM_BELOW = 2000
MIN_VALUES = 2
ENGINE_VERSION = 1

Role = Literal["feature", "prediction", "score"]
Kind = Literal["numeric", "categorical"]
Status = Literal["tested", "empty", "all_missing", "too_few", "constant"]


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

    def __post_init__(self) -> None:
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
    def cap(self) -> int | None:
        """Rows sampled per window by a multivariate detector (``None`` for the others)."""
        if self.detector not in MULTIVARIATE:
            return None
        return self.sample_cap or DEFAULT_SAMPLE_CAP[self.detector]


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
    upload when it has none).
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


def report_table(columns: tuple[ColumnDrift, ...]) -> pd.DataFrame:
    """One row per column, the largest effect first (untested columns last).

    ``drifted`` is ``None`` for a column that could not be tested; ``note``
    says why, or which test ran and why.
    """
    rows = [
        {
            "column": c.column,
            "drifted": c.drifted,
            "test": c.test or "—",
            "p-value": c.p_value,
            "effect": c.effect,
            "measure": EFFECT_LABELS.get(c.effect_name, c.effect_name),
            "statistic": c.statistic,
            "PSI": c.effects.psi,
            "missing ref": c.missing_reference,
            "missing cur": c.missing_current,
            "unseen": c.unseen_share,
            "n ref": c.n_reference,
            "n cur": c.n_current,
            "kind": c.kind,
            "note": c.note,
        }
        for c in columns
    ]
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    numbers = ["p-value", "effect", "statistic", "PSI", "missing ref", "missing cur", "unseen"]
    table[numbers] = table[numbers].astype("float64")  # None shows as blank, not "None"
    order = table["effect"].fillna(-1.0).sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)
