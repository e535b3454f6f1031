"""A spec's ``[alerts]`` section: the alert rules, read from TOML or the stored JSON, and checked.

:class:`AlertRules` holds the short keys of the first releases and the named
``[[alerts.rule]]`` tables as :class:`AlertRule`; what each signal means is in
``docs/alerts.md``. The model spec (:mod:`monitoring.schema`) calls
:func:`alerts_from_toml`, :func:`alerts_from_json` and :func:`check_alerts`;
this module must not import it (the spec holds its rules).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from monitoring.errors import SpecError
from monitoring.spec_values import is_number, read_names, read_text, read_whole_number

QUALITY_SIGNALS = ("missing", "out_of_range", "unseen", "volume")
CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier")
REGRESSION_METRICS = ("mae", "rmse", "mape", "r2")


SEVERITIES = ("warning", "critical")
# What an alert rule watches (docs/alerts.md): drift of named features (any feature when none are
# named), the share of drifted features, data-quality signals, a metric's bounds or band, and
# windows with no rows or far fewer than usual.
SIGNALS = ("drift", "drifted_share", "quality", "metric", "no_data")
DEFAULT_REPEAT_HOURS = 24.0


@dataclass(frozen=True)
class AlertRule:
    """One named alert rule: a signal, its parameters, a severity and a persistence.

    The rule *holds* on a window when its signal does (see ``docs/alerts.md``)
    and *fires* once it has held on ``for_windows`` consecutive judged windows.
    Which parameters apply depends on ``signal``: ``features`` (``drift``: the
    watched features, empty for any; ``quality``: only these features),
    ``share`` (``drifted_share``, 0–1), ``quality`` (the data-quality signals
    of :data:`QUALITY_SIGNALS`), ``min_bounds`` / ``max_bounds`` /
    ``band_metrics`` (``metric``), ``min_rows`` (``no_data``: fewer rows than
    this hold, besides an empty window or one below its usual volume).
    """

    name: str
    signal: str
    severity: str = "warning"
    for_windows: int = 1
    features: tuple[str, ...] = ()
    share: float | None = None
    quality: tuple[str, ...] = ()
    min_bounds: tuple[tuple[str, float], ...] = ()
    max_bounds: tuple[tuple[str, float], ...] = ()
    band_metrics: tuple[str, ...] = ()
    min_rows: int | None = None

    @property
    def metrics(self) -> tuple[str, ...]:
        """Every metric this rule looks at."""
        named = [m for m, _ in self.min_bounds + self.max_bounds] + list(self.band_metrics)
        return tuple(dict.fromkeys(named))


@dataclass(frozen=True)
class AlertRules:
    """When a window raises an alert for ``python -m monitoring check``.

    The short keys of the first releases stay: ``drifted_share`` is a share of
    the tested features (0–1); ``features`` hold when any of them drifted;
    ``min_metrics`` / ``max_metrics`` are (metric, bound) pairs that hold when
    a realized metric falls below / rises above its bound; ``band_metrics``
    hold when the metric leaves its reference band; ``quality`` names
    data-quality signals (:data:`QUALITY_SIGNALS`) that hold when beyond
    their calibrated usual range. Each short key is one rule named after it,
    with ``severity`` and ``for_windows``. ``rules`` are the named rules of
    ``[[alerts.rule]]``; ``repeat_hours`` is how long a firing alert waits
    before it is sent again (0: never again).
    """

    drifted_share: float | None = None
    features: tuple[str, ...] = ()
    min_metrics: tuple[tuple[str, float], ...] = ()
    max_metrics: tuple[tuple[str, float], ...] = ()
    band_metrics: tuple[str, ...] = ()
    quality: tuple[str, ...] = ()
    severity: str = "warning"
    for_windows: int = 1
    repeat_hours: float = DEFAULT_REPEAT_HOURS
    rules: tuple[AlertRule, ...] = ()

    @property
    def metrics(self) -> tuple[str, ...]:
        """Every metric some rule looks at."""
        named = [m for r in self.all_rules() for m in r.metrics]
        return tuple(dict.fromkeys(named))

    def all_rules(self) -> tuple[AlertRule, ...]:
        """The short keys as rules named after them, then the named rules."""
        short: list[AlertRule] = []
        if self.drifted_share is not None:
            short.append(AlertRule("drifted_share", "drifted_share", share=self.drifted_share))
        if self.features:
            short.append(AlertRule("features", "drift", features=self.features))
        if self.min_metrics:
            short.append(AlertRule("min_metrics", "metric", min_bounds=self.min_metrics))
        if self.max_metrics:
            short.append(AlertRule("max_metrics", "metric", max_bounds=self.max_metrics))
        if self.band_metrics:
            short.append(AlertRule("band_metrics", "metric", band_metrics=self.band_metrics))
        if self.quality:
            short.append(AlertRule("quality", "quality", quality=self.quality))
        common = {"severity": self.severity, "for_windows": self.for_windows}
        short = [replace(r, **common) for r in short]  # type: ignore[arg-type]
        return (*short, *self.rules)


ALERT_KEYS = ("drifted_share", "features", "min_metrics", "max_metrics", "band_metrics",
              "quality", "severity", "for", "repeat_hours", "rule")  # fmt: skip
RULE_KEYS = ("name", "signal", "severity", "for", "features", "share", "quality", "metric",
             "min", "max", "band", "min_rows")  # fmt: skip


def alerts_from_toml(raw: Any) -> AlertRules:
    """The ``[alerts]`` table of a TOML spec; a malformed one raises :class:`SpecError`."""
    if not isinstance(raw, dict) or set(raw) - set(ALERT_KEYS):
        raise SpecError(f"[alerts] must be a table with keys among {sorted(ALERT_KEYS)}")
    share = raw.get("drifted_share")
    if share is not None and not is_number(share):
        raise SpecError(f"'alerts.drifted_share' must be a number, got {share!r}")
    repeat = raw.get("repeat_hours", DEFAULT_REPEAT_HOURS)
    if not is_number(repeat) or repeat < 0:
        raise SpecError(f"'alerts.repeat_hours' must be a number ≥ 0, got {repeat!r}")
    named = raw.get("rule", [])
    if not isinstance(named, list) or not all(isinstance(r, dict) for r in named):
        raise SpecError("alert rules are tables: write each as [[alerts.rule]]")
    return AlertRules(
        drifted_share=None if share is None else float(share),
        features=read_names(raw.get("features", []), "alerts.features"),
        min_metrics=_bounds(raw.get("min_metrics", {}), "alerts.min_metrics"),
        max_metrics=_bounds(raw.get("max_metrics", {}), "alerts.max_metrics"),
        band_metrics=read_names(raw.get("band_metrics", []), "alerts.band_metrics"),
        quality=read_names(raw.get("quality", []), "alerts.quality"),
        severity=str(raw.get("severity", "warning")),
        for_windows=read_whole_number(raw.get("for", 1), "alerts.for"),
        repeat_hours=float(repeat),
        rules=tuple(_rule(r, i) for i, r in enumerate(named, start=1)),
    )


def _rule(raw: dict[str, Any], number: int) -> AlertRule:
    """One ``[[alerts.rule]]`` table (``number`` counts from 1, for the messages)."""
    where = f"[[alerts.rule]] #{number}"
    unknown = sorted(set(raw) - set(RULE_KEYS))
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {unknown}; valid keys are {list(RULE_KEYS)}")
    for key in ("name", "signal"):
        if key not in raw:
            raise SpecError(f"{where}: missing required key '{key}'")
    name = read_text(raw["name"], f"{where} name")
    where = f"alert rule {name!r}"
    signal = raw["signal"]
    if signal not in SIGNALS:
        raise SpecError(f"{where}: signal {signal!r} is not one of {list(SIGNALS)}")
    share = raw.get("share")
    if share is not None and not is_number(share):
        raise SpecError(f"{where}: share must be a number, got {share!r}")
    metric = raw.get("metric")
    bounds: dict[str, tuple[tuple[str, float], ...]] = {"min": (), "max": ()}
    for side in bounds:
        value = raw.get(side)
        if value is not None:
            if not is_number(value):
                raise SpecError(f"{where}: {side} must be a number, got {value!r}")
            bounds[side] = ((read_text(metric, f"{where} metric"), float(value)),)
    band = raw.get("band", False)
    if not isinstance(band, bool):
        raise SpecError(f"{where}: band must be true or false, got {band!r}")
    min_rows = raw.get("min_rows")
    return AlertRule(
        name=name,
        signal=signal,
        severity=str(raw.get("severity", "warning")),
        for_windows=read_whole_number(raw.get("for", 1), f"{where} for"),
        features=read_names(raw.get("features", []), f"{where} features"),
        share=None if share is None else float(share),
        quality=read_names(raw.get("quality", []), f"{where} quality"),
        min_bounds=bounds["min"],
        max_bounds=bounds["max"],
        band_metrics=(read_text(metric, f"{where} metric"),) if band else (),
        min_rows=None if min_rows is None else read_whole_number(min_rows, f"{where} min_rows"),
    )


def _rule_from_json(data: dict[str, Any]) -> AlertRule:
    return AlertRule(
        name=data["name"],
        signal=data["signal"],
        severity=data.get("severity", "warning"),
        for_windows=int(data.get("for_windows", 1)),
        features=tuple(data.get("features", ())),
        share=data.get("share"),
        quality=tuple(data.get("quality", ())),
        min_bounds=_pairs(data.get("min_bounds", ())),
        max_bounds=_pairs(data.get("max_bounds", ())),
        band_metrics=tuple(data.get("band_metrics", ())),
        min_rows=data.get("min_rows"),
    )


def _pairs(raw: Any) -> tuple[tuple[str, float], ...]:
    return tuple((str(m), float(v)) for m, v in raw)


def _bounds(raw: Any, key: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(raw, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in raw.values()
    ):
        raise SpecError(f"[{key}] must map metric names to numbers, e.g. f1 = 0.4")
    return tuple((str(k), float(v)) for k, v in raw.items())


def alerts_from_json(alerts: dict[str, Any]) -> AlertRules:
    """The rules of a stored spec (its JSON, see ``ModelSpec.to_json``); older specs lack keys."""
    return AlertRules(
        drifted_share=alerts.get("drifted_share"),
        features=tuple(alerts.get("features", ())),
        min_metrics=_pairs(alerts.get("min_metrics", ())),
        max_metrics=_pairs(alerts.get("max_metrics", ())),
        band_metrics=tuple(alerts.get("band_metrics", ())),
        quality=tuple(alerts.get("quality", ())),
        severity=alerts.get("severity", "warning"),
        for_windows=int(alerts.get("for_windows", 1)),
        repeat_hours=float(alerts.get("repeat_hours", DEFAULT_REPEAT_HOURS)),
        rules=tuple(_rule_from_json(r) for r in alerts.get("rules", ())),
    )


def check_alerts(rules: AlertRules, task: str, features: tuple[str, ...]) -> None:
    """Check the rules against their model's task and features; raises :class:`SpecError`."""
    names = [r.name for r in rules.all_rules()]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SpecError(f"alert rule name(s) {twice} are used more than once")
    for rule in rules.all_rules():
        _check_rule(rule, task, features)


