"""``python -m monitoring timeline``: one line per window, or the stable JSON document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitoring import log_records
from monitoring.cli.main import main
from tests.unit.timeline.timeline_data import records, spec

ARGS = ["timeline", "--model", "churn", "--period", "week", "--since", "2024-02-05"]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """January reference, a calm first half of February, ``age`` shifted by 1 std after."""
    path = tmp_path / "t.duckdb"
    log_records(records("2024-01-01", 31), spec(), db=path)
    log_records(records("2024-02-01", 14, seed=1), spec(), db=path)
    log_records(records("2024-02-15", 14, age_shift=1.0, seed=2), spec(), db=path)
    return path


def _document(db: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    assert main([*ARGS, "--db", str(db), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out, parse_constant=_no_constants)


def _no_constants(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")


def test_every_window_with_its_status_verdict_and_features(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = _document(db, capsys)
    assert document["version"] == 1 and document["model"] == "churn"
    assert document["rule"] == "calibrated" and document["baseline"] == "whole"
    assert "resampled 7-day blocks" in document["calibration"]  # January holds 4 whole weeks
    windows = document["windows"]
    assert [w["start"][:10] for w in windows] == ["2024-02-05", "2024-02-12", "2024-02-19",
                                                  "2024-02-26"]  # fmt: skip
    assert [w["status"] for w in windows] == ["tested", "tested", "tested", "partial"]
    assert [w["drifted_features"] for w in windows[:3]] == [[], ["age"], ["age"]]
    assert document["counts"] == {"windows": 4, "tested": 3, "drifted": 2, "too_few": 0,
                                  "partial": 1, "empty": 0}  # fmt: skip
    age = windows[2]["features"]["age"]
    assert age["drifted"] is True and age["statistic"] > age["threshold"] > 0
    assert age["excess"] == pytest.approx(age["score"] / age["threshold"])
    assert 0 <= age["p_value"] < 1e-10
    assert {"missing", "missing_limit", "novel", "novel_limit", "quality", "beyond"} <= set(age)
    calm = windows[0]["features"]
    assert not any(f["drifted"] for f in calm.values())
    assert all(f["score"] <= f["threshold"] for f in calm.values())
    partial = windows[3]["features"].values()
    assert windows[3]["drifted"] is None and len(partial) == 3  # not judged
    assert all(f["status"] == "partial" and f["drifted"] is None for f in partial)
    assert document["ranking"][0]["feature"] == "age"


def test_the_table_says_how_each_window_was_judged(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*ARGS, "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "churn: 4 window(s) of one week, 3 judged, 2 drifted, 1 partial"
    assert lines[1].strip().startswith("calibrated on ")
    assert lines[2].endswith("no drift") and "DRIFT (age)" in lines[3]
    assert lines[5].endswith("partial")
    assert lines[6].startswith("ranking") and lines[7].startswith("  age: 2 window(s)")


def test_the_spec_baseline_is_the_default_and_the_option_overrides_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rolling.duckdb"
    log_records(records("2024-01-01", 56), spec(baseline="rolling:3"), db=path)
    assert _document(path, capsys)["baseline"] == "rolling:3"
    whole = _document(path, capsys, "--baseline", "whole")
    assert whole["baseline"] == "whole" and "whole reference" in whole["calibration"]


def test_the_fixed_rule_stays_available_by_name(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = _document(db, capsys, "--rule", "fixed")
    assert document["rule"] == "fixed"
    assert document["windows"][2]["drifted_features"] == ["age"]
    for window in document["windows"][:3]:  # p below the corrected level and effect ≥ 0.1
        for cell in window["features"].values():
            fixed = cell["p_value"] < window["p_level"] and cell["effect"] >= 0.1
            assert cell["drifted"] is fixed


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--baseline", "seasonal:3"], "valid baselines are 'whole', 'seasonal' and 'rolling:N'"),
        (["--baseline", "rolling:0"], "valid baselines"),
        (["--rows", "0"], "positive"),
    ],
)
def test_bad_options_name_the_problem(
    db: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    argv = ["timeline", "--db", str(db), "--model", "churn"]
    argv += extra if "--rows" in extra else ["--period", "week", *extra]
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2 and message in capsys.readouterr().err


def test_an_unknown_model_is_an_error_not_a_traceback(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["timeline", "--db", str(db), "--model", "nope", "--period", "week"])
    assert code != 0 and "nope" in capsys.readouterr().err
