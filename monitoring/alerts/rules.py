"""The spec's alert rules on the newest complete windows of a timeline.

:func:`evaluate_alerts` takes each rule of a model's
:class:`~monitoring.alert_spec.AlertRules` (:meth:`~monitoring.alert_spec.AlertRules.all_rules`)
and asks, window by window from the newest complete one back, whether it
*held* (a :class:`Condition`). A rule *fires* when it held on its
``for_windows`` newest judged windows in a row; it is *pending* while the run
is shorter, *ok* when the newest judged window did not hold, and *unknown*
when no window could judge it (:class:`RuleOutcome`).

What each signal reads:

- ``drift``, ``drifted_share`` and ``quality``: the drift timeline's tested
  windows — a window with fewer rows than the timeline's ``min_rows``, a
  partial or an empty one cannot hold them;
- ``metric``: :func:`monitoring.performance.realized_performance` on the same
  windows, only where labels exist: a window whose labels are still pending,
  or a metric the window cannot define, cannot hold a metric rule (the check
  notes it instead); a band rule holds when the metric leaves its reference
  band on either side;
- ``no_data``: every complete window, empty and small ones included: it holds
  on a window without rows, with fewer than the rule's ``min_rows``, or below
  the usual volume of a window of its shape (the timeline's volume band).

Which alerts open, stay open or resolve is :mod:`monitoring.alerts.history`'s
business; telling someone is :mod:`monitoring.alerts.delivery`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from monitoring.alert_spec import AlertRule, AlertRules
from monitoring.errors import MonitoringError
from monitoring.performance.realized import WindowPerformance, realized_performance
from monitoring.store.connection import Store
from monitoring.store.windows import WindowPlan
from monitoring.timeline.report import Timeline, WindowDrift
from monitoring.timeutil import span_label

RuleState = Literal["firing", "pending", "ok", "unknown"]
QUALITY_WORDS = {
    "missing": "more missing values than usual",
    "unseen": "more categories the reference never saw than usual",
    "out_of_range": "more values outside the reference's range than usual",
}


@dataclass(frozen=True)
class Condition:
    """A rule on one window: whether it held (``None``: the window cannot say), why, and the
    measured values (JSON-ready: numbers, text and lists of them)."""

    held: bool | None
    message: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleOutcome:
    """One rule over the newest complete windows.

    ``window`` is the newest window that judged the rule and ``first_window``
    the oldest of the run of windows on which it held (``None`` when it did not
    hold on the newest); ``streak`` is the length of that run. ``message`` and
    ``values`` are those of the newest judged window.
    """

    rule: AlertRule
    state: RuleState
    streak: int
    window: WindowDrift | None
    first_window: WindowDrift | None
    message: str
    values: dict[str, Any]


@dataclass(frozen=True)
class Breach:
    """One rule that fires: its name (``drifted_share``, ``features``, a named rule …) and why."""

    rule: str
    message: str


@dataclass(frozen=True)
class AlertCheck:
    """The rules checked on a timeline: each rule's outcome, and notes on rules that could not
    apply. ``window`` is the newest judged (tested) window, ``None`` when none was."""

    model: str
    window: WindowDrift | None
    rules: AlertRules
    outcomes: tuple[RuleOutcome, ...]
    notes: tuple[str, ...]

    @property
    def breaches(self) -> tuple[Breach, ...]:
        """The rules that fire, in spec order."""
        return tuple(Breach(o.rule.name, o.message) for o in self.outcomes if o.state == "firing")

    @property
    def breached(self) -> bool:
        """True when any rule fires."""
        return any(o.state == "firing" for o in self.outcomes)


Judge = Callable[[WindowDrift], Condition]


def evaluate_alerts(store: Store, timeline: Timeline, plan: WindowPlan) -> AlertCheck:
    """Check the model's alert rules on the newest complete windows of ``timeline``.

    ``plan`` is how the timeline's windows were cut; the metric rules use the
    same cut for their windows and the reference band.
    """
    rules = store.model(timeline.model).spec.alerts
    complete = [w for w in timeline.windows if w.status != "partial"]
    tested = [w for w in complete if w.status == "tested"]
    window = tested[-1] if tested else None
    notes: list[str] = []
    latest = timeline.latest()
    if window is None:
        notes.append(_nothing_tested(timeline))
    elif latest is not None and latest.status == "partial":
        notes.append(
            f"the newest window ({span_label(latest.start, latest.end)}, {latest.rows:,} rows) "
            "is partial and not judged; the rules are checked on the newest complete one"
        )
    performance = _Performance(store, timeline.model, plan, rules, tested, notes)
    # Empty and small windows have no volume band of their own: the newest tested one's serves.
    usual = tested[-1].volume_low if tested else None
    outcomes = []
    for rule in rules.all_rules():
        if rule.signal == "no_data":
            outcomes.append(rule_outcome(rule, complete, partial(_no_data, rule, usual=usual)))
        elif rule.signal == "metric":
            outcomes.append(rule_outcome(rule, tested, partial(performance.judge, rule)))
        else:
            outcomes.append(rule_outcome(rule, tested, _drift_judge(rule, timeline.min_rows)))
    notes += [o.message for o in outcomes if o.state == "unknown" and o.message]
    return AlertCheck(timeline.model, window, rules, tuple(outcomes), tuple(dict.fromkeys(notes)))


def rule_outcome(rule: AlertRule, windows: Sequence[WindowDrift], judge: Judge) -> RuleOutcome:
    """``rule`` over ``windows`` (oldest first), each judged by ``judge``.

    Walks back from the newest window until the run of windows on which the
    rule held is ``for_windows`` long, or a window did not hold. Windows that
    cannot judge the rule (``held is None``) are skipped while no window has
    judged it yet, and end a run once one has: a run is of consecutive judged
    windows.
    """
    newest: tuple[WindowDrift, Condition] | None = None
    first: WindowDrift | None = None
    streak = 0
    for w in reversed(windows):
        condition = judge(w)
        if condition.held is None:
            if newest is None:
                continue  # a window that cannot judge the rule: look further back
            break  # a run is consecutive judged windows
        if newest is None:
            newest = (w, condition)
        if not condition.held:
            break
        streak, first = streak + 1, w
        if streak >= rule.for_windows:
            break
    if newest is None:
        last = windows[-1] if windows else None
        message = judge(last).message if last is not None else ""
        return RuleOutcome(rule, "unknown", 0, None, None, message, {})
    window, condition = newest
    if not condition.held:
        state: RuleState = "ok"
    else:
        state = "firing" if streak >= rule.for_windows else "pending"
    return RuleOutcome(rule, state, streak, window, first, condition.message, condition.values)


def _drift_judge(rule: AlertRule, min_rows: int) -> Judge:
    def judge(window: WindowDrift) -> Condition:
        if rule.signal == "quality":
            return _quality(rule, window)
        if window.drifted_share is None:
            return Condition(None, "drift rules not checked: no feature of the window could be "
                             "tested")  # fmt: skip
        drifted = list(window.drifted_features)
        values: dict[str, Any] = {
            "drifted_features": drifted,
            "drifted_share": window.drifted_share,
            "tested": window.tested,
        }
        if rule.signal == "drifted_share":
            assert rule.share is not None  # the spec's check makes sure
            share = window.drifted_share
            message = (
                f"{share:.0%} of tested features drifted ({len(drifted)} of {window.tested}"
                f"{': ' + ', '.join(drifted) if drifted else ''}), the limit is {rule.share:.0%}"
            )
            return Condition(share >= rule.share, message, {**values, "limit": rule.share})
        watched = [f for f in drifted if not rule.features or f in rule.features]
        words = "watched feature(s)" if rule.features else "feature(s)"
        if watched:
            return Condition(True, f"{words} drifted: {', '.join(watched)}", values)
        return Condition(False, f"no {words.replace('(s)', '')} drifted", values)

    return judge


def _quality(rule: AlertRule, window: WindowDrift) -> Condition:
    """Data-quality signals beyond their usual range, as the rule names them."""
    beyond: dict[str, list[str]] = {}
    for c in window.cells:
        if not rule.features or c.feature in rule.features:
            for signal in c.beyond():
                beyond.setdefault(signal, []).append(c.feature)
    parts: list[str] = []
    values: dict[str, Any] = {}
    for signal in rule.quality:
        if signal == "volume":
            values["rows"] = window.rows
            if window.volume_beyond:
                parts.append(
                    f"{window.rows:,} rows, outside the usual {window.volume_low:,.0f} to "
                    f"{window.volume_high:,.0f} of a window of this shape"
                )
        elif beyond.get(signal):
            values[signal] = beyond[signal]
            parts.append(f"{QUALITY_WORDS[signal]}: {', '.join(beyond[signal])}")
    if parts:
        return Condition(True, "; ".join(parts), values)
    return Condition(False, "data quality within its usual range", values)


def _no_data(rule: AlertRule, window: WindowDrift, usual: float | None) -> Condition:
    """No rows, fewer than ``min_rows``, or fewer than the usual volume of such a window."""
    low = window.volume_low if window.volume_low is not None else usual
    values: dict[str, Any] = {"rows": window.rows, "usual_low": low}
    if window.rows == 0:
        return Condition(True, "no records in the window", values)
    if rule.min_rows is not None and window.rows < rule.min_rows:
        message = f"{window.rows:,} rows, fewer than the {rule.min_rows:,} the rule asks for"
        return Condition(True, message, values)
    if low is not None and window.rows < low:
        message = f"{window.rows:,} rows, fewer than the usual {low:,.0f} of a window of this shape"
        return Condition(True, message, values)
    return Condition(False, f"{window.rows:,} rows", values)


class _Performance:
    """Realized metrics of the windows metric rules may look at, computed once when asked."""

    def __init__(
        self,
        store: Store,
        model: str,
        plan: WindowPlan,
        rules: AlertRules,
        tested: Sequence[WindowDrift],
        notes: list[str],
    ) -> None:
        self._args = (store, model, plan, rules, tested)
        self._notes = notes
        self._windows: dict[tuple[Any, Any], WindowPerformance] | None = None
        self._bands: dict[str, Any] = {}
        self._problem = ""

    def _load(self) -> None:
        store, model, plan, rules, tested = self._args
        self._windows = {}
        # Only as many windows as the longest persistence needs, not the whole history.
        depth = max(r.for_windows for r in rules.all_rules() if r.signal == "metric")
        span = list(tested[-depth:])
        if not span:
            return
        try:
            result = realized_performance(
                store,
                model,
                plan.over(span[0].start, span[-1].end),
                metrics=rules.metrics,
                resamples=0,
            )
        except MonitoringError as exc:
            self._problem = f"metric rules not checked: {exc}"
            return
        self._windows = {(w.window.start, w.window.end): w for w in result.windows}
        self._bands = dict(result.bands)
        for metric in dict.fromkeys(m for r in rules.all_rules() for m in r.band_metrics):
            band = result.bands.get(metric)
            if band is not None and (band.lower is None or band.upper is None):
                self._notes.append(
                    f"{metric} band not checked: {band.reason or 'no reference band'}"
                )

    def judge(self, rule: AlertRule, window: WindowDrift) -> Condition:
        if self._windows is None:
            self._load()
        assert self._windows is not None
        if self._problem:
            return Condition(None, self._problem)
        found = self._windows.get((window.start, window.end))
        if found is None:
            return Condition(None, "metric rules not checked: no performance window")
        if found.status != "ok":
            return Condition(
                None,
                f"metric rules not checked: labels are {found.status} in this window, and a "
                f"window without labels cannot breach a metric rule",
            )
        parts: list[str] = []
        values: dict[str, Any] = {}
        judged = False
        for side, bounds in (("below", rule.min_bounds), ("above", rule.max_bounds)):
            for metric, bound in bounds:
                value = found.metrics[metric]
                if value.value is None:
                    self._notes.append(f"{metric} not checked: {value.reason or value.status}")
                    continue
                judged = True
                values[metric] = value.value
                beyond = value.value < bound if side == "below" else value.value > bound
                if beyond:
                    parts.append(f"{metric} {value.value:.4g} is {side} {bound:g}")
        for metric in rule.band_metrics:
            band = self._bands.get(metric)
            if band is None or band.lower is None or band.upper is None:
                continue
            judged = True
            if found.metrics[metric].value is not None:
                values[metric] = found.metrics[metric].value
            parts += [a.message() for a in found.alerts if a.metric == metric]
        if parts:
            return Condition(True, "; ".join(parts), values)
        if not judged:
            return Condition(None, "")
        return Condition(False, "metrics within their bounds", values)


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
