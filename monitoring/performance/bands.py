"""Reference bands of performance metrics and the alerts of windows that leave them.

The reference band of a metric is ``mean ± band_sigmas × σ`` of the metric over
the reference period cut into windows of the same kind (same calendar period or
row count), clipped to the metric's range.

A spread estimated from a handful of windows is itself noise: with three
monthly windows the σ of a band could be half or twice the true one. So
when the reference holds fewer than :data:`MIN_BAND_WINDOWS` windows where
the metric is defined, the band comes from up to :data:`BLOCKS` overlapping
runs of consecutive labelled reference rows, each as long as a typical
reference window (the median of its labelled rows), evenly spaced over the
reference; ``basis`` says which was used and on how many. Consecutive rows
keep what a window of the same size would see of the day's or week's
rhythm. Where even that is impossible (fewer labelled rows than one and a
half windows) the few windows are used as they are if there are at least two,
and ``basis`` says so; with fewer than two the band is absent (``lower`` and
``upper`` are ``None``, ``reason`` says why) and no window can alert on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from monitoring.performance.cells import (
    Cells,
    PlanCells,
    cells_metrics,
    labelled_rows,
    merged,
    window_cells,
)
from monitoring.performance.metrics import (
    DEFAULT_MIN_LABELLED,
    MetricValue,
    Sample,
    check_metrics,
    metric_info,
    positive_label,
    undefined_reason,
)
from monitoring.performance.records import Records, labelled_sample, load_records, sample_rows
from monitoring.performance.resampling import resampled_metrics, window_metrics
from monitoring.store.aggregates import BinaryRows, binary_rows
from monitoring.store.connection import ModelHandle
from monitoring.store.windows import Window, WindowPlan

DEFAULT_BAND_SIGMAS = 3.0
MIN_BAND_WINDOWS = 20  # the drift thresholds' figure: below it a spread is mostly noise
BLOCKS = 200


@dataclass(frozen=True)
class ReferenceBand:
    """A metric's spread over the reference period cut into windows of the same kind.

    ``lower``/``upper`` are ``mean ∓ sigmas × std`` (sample std) clipped to the
    metric's range, ``None`` with fewer than two reference windows where the
    metric is defined (``reason`` says so). ``overall`` is the metric on all
    labelled reference rows at once. ``basis`` says what the spread was taken
    over: the reference windows, or resampled runs of its rows.
    """

    metric: str
    mean: float | None
    std: float | None
    lower: float | None
    upper: float | None
    windows: int
    sigmas: float
    overall: float | None
    reason: str = ""
    basis: str = ""

    def contains(self, value: float) -> bool | None:
        """Whether ``value`` lies inside the band; ``None`` without a band."""
        if self.lower is None or self.upper is None:
            return None
        return self.lower <= value <= self.upper


@dataclass(frozen=True)
class Alert:
    """A window whose metric left the reference band.

    ``direction`` is where it went (``"above"``/``"below"``); ``worse`` says
    whether that is the bad side for this metric (loss going up, accuracy down).
    """

    metric: str
    start: dt.datetime
    end: dt.datetime
    value: float
    lower: float
    upper: float
    direction: Literal["above", "below"]
    worse: bool

    def message(self) -> str:
        """One line for a log or a page."""
        side = "worse" if self.worse else "better"
        return (
            f"{metric_info(self.metric).label} {self.value:.4g} is {self.direction} the reference "
            f"band [{self.lower:.4g}, {self.upper:.4g}] in the window starting "
            f"{self.start:%Y-%m-%d %H:%M} ({side} than usual)"
        )


def reference_bands(
    model: ModelHandle,
    plan: WindowPlan,
    *,
    metrics: Sequence[str] | None = None,
    sigmas: float = DEFAULT_BAND_SIGMAS,
    min_labelled: int = DEFAULT_MIN_LABELLED,
    records: Records | None = None,
    cells: PlanCells | None = None,
) -> dict[str, ReferenceBand]:
    """Each metric's band over the reference period cut as ``plan`` cuts (its range is ignored).

    ``records`` (regressors) may be passed when they already cover the
    reference period, and ``cells`` (classifiers: :func:`plan_cells` of
    ``plan``) when they were computed already, to save a query.
    """
    names = check_metrics(model.spec, metrics)
    ref = model.spec.reference
    windows = plan.over(ref.start, ref.end).windows(model)
    reference: Records | BinaryRows | None = None
    if model.spec.task == "regression":
        if records is None or not records.covers(ref.start, ref.end):
            records = load_records(model, ref.start, ref.end)
        samples = [labelled_sample(records.between(w.start, w.end)) for w in windows]
        sizes = [len(s) for s in samples]
        per_window = [_plain_values(s, names, min_labelled) for s in samples]
        reference = records.between(ref.start, ref.end)
        overall = window_metrics(labelled_sample(reference), names, resamples=0, min_labelled=1)
    else:  # classifiers: from per-window counts computed in DuckDB
        if cells is not None and cells.plan == plan:
            ref_cells = list(cells.reference_cells)
        else:
            ref_cells = window_cells(model, windows, plan.period)
        sizes = [labelled_rows(c) for c in ref_cells]
        per_window = [
            _cell_values(model, c, names, min_labelled) if n >= max(min_labelled, 1) else {}
            for c, n in zip(ref_cells, sizes, strict=True)
        ]
        per_window = [dict.fromkeys(names) | p for p in per_window]
        overall = cells_metrics(
            model, merged(ref_cells), names, resamples=0, confidence=0.5, rng=None, min_labelled=1
        )
    bands = {}
    blocks: list[dict[str, float | None]] | None = None
    block_rows = 0
    for m in names:
        values = [p[m] for p in per_window]
        defined = sum(v is not None for v in values)
        basis = f"{defined} reference window(s)"
        if defined < MIN_BAND_WINDOWS:
            if blocks is None:
                block_rows = _typical_rows(sizes, min_labelled)
                blocks = _block_values(model, reference, block_rows, names, min_labelled)
            resampled = [b[m] for b in blocks]
            if sum(v is not None for v in resampled) >= MIN_BAND_WINDOWS:
                values = resampled
                basis = (
                    f"{len(resampled)} resampled runs of {block_rows:,} consecutive labelled "
                    f"reference rows (the reference holds {defined} window(s) of this size; "
                    f"{MIN_BAND_WINDOWS} are needed for a spread)"
                )
            elif defined >= 2:
                basis += f" only: too few labelled rows to resample ({MIN_BAND_WINDOWS} wanted)"
        bands[m] = _band(m, values, sigmas, overall[m].value, basis)
    return bands


def _typical_rows(sizes: Sequence[int], min_labelled: int) -> int:
    """The median labelled rows of the reference windows that have enough of them."""
    enough = [n for n in sizes if n >= max(min_labelled, 1)]
    return int(np.median(enough)) if enough else 0


def _block_values(
    model: ModelHandle,
    reference: Records | BinaryRows | None,
    size: int,
    metrics: Sequence[str],
    min_labelled: int,
) -> list[dict[str, float | None]]:
    """Metrics on up to :data:`BLOCKS` evenly spaced runs of ``size`` consecutive labelled
    rows; none when the reference holds fewer than one and a half runs' worth.

    ``reference`` holds the reference's records when they were loaded already
    (regressors); a binary model's labelled reference rows are read encoded.
    """
    spec = model.spec
    ref = spec.reference
    labelled = np.zeros(0, np.int64)
    if spec.task == "multiclass":  # classes are a window's own: encode each run
        if not isinstance(reference, Records):
            reference = load_records(model, ref.start, ref.end)
        labelled = np.flatnonzero(reference.labelled)
        total = len(labelled)
    elif spec.task == "binary":
        rows = binary_rows(model, ref.start, ref.end, positive_label(spec))
        score = rows.score if spec.scores else None
        in_time = Sample("binary", rows.y, rows.d, score)
        total = len(in_time)
    else:
        assert isinstance(reference, Records)
        in_time = labelled_sample(reference, by_score=False)  # encoded once, cut into runs
        total = len(in_time)
    if size < max(min_labelled, 1) or total < size + (size + 1) // 2:
        return []
    starts = np.unique(np.linspace(0, total - size, BLOCKS).round().astype(np.int64))
    if spec.task == "multiclass":
        assert isinstance(reference, Records)
        found = reference
        runs = (
            labelled_sample(found.rows(labelled[a], labelled[a + size - 1] + 1)) for a in starts
        )
    else:
        runs = (sample_rows(in_time, a, a + size) for a in starts)
    return [_plain_values(run, metrics, min_labelled) for run in runs]


def _cell_values(
    model: ModelHandle, cells: Cells, metrics: Sequence[str], min_labelled: int
) -> dict[str, float | None]:
    """Metric values of a classifier's reference window from its cells."""
    values = cells_metrics(
        model, cells, metrics, resamples=0, confidence=0.5, rng=None, min_labelled=min_labelled
    )
    return {m: v.value for m, v in values.items()}


