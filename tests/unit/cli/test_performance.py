import argparse
import datetime as dt
import json
import shlex
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from monitoring import log_records
from monitoring.cli import performance as performance_cli
from monitoring.cli.performance import add_performance_command
from monitoring.errors import MonitoringError
from monitoring.store.connection import Store
from monitoring.store.windows import Window
from tests.conftest import tiny_spec
from tests.unit.performance.performance_data import binary_frame, regression_frame, regression_spec


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seven weeks of a binary model (week 6 inverted, week 7 unlabelled) and a regressor."""
    path = tmp_path_factory.mktemp("cli") / "test.duckdb"
    frame = binary_frame(days=49)
    bad = (frame.ts >= "2024-02-05") & (frame.ts < "2024-02-12")
    frame.loc[bad, "pred"] = 1 - frame.loc[bad, "pred"]
    frame.loc[frame.ts >= "2024-02-12", "label"] = None
    log_records(frame, tiny_spec(), db=path)
    log_records(regression_frame(days=49), regression_spec(), db=path)
    return path


Verdicts = Callable[..., Mapping[dt.datetime, bool | None]]


def no_verdicts(store: Store, model: str, windows: Sequence[Window]) -> dict[dt.datetime, bool]:
    return {}


def run(
    command: str,
    db: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch | None = None,
    covariate: Verdicts | None = None,
) -> str:
    """Run ``python -m monitoring performance <command> --db <db>``; return what it printed.

    ``covariate`` replaces the drift timeline's verdicts per window.
    """
    if covariate is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(performance_cli, "covariate_verdicts", covariate)
    parser = argparse.ArgumentParser(prog="python -m monitoring")
    add_performance_command(parser.add_subparsers(required=True))
    args = parser.parse_args(["performance", *shlex.split(command), "--db", str(db)])
    assert args.run(args) == 0
    return capsys.readouterr().out


def no_nan(text: str) -> None:
    raise AssertionError(f"{text} is not JSON")


def test_json_document(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = run(
        "--model churn --period week --json --resamples 50", db, capsys, monkeypatch, no_verdicts
    )
    doc = json.loads(out, parse_constant=no_nan)
    assert doc["version"] == 1 and doc["model"] == "churn" and doc["task"] == "binary"
    assert doc["period"] == "week" and doc["rows"] is None
    assert doc["metrics"] == [
        "accuracy",
        "precision",
        "recall",
        "f1",
        "roc_auc",
        "log_loss",
        "brier",
    ]
    assert doc["bootstrap"] == {"resamples": 50, "confidence": 0.95, "seed": 0}
    assert set(doc["bands"]["accuracy"]) >= {"mean", "std", "lower", "upper", "windows"}
    assert doc["estimation"]["metrics"] == ["accuracy", "precision", "recall", "f1", "roc_auc"]
    assert "no concept drift" in doc["estimation"]["assumption"]
    assert doc["error_test"]["detector"] == "FETDrift"
    error_test = doc["error_test"]
    assert (
        error_test["min_change"] >= 0.02 and error_test["min_change_measure"] == "error-rate change"
    )
    assert error_test["min_change_basis"].startswith(("calibrated on ", "fixed"))
    windows = doc["windows"]
    assert len(windows) == 7
    first, inverted, pending = windows[0], windows[5], windows[6]
    assert first["in_reference"] and first["label_coverage"] == 1.0
    value = first["metrics"]["accuracy"]
    assert value["lower"] <= value["value"] <= value["upper"] and value["alert"] is None
    assert inverted["metrics"]["accuracy"]["alert"] == "below"
    errors = inverted["error_drift"]
    assert errors["is_drift"] is True and errors["significant"] is True
    assert errors["p_value"] < 0.05 and errors["change"] >= 0.02  # both, not one
    assert pending["status"] == "pending" and pending["metrics"]["accuracy"]["value"] is None
    assert pending["estimated"]["accuracy"]["value"] is not None
    assert pending["error_drift"]["status"] == "pending"
    assert {w["diagnosis"] for w in windows} == {"unknown"}
    assert any(a["metric"] == "accuracy" and a["worse"] for a in doc["alerts"])


def test_table_marks_alerts_and_estimates(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run(
        "--model churn --metric accuracy --metric roc_auc --resamples 20",
        db,
        capsys,
    )
    lines = out.splitlines()
    assert lines[1].split() == [
        "window",
        "rows",
        "labelled",
        "accuracy",
        "roc_auc",
        "errors",
        "diagnosis",
    ]
    inverted = next(line for line in lines if line.startswith("2024-02-05"))
    assert "]!" in inverted and "drift (p<0.001)" in inverted
    pending = next(line for line in lines if line.startswith("2024-02-12"))
    assert "0%" in pending and "~0." in pending and "pending" in pending
    assert any("no concept drift" in line for line in lines)


def test_covariate_verdicts_give_diagnoses(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Sequence[Window]] = []

    def verdicts(store: Store, model: str, windows: Sequence[Window]) -> Mapping[dt.datetime, bool]:
        seen.append(windows)
        return {w.start: False for w in windows}

    out = run("--model churn --json --resamples 0", db, capsys, monkeypatch, verdicts)
    doc = json.loads(out)
    assert len(seen[0]) == 7
    by_start = {w["start"]: w for w in doc["windows"]}
    assert by_start["2024-02-05T00:00:00"]["diagnosis"] == "concept"
    assert by_start["2024-02-12T00:00:00"]["diagnosis"] == "unknown"
    assert by_start["2024-02-05T00:00:00"]["covariate_drift"] is False
    assert doc["notes"] == []


def test_rows_and_an_inclusive_until_day(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(
        run(
            "--model price --rows 100 --since 2024-01-08 --until 2024-01-14 --json --resamples 0",
            db,
            capsys,
        )
    )
    assert doc["rows"] == 100 and doc["period"] is None and doc["estimation"] is None
    assert [w["rows"] for w in doc["windows"]] == [100, 100, 80]
    assert doc["windows"][-1]["end"] == "2024-01-15T00:00:00"
    assert doc["error_test"]["detector"] == "KSDrift"
    error_test = doc["error_test"]
    assert error_test["min_change"] >= 0.1 and error_test["min_change_measure"] == "residual W/σ"
    assert doc["metrics"] == ["mae", "rmse", "mape", "r2"]


def test_usage_and_data_errors(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run("--model churn --period week --rows 5", db, capsys)
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        run("--model churn --since yesterday", db, capsys)
    with pytest.raises(MonitoringError, match="no model named 'nope'"):
        run("--model nope", db, capsys)


def test_default_hook_takes_verdicts_from_the_drift_timeline(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="python -m monitoring")
    add_performance_command(parser.add_subparsers(required=True))
    args = parser.parse_args(
        ["performance", "--model", "churn", "--json", "--resamples", "0", "--db", str(db)]
    )
    assert args.run(args) == 0
    doc = json.loads(capsys.readouterr().out, parse_constant=no_nan)
    assert not any("covariate" in note for note in doc["notes"])
    verdicts = [w["covariate_drift"] for w in doc["windows"]]
    assert all(isinstance(v, bool) for v in verdicts), verdicts
    labelled = [w for w in doc["windows"] if w["status"] == "ok"]
    assert all(w["diagnosis"] != "unknown" for w in labelled)


def test_a_classifier_is_reported_without_importing_alibi_detect(db: Path) -> None:
    """Counts are tested with scipy: the command spares itself Alibi Detect and PyTorch."""
    import subprocess
    import sys

    code = (
        "import sys; from monitoring.cli.main import main; "
        f"code = main(['performance', '--model', 'churn', '--json', '--db', {str(db)!r}]); "
        "print('IMPORTED', sorted(m for m in ('alibi_detect', 'torch') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "IMPORTED []"
