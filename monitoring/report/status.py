"""One status line per model: is anything wrong in its latest complete window, and where to look.

:func:`model_status` answers, for the newest *complete* window of a model (the
same windows and rule as the Timeline's default view and ``check``):

- **drift** — the calibrated verdict of the drift timeline, how many features
  went beyond their usual range and the one furthest beyond;
- **performance** — the spec's alert metric (:func:`headline_metric`) against
  its reference band, on the newest window up to that one whose labels allow
  a value (labels often arrive weeks later, so the latest week is usually
  pending);
- **data quality** — features whose missing, unseen or out-of-range share is
  beyond its usual limit, and a row count outside its usual range;
- **labels** — the window's label coverage.

Everything comes from cheap or stored results: the timeline's stored windows
(only the last :data:`TAIL` windows are asked for; a window computed before,
by the Timeline page or ``check``, is read back) and the metric without
bootstrap intervals on the last :data:`PERFORMANCE_TAIL` windows
(:func:`performance_status`, which the Overview asks last: the band is most of
the cost). :func:`status_of` is the pure part, from a timeline already computed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from monitoring.drift.config import Baseline, DriftConfig
from monitoring.errors import MonitoringError
from monitoring.performance.metrics import headline_metric, metric_info
from monitoring.performance.realized import PerformanceResult, realized_performance
from monitoring.store.connection import Store
from monitoring.store.windows import Window, WindowPlan
from monitoring.timeline.engine import run_timeline
from monitoring.timeline.report import Timeline, WindowDrift
from monitoring.timeutil import Bounds

TAIL = 12  # windows asked of the timeline: enough to find a complete one behind a partial week
PERFORMANCE_TAIL = 8  # windows searched for the newest one with labels
Level = Literal["alert", "ok", "unknown"]
QUALITY_WORDS = {
    "missing": "missing values",
    "unseen": "unseen categories",
    "out_of_range": "values out of range",
}


@dataclass(frozen=True)
class DriftStatus:
    """The drift verdict of the window; ``drifted`` lists features furthest beyond first.

    ``verdict`` is ``None`` when nothing was tested; ``worst_excess`` is the
    worst feature's statistic over its calibrated limit (1 is the edge of its
    usual range).
    """

    verdict: bool | None
    tested: int
    drifted: tuple[str, ...]
    worst: str | None
    worst_excess: float | None

    @property
    def level(self) -> Level:
        return "unknown" if self.verdict is None else "alert" if self.verdict else "ok"


@dataclass(frozen=True)
class PerformanceStatus:
    """The alert metric of the newest window with a value, against the reference band.

    ``window`` is that window (``None`` when no window up to the judged one has
    a value; ``reason`` then says why). ``outside`` is ``None`` without a band;
    ``worse`` says whether being outside is on the bad side.
    """

    metric: str
    label: str
    window: Bounds | None
    value: float | None
    lower: float | None
    upper: float | None
    outside: bool | None
    worse: bool | None
    reason: str = ""

    @property
    def level(self) -> Level:
        if self.value is None or self.outside is None:
            return "unknown"
        return "alert" if self.outside and self.worse else "ok"


@dataclass(frozen=True)
class QualityStatus:
    """Data-quality signals beyond their usual limits in the window.

    ``features`` pairs each feature with its signals (keys of
    :data:`QUALITY_WORDS`); ``volume_beyond`` is ``None`` without a usual range.
    """

    features: tuple[tuple[str, tuple[str, ...]], ...]
    rows: int
    volume_low: float | None
    volume_high: float | None
    volume_beyond: bool | None

    @property
    def level(self) -> Level:
        return "alert" if self.features or self.volume_beyond else "ok"


@dataclass(frozen=True)
class LabelStatus:
    """How many of the window's rows have their label; ``coverage`` is ``None`` without a
    target (an unsupervised model) or rows."""

    has_target: bool
    rows: int
    labelled: int

    @property
    def coverage(self) -> float | None:
        return self.labelled / self.rows if self.has_target and self.rows else None


@dataclass(frozen=True)
class ModelStatus:
    """A model's status line: its latest complete window and what is wrong in it.

    ``window`` is ``None`` when no window could be judged (``note`` says why);
    the parts are then ``None`` too. ``performance`` is ``None`` as well for a
    model without a target, or when it was not measured. ``period`` is the windows' period or shape
    (``week``).
    """

    model: str
    period: str
    window: Bounds | None
    drift: DriftStatus | None
    performance: PerformanceStatus | None
    quality: QualityStatus | None
    labels: LabelStatus | None
    note: str = ""

    @property
    def level(self) -> Level:
        """``alert`` when any part is, ``ok`` when the window was judged and none is."""
        parts = [p.level for p in (self.drift, self.performance, self.quality) if p is not None]
        if "alert" in parts:
            return "alert"
        return "ok" if self.window is not None else "unknown"


def model_status(
    store: Store,
    model: str,
    plan: WindowPlan | None = None,
    config: DriftConfig | None = None,
    *,
    measure: bool = True,
) -> ModelStatus:
    """The status of ``model``'s latest complete window, cut by ``plan`` (default: weeks).

    ``config`` defaults to the calibrated rule against the spec's baseline,
    the Timeline page's default, so both read the same stored windows. With
    ``measure=False`` the performance part is left out (``None``), for a caller
    that draws the rest first and asks :func:`performance_status` after.
    """
    plan = plan or WindowPlan("week")
    handle = store.model(model)
    spec = handle.spec
    config = config or DriftConfig(baseline=spec.baseline)
    windows = plan.windows(handle)
    # A rolling baseline judges a window against the ones before it: those must be asked too,
    # or the stored windows (shared with the Timeline) would be judged on less context.
    rolling = Baseline.parse(config.baseline).kind == "rolling"
    timeline = run_timeline(
        store, model, windows if rolling else windows[-TAIL:], config, plan=plan
    )
    if timeline.latest_complete() is None and len(windows) > TAIL and not rolling:
        timeline = run_timeline(store, model, windows, config, plan=plan)
    status = status_of(timeline, windows, has_target=bool(spec.target))
    if not measure or status.window is None or not spec.target:
        return status
    return replace(status, performance=performance_status(store, model, status.window, plan))


def performance_status(
    store: Store, model: str, window: Bounds, plan: WindowPlan | None = None
) -> PerformanceStatus:
    """The alert metric on the newest window with a value among the :data:`PERFORMANCE_TAIL`
    windows of ``plan`` that end by ``window``'s end, against its reference band."""
    plan = plan or WindowPlan("week")
    handle = store.model(model)
    metric = headline_metric(handle.spec)
    judged = [w for w in plan.windows(handle) if w.end <= window[1]][-PERFORMANCE_TAIL:]
    if not judged:
        return _performance(None, metric, "no window to measure")
    try:
        result = realized_performance(
            store, model, plan.over(judged[0].start, window[1]), metrics=(metric,), resamples=0
        )
    except MonitoringError as exc:  # e.g. no labelled reference rows: say so on the line
        return _performance(None, metric, str(exc))
    return _performance(result, metric, "")