def _plain_values(
    sample: Sample, metrics: Sequence[str], min_labelled: int
) -> dict[str, float | None]:
    """Metric values of a reference window without scikit-learn's per-call overhead.

    The matrix formulas of :func:`resampled_metrics` applied to the sample
    itself; the tests hold them equal to scikit-learn's. With hourly windows
    a reference holds over a thousand windows, and seven validated
    scikit-learn calls per window would take longer than the timeline itself.
    """
    if len(sample) < max(min_labelled, 1):
        return dict.fromkeys(metrics)
    defined = [m for m in metrics if not undefined_reason(sample, m)]
    values = resampled_metrics(sample, np.ones((1, len(sample))), defined) if defined else {}
    out: dict[str, float | None] = dict.fromkeys(metrics)
    for m, v in values.items():
        out[m] = float(v[0]) if np.isfinite(v[0]) else None
    return out


def _band(
    metric: str, values: list[float | None], sigmas: float, overall: float | None, basis: str
) -> ReferenceBand:
    defined = np.array([v for v in values if v is not None], dtype=np.float64)
    if len(defined) < 2:
        reason = (
            f"the reference has {len(defined)} window(s) where {metric} is defined; "
            "a band needs at least 2"
        )
        mean = float(defined.mean()) if len(defined) else None
        return ReferenceBand(
            metric, mean, None, None, None, len(defined), sigmas, overall, reason, basis
        )
    mean, std = float(defined.mean()), float(defined.std(ddof=1))
    info = metric_info(metric)
    lower, upper = mean - sigmas * std, mean + sigmas * std
    if info.lower_bound is not None:
        lower = max(lower, info.lower_bound)
    if info.upper_bound is not None:
        upper = min(upper, info.upper_bound)
    return ReferenceBand(metric, mean, std, lower, upper, len(defined), sigmas, overall, "", basis)


def band_alerts(
    window: Window, values: Mapping[str, MetricValue], bands: Mapping[str, ReferenceBand]
) -> tuple[Alert, ...]:
    """An alert for each metric of ``window`` whose value lies outside its reference band."""
    alerts = []
    for name, value in values.items():
        band = bands[name]
        if value.value is None or band.lower is None or band.upper is None:
            continue
        if band.contains(value.value):
            continue
        above = value.value > band.upper
        alerts.append(
            Alert(
                metric=name,
                start=window.start,
                end=window.end,
                value=value.value,
                lower=band.lower,
                upper=band.upper,
                direction="above" if above else "below",
                worse=above != metric_info(name).higher_is_better,
            )
        )
    return tuple(alerts)
