"""Model specs: which column plays which role, the task, and the reference window.

A spec is written by a person as a TOML file (see the README) and stored in the
database as JSON, so the store always knows the roles of its own columns. Its
``[alerts]`` section is read and checked by :mod:`monitoring.alert_spec`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from monitoring.alert_spec import AlertRules, alerts_from_json, alerts_from_toml, check_alerts
from monitoring.errors import SpecError
from monitoring.spec_values import read_names, read_text

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
    alerts: AlertRules = field(default_factory=AlertRules)
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
        return cls(reference=reference, alerts=alerts_from_json(alerts), **fields)


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
        name=read_text(raw["name"], "name"),
        task=raw["task"],
        description=str(raw.get("description", "")),
        timestamp=read_text(raw["timestamp"], "timestamp"),
        id=read_text(raw["id"], "id") if raw.get("id") is not None else None,
        prediction=read_text(raw["prediction"], "prediction"),
        scores=read_names(raw.get("scores", []), "scores"),
        target=read_text(raw["target"], "target") if raw.get("target") is not None else None,
        positive_label=None if positive is None else str(positive),
        numeric_features=read_names(features.get("numeric", []), "features.numeric"),
        categorical_features=read_names(features.get("categorical", []), "features.categorical"),
        reference=ReferenceWindow(
            _moment(reference["start"], "reference.start"),
            _moment(reference["end"], "reference.end"),
        ),
        alerts=alerts_from_toml(raw.get("alerts", {})),
        baseline=str(raw.get("baseline", "whole")),
    )


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
    check_alerts(spec.alerts, spec.task, spec.features)
    _check_baseline(spec)


def _check_baseline(spec: ModelSpec) -> None:
    # The same words as monitoring.drift.config.Baseline, which the schema must not import.
    if not re.fullmatch(r"whole|seasonal|rolling:[1-9][0-9]*", spec.baseline):
        raise SpecError(
            f"baseline {spec.baseline!r} is not 'whole', 'seasonal' or 'rolling:N' "
            "(the previous N windows)"
        )


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
