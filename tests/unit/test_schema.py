import datetime as dt
from pathlib import Path

import pytest

from monitoring.errors import SpecError
from monitoring.schema import ModelSpec, load_spec
from tests.conftest import REPO, tiny_spec

SPEC = """
name = "m"
task = "binary"
timestamp = "ts"
prediction = "pred"
scores = ["p"]
target = "y"
[features]
numeric = ["a"]
categorical = ["b"]
[reference]
start = 2024-01-01
end = 2024-02-01T12:00:00
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return path


def test_bundled_demo_specs_load() -> None:
    spec = load_spec(REPO / "data" / "specs" / "flight_delay_classifier.toml")
    assert spec.task == "binary"
    assert spec.reference.start == dt.datetime(2013, 1, 1)
    assert spec.reference.end == dt.datetime(2013, 3, 1)
    assert "carrier" in spec.categorical_features
    assert load_spec(REPO / "data" / "specs" / "arrival_delay_regressor.toml").task == "regression"


def test_spec_roles_and_types(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, SPEC))
    assert spec.columns() == {
        "ts": "timestamp",
        "a": "numeric",
        "b": "categorical",
        "pred": "prediction",
        "p": "score",
        "y": "target",
    }
    assert [spec.sql_type(c) for c in spec.columns()] == [
        "TIMESTAMP",
        "DOUBLE",
        "VARCHAR",
        "VARCHAR",
        "DOUBLE",
        "VARCHAR",
    ]
    assert spec.reference.end == dt.datetime(2024, 2, 1, 12)


def test_regression_targets_are_numbers() -> None:
    spec = tiny_spec(task="regression", scores=())
    assert spec.sql_type("label") == "DOUBLE"
    assert spec.sql_type("pred") == "DOUBLE"


def test_json_round_trip() -> None:
    spec = tiny_spec(id="row_id", description="x", baseline="rolling:4")
    assert ModelSpec.from_json(spec.to_json()) == spec


def test_the_baseline_is_read_and_defaults_to_the_whole_reference(tmp_path: Path) -> None:
    assert load_spec(write(tmp_path, SPEC)).baseline == "whole"
    seasonal = SPEC.replace("[features]", 'baseline = "seasonal"\n[features]')
    assert load_spec(write(tmp_path, seasonal)).baseline == "seasonal"
    # A spec stored before baselines existed reads back with the default.
    stored = tiny_spec().to_json().replace(', "baseline": "whole"', "")
    assert "baseline" not in stored and ModelSpec.from_json(stored).baseline == "whole"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('task = "binary"', 'task = "ranking"'), "task 'ranking' is not one of"),
        (('name = "m"\n', ""), "missing required key 'name'"),
        (('target = "y"', 'target = "a"'), "more than one role"),
        (("end = 2024-02-01T12:00:00", "end = 2023-12-01"), "is not before its end"),
        (("[features]", 'colour = "red"\n[features]'), "unknown key(s) ['colour']; valid keys are"),
        (('numeric = ["a"]', 'numeric = "a"'), "must be a list of column names"),
        (("start = 2024-01-01", 'start = "soon"'), "is not an ISO date"),
        (('scores = ["p"]', 'scores = ["p", "q"]'), "at most one score column"),
        (('numeric = ["a"]', 'numeric = ["_dw_a"]'), "reserved"),
        (("[features]", 'baseline = "monthly"\n[features]'), "baseline 'monthly' is not 'whole'"),
        (("[features]", 'baseline = "rolling:0"\n[features]'), "(the previous N windows)"),
    ],
)
def test_bad_specs_are_named(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = write(tmp_path, SPEC.replace(*change))
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(write(tmp_path, "name = "))
    with pytest.raises(SpecError, match="not found"):
        load_spec(tmp_path / "nope.toml")


def test_a_model_needs_features() -> None:
    with pytest.raises(SpecError, match="at least one feature"):
        tiny_spec(numeric_features=(), categorical_features=())


ALERTS = """
[alerts]
drifted_share = 0.3
features = ["a"]
band_metrics = ["f1"]
[alerts.min_metrics]
f1 = 0.4
roc_auc = 0.7
[alerts.max_metrics]
brier = 0.2
"""


def test_alert_rules_load_and_survive_the_store(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, SPEC + ALERTS))
    assert spec.alerts.drifted_share == 0.3
    assert spec.alerts.features == ("a",)
    assert spec.alerts.min_metrics == (("f1", 0.4), ("roc_auc", 0.7))
    assert spec.alerts.max_metrics == (("brier", 0.2),)
    assert spec.alerts.metrics == ("f1", "roc_auc", "brier")
    assert ModelSpec.from_json(spec.to_json()) == spec


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("drifted_share = 0.3", "drifted_share = 1.5"), "must be in (0, 1]"),
        (("drifted_share = 0.3", 'drifted_share = "lots"'), "must be a number"),
        (('features = ["a"]', 'features = ["zzz"]'), "alerts.features ['zzz'] are not features"),
        (("f1 = 0.4", "mae = 3"), "alert metric(s) ['mae'] do not apply to a binary model"),
        (("f1 = 0.4", 'f1 = "high"'), "must map metric names to numbers"),
        (("band_metrics", "colour = 1\nband_metrics"), "[alerts] must be a table with keys"),
    ],
)
def test_bad_alert_rules_are_named(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(SpecError) as err:
        load_spec(write(tmp_path, SPEC + ALERTS.replace(*change)))
    assert message in str(err.value)