def _check_rule(rule: AlertRule, task: str, features: tuple[str, ...]) -> None:
    # The short keys keep their old messages ("alerts.features ..."); named rules say their name.
    where = f"alerts.{rule.name}" if rule.name in ALERT_KEYS else f"alert rule {rule.name!r}"
    if rule.severity not in SEVERITIES:
        raise SpecError(f"{where}: severity {rule.severity!r} is not one of {list(SEVERITIES)}")
    if rule.signal not in SIGNALS:
        raise SpecError(f"{where}: signal {rule.signal!r} is not one of {list(SIGNALS)}")
    if rule.signal == "drifted_share" and not (rule.share is not None and 0 < rule.share <= 1):
        raise SpecError(f"{where} must be in (0, 1], got {rule.share}")
    unknown = [f for f in rule.features if f not in features]
    if unknown:
        raise SpecError(f"{where} {unknown} are not features of the model")
    odd = [q for q in rule.quality if q not in QUALITY_SIGNALS]
    if odd:
        raise SpecError(
            f"{where} {odd} are not data-quality signals; valid ones are {list(QUALITY_SIGNALS)}"
        )
    if rule.signal == "quality" and not rule.quality:
        raise SpecError(f"{where}: name the data-quality signals it watches in quality = [...]")
    valid = REGRESSION_METRICS if task == "regression" else CLASSIFICATION_METRICS
    wrong = [m for m in rule.metrics if m not in valid]
    if wrong:
        raise SpecError(
            f"alert metric(s) {wrong} do not apply to a {task} model; "
            f"valid metrics are {list(valid)}"
        )
    if rule.signal == "metric" and not rule.metrics:
        raise SpecError(f"{where}: a metric rule needs metric = ... with min, max or band = true")
