"""The spec's alert rules on the latest window of a timeline.

:func:`evaluate_alerts` reads a model's :class:`~monitoring.schema.AlertRules`
and checks the latest window of a timeline (the newest window holding any
records):

- ``drifted_share`` and ``features`` from the drift timeline — a window with
  fewer rows than the timeline's ``min_rows`` is not tested and cannot breach
  them (the check says so);
- ``min_metrics``, ``max_metrics`` and ``band_metrics`` from
  :func:`monitoring.performance.realized_performance` on the same window —
  only where labels exist: a window whose labels are still pending, or a
  metric the window cannot define, cannot breach a metric rule (the check
  notes it instead). ``band_metrics`` breach when the metric leaves its
  reference band on either side.

The outcome is told to someone by :mod:`monitoring.alerts.delivery`.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitoring.errors import MonitoringError
from monitoring.performance.realized import realized_performance
from monitoring.schema import AlertRules
from monitoring.store.connection import Store
from monitoring.store.windows import WindowPlan
from monitoring.timeline.report import Timeline, WindowDrift
from monitoring.timeutil import span_label


@dataclass(frozen=True)
class Breach:
    """One rule that held: which (``drifted_share``, ``features``, ``min_metrics`` …) and why."""

    rule: str
    message: str


@dataclass(frozen=True)
class AlertCheck:
    """The rules checked on one window: breaches, and notes on rules that could not apply."""

    model: str
    window: WindowDrift | None
    rules: AlertRules
    breaches: tuple[Breach, ...]
    notes: tuple[str, ...]

    @property
    def breached(self) -> bool:
        """True when any rule held."""
        return bool(self.breaches)


def evaluate_alerts(store: Store, timeline: Timeline, plan: WindowPlan) -> AlertCheck:
    """Check the model's alert rules on the latest window of ``timeline``.

    ``plan`` is how the timeline's windows were cut; the metric rules use the
    same kind of window for the reference band.
    """
    rules = store.model(timeline.model).spec.alerts
    window = timeline.latest_complete()
    if window is None:
        return AlertCheck(timeline.model, None, rules, (), (_nothing_tested(timeline),))
    breaches: list[Breach] = []
    notes: list[str] = []
    latest = timeline.latest()
    if latest is not None and latest.status == "partial":
        notes.append(
            f"the newest window ({span_label(latest.start, latest.end)}, {latest.rows:,} rows) "
            "is partial and not judged; the rules are checked on the newest complete one"
        )
    _drift_rules(rules, window, timeline.min_rows, breaches, notes)
    _quality_rules(rules, window, breaches)
    if rules.metrics:
        _metric_rules(store, timeline.model, rules, window, plan, breaches, notes)
    return AlertCheck(timeline.model, window, rules, tuple(breaches), tuple(notes))


def _drift_rules(
    rules: AlertRules,
    window: WindowDrift,
    min_rows: int,
    breaches: list[Breach],
    notes: list[str],
) -> None:
    if rules.drifted_share is None and not rules.features:
        return
    if window.drifted_share is None:
        notes.append("drift rules not checked: no feature of the window could be tested")
        return
    share = window.drifted_share
    if rules.drifted_share is not None and share >= rules.drifted_share:
        breaches.append(
            Breach(
                "drifted_share",
                f"{share:.0%} of tested features drifted ({len(window.drifted_features)} of "
                f"{window.tested}: {', '.join(window.drifted_features)}), the limit is "
                f"{rules.drifted_share:.0%}",
            )
        )
    named = [f for f in rules.features if f in window.drifted_features]
    if named:
        breaches.append(Breach("features", f"watched feature(s) drifted: {', '.join(named)}"))


def _quality_rules(rules: AlertRules, window: WindowDrift, breaches: list[Breach]) -> None:
    """Data-quality signals beyond their usual range, as the spec's ``quality`` names them."""
    beyond: dict[str, list[str]] = {}
    for c in window.cells:
        for signal in c.beyond():
            beyond.setdefault(signal, []).append(c.feature)
    words = {
        "missing": "more missing values than usual",
        "unseen": "more categories the reference never saw than usual",
        "out_of_range": "more values outside the reference's range than usual",
    }
    for signal in rules.quality:
        if signal == "volume" and window.volume_beyond:
            breaches.append(
                Breach(
                    "quality",
                    f"{window.rows:,} rows, outside the usual {window.volume_low:,.0f} to "
                    f"{window.volume_high:,.0f} of a window of this shape",
                )
            )
        elif beyond.get(signal):
            breaches.append(Breach("quality", f"{words[signal]}: {', '.join(beyond[signal])}"))


def _nothing_tested(timeline: Timeline) -> str:
    """Why no window could be judged, in words."""
    untested = timeline.untested()
    if not timeline.windows or set(untested) == {"empty"}:
        return "the timeline has no records"
    parts = []
    if untested.get("too_few"):
        parts.append(
            f"{untested['too_few']} window(s) with fewer than the {timeline.min_rows} rows a "
            "test needs"
        )
    if untested.get("partial"):
        parts.append(f"{untested['partial']} partial window(s)")
    if untested.get("empty"):
        parts.append(f"{untested['empty']} empty window(s)")
    return "nothing could be tested: " + ", ".join(parts)


def _metric_rules(
    store: Store,
    model: str,
    rules: AlertRules,
    window: WindowDrift,
    plan: WindowPlan,
    breaches: list[Breach],
    notes: list[str],
) -> None:
    try:
        result = realized_performance(
            store,
            model,
            plan.over(window.start, window.end),
            metrics=rules.metrics,
            resamples=0,
        )
    except MonitoringError as exc:
        notes.append(f"metric rules not checked: {exc}")
        return
    if not result.windows:
        notes.append("metric rules not checked: no performance window")
        return
    latest = result.windows[-1]
    if latest.status != "ok":
        notes.append(
            f"metric rules not checked: labels are {latest.status} in this window, and a "
            f"window without labels cannot breach a metric rule"
        )
        return
    for metric, bound in rules.min_metrics:
        value = latest.metrics[metric]
        if value.value is None:
            notes.append(f"{metric} not checked: {value.reason or value.status}")
        elif value.value < bound:
            breaches.append(Breach("min_metrics", f"{metric} {value.value:.4g} is below {bound:g}"))
    for metric, bound in rules.max_metrics:
        value = latest.metrics[metric]
        if value.value is None:
            notes.append(f"{metric} not checked: {value.reason or value.status}")
        elif value.value > bound:
            breaches.append(Breach("max_metrics", f"{metric} {value.value:.4g} is above {bound:g}"))
    for alert in latest.alerts:
        if alert.metric in rules.band_metrics:
            breaches.append(Breach("band_metrics", alert.message()))
    for metric in rules.band_metrics:
        band = result.bands[metric]
        if band.lower is None or band.upper is None:
            notes.append(f"{metric} band not checked: {band.reason or 'no reference band'}")
