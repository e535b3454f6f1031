"""Model specs: which column plays which role, the task, and the reference window.

A spec is written by a person as a TOML file (see the README) and stored in the
database as JSON, so the store always knows the roles of its own columns.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from monitoring.errors import SpecError

Task = Literal["binary", "multiclass", "regression"]
TASKS: tuple[str, ...] = ("binary", "multiclass", "regression")
# A binary model's positive class when its spec names none.
DEFAULT_POSITIVE_LABEL = "1"
ColumnKind = Literal["timestamp", "numeric", "categorical", "prediction", "score", "target", "id"]


@dataclass(frozen=True)
class ReferenceWindow:
    """The reference period ``[start, end)``, in the timestamp column's (naive) time."""

    start: dt.datetime
    end: dt.datetime

    def label(self) -> str:
        """Human-readable bounds (see :func:`span_label`)."""
        return span_label(self.start, self.end)


def span_label(start: dt.datetime, end: dt.datetime) -> str:
    """A half-open window for people: whole days show their last day
    (``2013-01-01 → 2013-02-28``), other bounds their times."""
    if start.time() == end.time() == dt.time():
        return f"{_short(start)} → {_short(end - dt.timedelta(days=1))}"
    return f"{_short(start)} → {_short(end)}"


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


@dataclass(frozen=True)
class ModelSpec:
    """What Driftwatch knows about one monitored model.

    Categorical features, predictions and targets of classifiers are stored as
    text; numeric features, scores and regression predictions/targets as
    DOUBLE; the timestamp as a naive TIMESTAMP.
    """

    name: str
    task: Task
    timestamp: str
    prediction: str
    reference: ReferenceWindow
    numeric_features: tuple[str, ...] = ()
    categorical_features: tuple[str, ...] = ()
    scores: tuple[str, ...] = ()
    target: str | None = None
    id: str | None = None
    positive_label: str | None = None
    description: str = ""
    alerts: AlertRules = AlertRules()
    baseline: str = "whole"

    def __post_init__(self) -> None:
        _check(self)

    @property
    def features(self) -> tuple[str, ...]:
        """All feature columns, numeric first."""
        return self.numeric_features + self.categorical_features

    def columns(self) -> dict[str, ColumnKind]:
        """Every column of the model's table with its role, in table order."""
        roles: dict[str, ColumnKind] = {self.timestamp: "timestamp"}
        if self.id:
            roles[self.id] = "id"
        roles.update({c: "numeric" for c in self.numeric_features})
        roles.update({c: "categorical" for c in self.categorical_features})
        roles[self.prediction] = "prediction"
        roles.update({c: "score" for c in self.scores})
        if self.target:
            roles[self.target] = "target"
        return roles

    def sql_type(self, column: str) -> str:
        """The DuckDB type a column is stored as."""
        role = self.columns()[column]
        if role == "timestamp":
            return "TIMESTAMP"
        if role in ("numeric", "score"):
            return "DOUBLE"
        if role in ("prediction", "target") and self.task == "regression":
            return "DOUBLE"
        return "VARCHAR"

    def roles_table(self) -> pd.DataFrame:
        """One row per column: its name, role and stored type."""
        return pd.DataFrame(
            [(c, role, self.sql_type(c)) for c, role in self.columns().items()],
            columns=["column", "role", "stored as"],
        )

    def same_columns(self, other: ModelSpec) -> bool:
        """True when both specs give every column the same role and type."""
        return self.task == other.task and self.columns() == other.columns()

    def to_json(self) -> str:
        """Serialise for the store's metadata table."""
        data = asdict(self)
        data["reference"] = {k: v.isoformat() for k, v in asdict(self.reference).items()}
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelSpec:
        """Inverse of :meth:`to_json`."""
        data: dict[str, Any] = json.loads(text)
        ref = data.pop("reference")
        alerts = data.pop("alerts", {})
        fields: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data.items()
        }
        reference = ReferenceWindow(
            dt.datetime.fromisoformat(ref["start"]), dt.datetime.fromisoformat(ref["end"])
        )
        rules = AlertRules(
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
        return cls(reference=reference, alerts=rules, **fields)


def load_spec(path: str | Path) -> ModelSpec:
    """Read a spec from a TOML file; a malformed one raises :class:`SpecError` naming it."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SpecError(f"{path}: spec file not found") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return spec_from_dict(raw)
    except SpecError as exc:
        raise SpecError(f"{path}: {exc}") from exc


def spec_from_dict(raw: dict[str, Any]) -> ModelSpec:
    """Build a spec from the TOML layout documented in the README."""
    known = {
        "name",
        "task",
        "description",
        "timestamp",
        "id",
        "prediction",
        "scores",
        "target",
        "positive_label",
        "features",
        "reference",
        "alerts",
        "baseline",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SpecError(f"unknown key(s) {unknown}; valid keys are {sorted(known)}")
    for key in ("name", "task", "timestamp", "prediction", "reference"):
        if key not in raw:
            raise SpecError(f"missing required key '{key}'")
    features = raw.get("features", {})
    if not isinstance(features, dict) or set(features) - {"numeric", "categorical"}:
        raise SpecError("[features] must be a table with 'numeric' and/or 'categorical' lists")
    reference = raw["reference"]
    if not isinstance(reference, dict) or set(reference) != {"start", "end"}:
        raise SpecError("[reference] must have exactly 'start' and 'end'")
    positive = raw.get("positive_label")
    return ModelSpec(
        name=_text(raw["name"], "name"),
        task=raw["task"],
        description=str(raw.get("description", "")),
        timestamp=_text(raw["timestamp"], "timestamp"),
        id=_text(raw["id"], "id") if raw.get("id") is not None else None,
        prediction=_text(raw["prediction"], "prediction"),
        scores=_names(raw.get("scores", []), "scores"),
        target=_text(raw["target"], "target") if raw.get("target") is not None else None,
        positive_label=None if positive is None else str(positive),
        numeric_features=_names(features.get("numeric", []), "features.numeric"),
        categorical_features=_names(features.get("categorical", []), "features.categorical"),
        reference=ReferenceWindow(
            _moment(reference["start"], "reference.start"),
            _moment(reference["end"], "reference.end"),
        ),
        alerts=_alerts(raw.get("alerts", {})),
        baseline=str(raw.get("baseline", "whole")),
    )


ALERT_KEYS = ("drifted_share", "features", "min_metrics", "max_metrics", "band_metrics",
              "quality", "severity", "for", "repeat_hours", "rule")  # fmt: skip
RULE_KEYS = ("name", "signal", "severity", "for", "features", "share", "quality", "metric",
             "min", "max", "band", "min_rows")  # fmt: skip


def _alerts(raw: Any) -> AlertRules:
    if not isinstance(raw, dict) or set(raw) - set(ALERT_KEYS):
        raise SpecError(f"[alerts] must be a table with keys among {sorted(ALERT_KEYS)}")
    share = raw.get("drifted_share")
    if share is not None and not _is_number(share):
        raise SpecError(f"'alerts.drifted_share' must be a number, got {share!r}")
    repeat = raw.get("repeat_hours", DEFAULT_REPEAT_HOURS)
    if not _is_number(repeat) or repeat < 0:
        raise SpecError(f"'alerts.repeat_hours' must be a number ≥ 0, got {repeat!r}")
    named = raw.get("rule", [])
    if not isinstance(named, list) or not all(isinstance(r, dict) for r in named):
        raise SpecError("alert rules are tables: write each as [[alerts.rule]]")
    return AlertRules(
        drifted_share=None if share is None else float(share),
        features=_names(raw.get("features", []), "alerts.features"),
        min_metrics=_bounds(raw.get("min_metrics", {}), "alerts.min_metrics"),
        max_metrics=_bounds(raw.get("max_metrics", {}), "alerts.max_metrics"),
        band_metrics=_names(raw.get("band_metrics", []), "alerts.band_metrics"),
        quality=_names(raw.get("quality", []), "alerts.quality"),
        severity=str(raw.get("severity", "warning")),
        for_windows=_windows(raw.get("for", 1), "alerts.for"),
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
    name = _text(raw["name"], f"{where} name")
    where = f"alert rule {name!r}"
    signal = raw["signal"]
    if signal not in SIGNALS:
        raise SpecError(f"{where}: signal {signal!r} is not one of {list(SIGNALS)}")
    share = raw.get("share")
    if share is not None and not _is_number(share):
        raise SpecError(f"{where}: share must be a number, got {share!r}")
    metric = raw.get("metric")
    bounds: dict[str, tuple[tuple[str, float], ...]] = {"min": (), "max": ()}
    for side in bounds:
        value = raw.get(side)
        if value is not None:
            if not _is_number(value):
                raise SpecError(f"{where}: {side} must be a number, got {value!r}")
            bounds[side] = ((_text(metric, f"{where} metric"), float(value)),)
    band = raw.get("band", False)
    if not isinstance(band, bool):
        raise SpecError(f"{where}: band must be true or false, got {band!r}")
    min_rows = raw.get("min_rows")
    return AlertRule(
        name=name,
        signal=signal,
        severity=str(raw.get("severity", "warning")),
        for_windows=_windows(raw.get("for", 1), f"{where} for"),
        features=_names(raw.get("features", []), f"{where} features"),
        share=None if share is None else float(share),
        quality=_names(raw.get("quality", []), f"{where} quality"),
        min_bounds=bounds["min"],
        max_bounds=bounds["max"],
        band_metrics=(_text(metric, f"{where} metric"),) if band else (),
        min_rows=None if min_rows is None else _windows(min_rows, f"{where} min_rows"),
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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _windows(value: Any, key: str) -> int:
    """A whole number ≥ 1 (a persistence in windows, a row count)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SpecError(f"'{key}' must be a whole number ≥ 1, got {value!r}")
    return value


def _bounds(raw: Any, key: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(raw, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in raw.values()
    ):
        raise SpecError(f"[{key}] must map metric names to numbers, e.g. f1 = 0.4")
    return tuple((str(k), float(v)) for k, v in raw.items())


def _check(spec: ModelSpec) -> None:
    if spec.task not in TASKS:
        raise SpecError(f"task '{spec.task}' is not one of {list(TASKS)}")
    if not spec.name.strip():
        raise SpecError("name must not be empty")
    if not spec.features:
        raise SpecError("a model needs at least one feature in [features]")
    named = [spec.timestamp, spec.prediction, *spec.features, *spec.scores]
    named += [c for c in (spec.target, spec.id) if c]
    repeated = sorted({c for c in named if named.count(c) > 1})
    if repeated:
        raise SpecError(f"column(s) {repeated} have more than one role")
    if any(c.startswith("_dw_") for c in named):
        raise SpecError("column names starting with '_dw_' are reserved for Driftwatch")
    if spec.reference.start >= spec.reference.end:
        raise SpecError(
            f"reference start {spec.reference.start} is not before its end {spec.reference.end}"
        )
    if spec.task == "regression" and spec.scores:
        raise SpecError("a regression model has no score columns")
    if spec.task == "binary" and len(spec.scores) > 1:
        raise SpecError("a binary model has at most one score column: P(positive_label)")
    if spec.positive_label is not None and spec.task != "binary":
        raise SpecError("positive_label is only for binary models")
    _check_alerts(spec)
    _check_baseline(spec)


def _check_baseline(spec: ModelSpec) -> None:
    # The same words as monitoring.drift.config.Baseline, which the schema must not import.
    if not re.fullmatch(r"whole|seasonal|rolling:[1-9][0-9]*", spec.baseline):
        raise SpecError(
            f"baseline {spec.baseline!r} is not 'whole', 'seasonal' or 'rolling:N' "
            "(the previous N windows)"
        )


def _check_alerts(spec: ModelSpec) -> None:
    rules = spec.alerts
    names = [r.name for r in rules.all_rules()]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SpecError(f"alert rule name(s) {twice} are used more than once")
    for rule in rules.all_rules():
        _check_rule(spec, rule)


def _check_rule(spec: ModelSpec, rule: AlertRule) -> None:
    # The short keys keep their old messages ("alerts.features ..."); named rules say their name.
    where = f"alerts.{rule.name}" if rule.name in ALERT_KEYS else f"alert rule {rule.name!r}"
    if rule.severity not in SEVERITIES:
        raise SpecError(f"{where}: severity {rule.severity!r} is not one of {list(SEVERITIES)}")
    if rule.signal not in SIGNALS:
        raise SpecError(f"{where}: signal {rule.signal!r} is not one of {list(SIGNALS)}")
    if rule.signal == "drifted_share" and not (rule.share is not None and 0 < rule.share <= 1):
        raise SpecError(f"{where} must be in (0, 1], got {rule.share}")
    unknown = [f for f in rule.features if f not in spec.features]
    if unknown:
        raise SpecError(f"{where} {unknown} are not features of the model")
    odd = [q for q in rule.quality if q not in QUALITY_SIGNALS]
    if odd:
        raise SpecError(
            f"{where} {odd} are not data-quality signals; valid ones are {list(QUALITY_SIGNALS)}"
        )
    if rule.signal == "quality" and not rule.quality:
        raise SpecError(f"{where}: name the data-quality signals it watches in quality = [...]")
    valid = REGRESSION_METRICS if spec.task == "regression" else CLASSIFICATION_METRICS
    wrong = [m for m in rule.metrics if m not in valid]
    if wrong:
        raise SpecError(
            f"alert metric(s) {wrong} do not apply to a {spec.task} model; "
            f"valid metrics are {list(valid)}"
        )
    if rule.signal == "metric" and not rule.metrics:
        raise SpecError(f"{where}: a metric rule needs metric = ... with min, max or band = true")


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise SpecError(f"'{key}' must be a non-empty string, got {value!r}")
    return value


def _names(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise SpecError(f"'{key}' must be a list of column names, got {value!r}")
    return tuple(_text(v, key) for v in value)


def _moment(value: Any, key: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else _to_naive_utc(value)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return _moment(dt.datetime.fromisoformat(value), key)
        except ValueError as exc:
            raise SpecError(f"'{key}' = {value!r} is not an ISO date or date-time") from exc
    raise SpecError(f"'{key}' must be a date or date-time, got {value!r}")


def _to_naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _short(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d" if moment.time() == dt.time() else "%Y-%m-%d %H:%M")
