"""``python -m monitoring check``: exit codes, the JSON document and the webhook POST."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitoring import log_records
from monitoring.cli.check import add_check_command
from monitoring.store.alerts import list_alerts
from monitoring.store.check_runs import last_check
from monitoring.store.connection import Store
from tests.unit.alerts.receiver import Receiver, receiver
from tests.unit.timeline.timeline_data import alert_spec, records


def check(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_check_command(parser.add_subparsers())
    args = parser.parse_args(["check", *argv])
    return int(args.run(args))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "check.duckdb"
    spec = alert_spec(features=("age",))
    log_records(records("2024-01-01", 31), spec, db=path)
    log_records(records("2024-02-01", 14, age_shift=1.0, seed=2), spec, db=path)
    return path


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def test_breach_exits_3_and_posts_the_alert(db: Path, hook: Receiver, capsys) -> None:
    code = check("--db", str(db), "--model", "churn", "--period", "week", "--webhook", hook.url,
                 "--app-url", "http://dw:8501")  # fmt: skip
    assert code == 3
    out = capsys.readouterr().out
    assert "BREACH" in out and "alert opened: [warning] features" in out
    (post,) = hook.received
    assert post["path"] == "/alerts" and post["type"] == "application/json"
    body = post["body"]
    assert body["version"] == 2 and body["event"] == "open" and body["state"] == "firing"
    assert body["model"] == "churn" and body["rule"] == "features"
    assert body["message"] == "watched feature(s) drifted: age"
    assert body["values"]["drifted_features"] == ["age"]
    # The week of 12 February is still filling: the newest complete week is checked.
    assert body["window"]["start"].startswith("2024-02-05")
    assert body["link"].startswith("http://dw:8501/timeline?model=churn&from=2024-02-05")
    (alert,) = list_alerts(Store(db))
    assert alert.id == body["id"] and alert.state == "firing" and alert.last_notified
    run = last_check(Store(db), "churn")
    assert run is not None and run.exit_code == 3 and run.outcome == "firing" and run.firing == 1
    assert run.window_start is not None and run.window_start.isoformat() == "2024-02-05T00:00:00"


def test_json_document(db: Path, capsys) -> None:
    assert check("--db", str(db), "--model", "churn", "--period", "week", "--json") == 3
    document = json.loads(capsys.readouterr().out)
    assert set(document) >= {"model", "breached", "window", "breaches", "link", "timeline"}
    assert document["webhook"] is None
    assert [a["rule"] for a in document["alerts"]] == ["features"]
    assert document["notifications"] == [
        {"id": document["alerts"][0]["id"], "rule": "features", "event": "open",
         "silenced": False, "delivered": False, "attempts": 0}
    ]  # fmt: skip
    assert document["timeline"]["windows"] == 7 and document["timeline"]["computed"] == 7
    assert len(document["timeline"]["latest"]) == 3
    assert check("--db", str(db), "--model", "churn", "--period", "week", "--json") == 3
    assert json.loads(capsys.readouterr().out)["timeline"]["computed"] == 0


def test_no_breach_exits_0_and_posts_nothing(tmp_path: Path, hook: Receiver) -> None:
    url = hook.url
    calm = tmp_path / "calm.duckdb"
    spec = alert_spec(features=("age",))
    log_records(records("2024-01-01", 31), spec, db=calm)
    log_records(records("2024-02-01", 14, seed=2), spec, db=calm)
    assert check("--db", str(calm), "--model", "churn", "--period", "week", "--webhook", url) == 0
    assert hook.received == []
    assert list_alerts(Store(calm)) == []


def test_nothing_tested_exits_5_and_says_why(tmp_path: Path, capsys) -> None:
    sparse = tmp_path / "sparse.duckdb"
    spec = alert_spec(features=("age",))
    log_records(records("2024-01-01", 31), spec, db=sparse)
    log_records(records("2024-02-05", 14, per_day=1, seed=2), spec, db=sparse)  # 7 rows a week
    args = ("--db", str(sparse), "--model", "churn", "--period", "week", "--since", "2024-02-05")
    assert check(*args) == 5
    run = last_check(Store(sparse), "churn")
    assert run is not None and run.outcome == "untested" and run.window_start is None
    out = capsys.readouterr().out
    assert "nothing could be tested: " in out and "fewer than the 30 rows a test needs" in out
    assert check(*args, "--min-rows", "5") in (0, 3)  # a smaller minimum judges them


def test_a_quality_rule_breaches_on_missing_values(tmp_path: Path, capsys) -> None:
    path = tmp_path / "quality.duckdb"
    spec = alert_spec(quality=("missing",))
    log_records(records("2024-01-01", 31), spec, db=path)
    holes = records("2024-02-05", 7, seed=3)
    holes.loc[holes.index[::3], "income"] = None  # a third of the week's incomes are NULL
    log_records(holes, spec, db=path)
    args = ("--db", str(path), "--model", "churn", "--period", "week", "--json")
    assert check(*args) == 3
    document = json.loads(capsys.readouterr().out)
    assert document["breaches"] == [
        {"rule": "quality", "message": "more missing values than usual: income"}
    ]


def test_undelivered_webhook_exits_4(db: Path, hook: Receiver, capsys) -> None:
    hook.statuses = [500, 500]
    args = ("--db", str(db), "--model", "churn", "--period", "week", "--webhook", hook.url,
            "--retries", "2", "--backoff", "0")  # fmt: skip
    assert check(*args) == 4
    assert "webhook not delivered: HTTP 500" in capsys.readouterr().err
    assert len(hook.received) == 2  # the retry
    run = last_check(Store(db), "churn")
    assert run is not None and run.outcome == "undelivered" and run.exit_code == 4


def test_errors_exit_1(db: Path, tmp_path: Path, capsys) -> None:
    assert check("--db", str(db), "--model", "nope") == 1
    assert "no model named 'nope'" in capsys.readouterr().err
    assert last_check(Store(db), "nope") is None
    with pytest.raises(SystemExit):
        check("--db", str(db), "--model", "churn", "--since", "yesterday")
    with pytest.raises(SystemExit):
        check("--db", str(db), "--model", "churn", "--backoff", "-1")
