"""Model specs: which column plays which role, the task, and the reference window.

A spec is written by a person as a TOML file (see the README) and stored in the
database as JSON, so the store always knows the roles of its own columns.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from dataclasses import asdict, dataclass
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


@dataclass(frozen=True)
class AlertRules:
    """When a window counts as a breach for ``python -m monitoring check``.

    Any one rule that holds is a breach. ``drifted_share`` is a share of the
    tested features (0–1); ``features`` breach when any of them drifted;
    ``min_metrics`` / ``max_metrics`` are (metric, bound) pairs that breach when
    a realized metric falls below / rises above its bound; ``band_metrics``
    breach when the metric leaves its reference band; ``quality`` names
    data-quality signals (:data:`QUALITY_SIGNALS`) that breach when beyond
    their calibrated usual range.
    """

    drifted_share: float | None = None
    features: tuple[str, ...] = ()
    min_metrics: tuple[tuple[str, float], ...] = ()
    max_metrics: tuple[tuple[str, float], ...] = ()
    band_metrics: tuple[str, ...] = ()
    quality: tuple[str, ...] = ()

    @property
    def metrics(self) -> tuple[str, ...]:
        """Every metric some rule looks at."""
        named = [m for m, _ in self.min_metrics + self.max_metrics] + list(self.band_metrics)
        return tuple(dict.fromkeys(named))


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
            min_metrics=tuple((m, float(v)) for m, v in alerts.get("min_metrics", ())),
            max_metrics=tuple((m, float(v)) for m, v in alerts.get("max_metrics", ())),
            band_metrics=tuple(alerts.get("band_metrics", ())),
            quality=tuple(alerts.get("quality", ())),
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


def _alerts(raw: Any) -> AlertRules:
    known = {"drifted_share", "features", "min_metrics", "max_metrics", "band_metrics", "quality"}
    if not isinstance(raw, dict) or set(raw) - known:
        raise SpecError(f"[alerts] must be a table with keys among {sorted(known)}")
    share = raw.get("drifted_share")
    if share is not None and (isinstance(share, bool) or not isinstance(share, int | float)):
        raise SpecError(f"'alerts.drifted_share' must be a number, got {share!r}")
    return AlertRules(
        drifted_share=None if share is None else float(share),
        features=_names(raw.get("features", []), "alerts.features"),
        min_metrics=_bounds(raw.get("min_metrics", {}), "alerts.min_metrics"),
        max_metrics=_bounds(raw.get("max_metrics", {}), "alerts.max_metrics"),
        band_metrics=_names(raw.get("band_metrics", []), "alerts.band_metrics"),
        quality=_names(raw.get("quality", []), "alerts.quality"),
    )


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
    if rules.drifted_share is not None and not 0 < rules.drifted_share <= 1:
        raise SpecError(f"alerts.drifted_share must be in (0, 1], got {rules.drifted_share}")
    unknown = [f for f in rules.features if f not in spec.features]
    if unknown:
        raise SpecError(f"alerts.features {unknown} are not features of the model")
    odd = [q for q in rules.quality if q not in QUALITY_SIGNALS]
    if odd:
        raise SpecError(
            f"alerts.quality {odd} are not data-quality signals; valid ones are "
            f"{list(QUALITY_SIGNALS)}"
        )
    valid = REGRESSION_METRICS if spec.task == "regression" else CLASSIFICATION_METRICS
    wrong = [m for m in rules.metrics if m not in valid]
    if wrong:
        raise SpecError(
            f"alert metric(s) {wrong} do not apply to a {spec.task} model; "
            f"valid metrics are {list(valid)}"
        )


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
