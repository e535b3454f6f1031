"""Reference bands of performance metrics and the alerts of windows that leave them.

The reference band of a metric is ``mean ± band_sigmas × σ`` of the metric over
the reference period cut into windows of the same kind (same calendar period or
row count), clipped to the metric's range. With fewer than two reference
windows where the metric is defined the band is absent (``lower`` and
``upper`` are ``None``, the reason says why) and no window can alert on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from monitoring.performance.metrics import (
    DEFAULT_MIN_LABELLED,
    MetricValue,
    Sample,
    check_metrics,
    metric_info,
    undefined_reason,
)
from monitoring.performance.records import Records, labelled_sample, load_records
from monitoring.performance.resampling import resampled_metrics, window_metrics
from monitoring.store.connection import ModelHandle
from monitoring.store.windows import Window, WindowPlan

DEFAULT_BAND_SIGMAS = 3.0


@dataclass(frozen=True)
class ReferenceBand:
    """A metric's spread over the reference period cut into windows of the same kind.

    ``lower``/``upper`` are ``mean ∓ sigmas × std`` (sample std) clipped to the
    metric's range, ``None`` with fewer than two reference windows where the
    metric is defined (``reason`` says so). ``overall`` is the metric on all
    labelled reference rows at once.
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
) -> dict[str, ReferenceBand]:
    """Each metric's band over the reference period cut as ``plan`` cuts (its range is ignored).

    ``records`` may be passed when they already cover the reference period,
    to save a query.
    """
    names = check_metrics(model.spec, metrics)
    ref = model.spec.reference
    if records is None or not records.covers(ref.start, ref.end):
        records = load_records(model, ref.start, ref.end)
    windows = plan.over(ref.start, ref.end).windows(model)
    samples = [labelled_sample(records.between(w.start, w.end)) for w in windows]
    per_window = [_plain_values(s, names, min_labelled) for s in samples]
    everything = labelled_sample(records.between(ref.start, ref.end))
    overall = window_metrics(everything, names, resamples=0, min_labelled=1)
    return {m: _band(m, [p[m] for p in per_window], sigmas, overall[m].value) for m in names}


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
    metric: str, values: list[float | None], sigmas: float, overall: float | None
) -> ReferenceBand:
    defined = np.array([v for v in values if v is not None], dtype=np.float64)
    if len(defined) < 2:
        reason = (
            f"the reference has {len(defined)} window(s) where {metric} is defined; "
            "a band needs at least 2"
        )
        mean = float(defined.mean()) if len(defined) else None
        return ReferenceBand(metric, mean, None, None, None, len(defined), sigmas, overall, reason)
    mean, std = float(defined.mean()), float(defined.std(ddof=1))
    info = metric_info(metric)
    lower, upper = mean - sigmas * std, mean + sigmas * std
    if info.lower_bound is not None:
        lower = max(lower, info.lower_bound)
    if info.upper_bound is not None:
        upper = min(upper, info.upper_bound)
    return ReferenceBand(metric, mean, std, lower, upper, len(defined), sigmas, overall)


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