def status_of(timeline: Timeline, windows: list[Window], has_target: bool) -> ModelStatus:
    """The status line, without its performance part, from a timeline already computed.

    ``windows`` are the plan's windows with their label counts.
    """
    period = timeline.shape or "window"
    window = timeline.latest_complete()
    if window is None:
        return ModelStatus(timeline.model, period, None, None, None, None, None, _why(timeline))
    labelled = next((w.labelled for w in windows if w.bounds == window.bounds), 0)
    return ModelStatus(
        model=timeline.model,
        period=period,
        window=window.bounds,
        drift=_drift(window),
        performance=None,
        quality=_quality(window),
        labels=LabelStatus(has_target, window.rows, labelled),
    )


def _drift(window: WindowDrift) -> DriftStatus:
    drifted = sorted((c for c in window.cells if c.drifted), key=lambda c: -(c.excess or 0.0))
    worst = drifted[0] if drifted else None
    return DriftStatus(
        verdict=window.drifted,
        tested=window.tested,
        drifted=tuple(c.feature for c in drifted),
        worst=worst.feature if worst else None,
        worst_excess=worst.excess if worst else None,
    )


def _performance(result: PerformanceResult | None, metric: str, reason: str) -> PerformanceStatus:
    info = metric_info(metric)
    empty = PerformanceStatus(metric, info.label, None, None, None, None, None, None, reason)
    if result is None:
        return empty
    band = result.bands.get(metric)
    newest = next(
        (w for w in reversed(result.windows) if w.metrics[metric].value is not None), None
    )
    if newest is None:
        return PerformanceStatus(
            metric, info.label, None, None, None, None, None, None,
            reason or f"no labels yet in the last {len(result.windows)} windows",
        )  # fmt: skip
    value = newest.metrics[metric].value
    assert value is not None
    lower, upper = (band.lower, band.upper) if band is not None else (None, None)
    inside = band.contains(value) if band is not None else None
    outside = None if inside is None else not inside
    worse = None
    if outside and lower is not None:
        below = value < lower
        worse = below if info.higher_is_better else not below
    return PerformanceStatus(
        metric,
        info.label,
        newest.window.bounds,
        value,
        lower,
        upper,
        outside,
        worse,
        "" if band is None or band.lower is not None else band.reason,
    )


def _quality(window: WindowDrift) -> QualityStatus:
    features = tuple((c.feature, c.beyond()) for c in window.cells if c.beyond())
    return QualityStatus(
        features, window.rows, window.volume_low, window.volume_high, window.volume_beyond
    )


def _why(timeline: Timeline) -> str:
    """Why no window of the timeline was judged, in words."""
    untested = timeline.untested()
    if not timeline.windows or set(untested) == {"empty"}:
        return "no records yet"
    said = {
        "too_few": f"fewer than {timeline.min_rows} rows",
        "partial": "partial",
        "empty": "empty",
    }
    parts = [f"{n} {said[s]}" for s, n in untested.items()]
    return f"no complete window to judge among the last {len(timeline.windows)}: " + ", ".join(
        parts
    )
