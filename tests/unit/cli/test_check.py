"""``python -m monitoring check``: exit codes, the JSON document and the webhook POST."""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from monitoring import log_records
from monitoring.cli.check import add_check_command
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


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(
            {"path": self.path, "type": self.headers["Content-Type"], "body": json.loads(body)}
        )
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[tuple[str, type[_Hook]]]:
    handler = type("Hook", (_Hook,), {"received": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alerts", handler
    finally:
        server.shutdown()
        server.server_close()


def test_breach_exits_3_and_posts_the_alert(db: Path, hook, capsys) -> None:
    url, handler = hook
    code = check("--db", str(db), "--model", "churn", "--period", "week", "--webhook", url,
                 "--app-url", "http://dw:8501")  # fmt: skip
    assert code == 3
    assert "BREACH" in capsys.readouterr().out
    (post,) = handler.received
    assert post["path"] == "/alerts" and post["type"] == "application/json"
    body = post["body"]
    assert body["model"] == "churn" and body["breached"] is True
    assert body["breaches"] == [{"rule": "features", "message": "watched feature(s) drifted: age"}]
    # The week of 12 February is still filling: the newest complete week is checked.
    assert body["window"]["start"].startswith("2024-02-05")
    assert body["link"].startswith("http://dw:8501/timeline?model=churn&from=2024-02-05")


def test_json_document(db: Path, capsys) -> None:
    assert check("--db", str(db), "--model", "churn", "--period", "week", "--json") == 3
    document = json.loads(capsys.readouterr().out)
    assert set(document) >= {"model", "breached", "window", "breaches", "link", "timeline"}
    assert document["webhook"] is None
    assert document["timeline"]["windows"] == 7 and document["timeline"]["computed"] == 7
    assert len(document["timeline"]["latest"]) == 3
    assert check("--db", str(db), "--model", "churn", "--period", "week", "--json") == 3
    assert json.loads(capsys.readouterr().out)["timeline"]["computed"] == 0


def test_no_breach_exits_0_and_posts_nothing(tmp_path: Path, hook) -> None:
    url, handler = hook
    calm = tmp_path / "calm.duckdb"
    spec = alert_spec(features=("age",))
    log_records(records("2024-01-01", 31), spec, db=calm)
    log_records(records("2024-02-01", 14, seed=2), spec, db=calm)
    assert check("--db", str(calm), "--model", "churn", "--period", "week", "--webhook", url) == 0
    assert handler.received == []


def test_nothing_tested_exits_5_and_says_why(tmp_path: Path, capsys) -> None:
    sparse = tmp_path / "sparse.duckdb"
    spec = alert_spec(features=("age",))
    log_records(records("2024-01-01", 31), spec, db=sparse)
    log_records(records("2024-02-05", 14, per_day=1, seed=2), spec, db=sparse)  # 7 rows a week
    args = ("--db", str(sparse), "--model", "churn", "--period", "week", "--since", "2024-02-05")
    assert check(*args) == 5
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


def test_undelivered_webhook_exits_4(db: Path, hook, capsys) -> None:
    url, handler = hook
    handler.status = 500
    assert check("--db", str(db), "--model", "churn", "--period", "week", "--webhook", url) == 4
    assert "webhook not delivered: HTTP 500" in capsys.readouterr().err


def test_errors_exit_1(db: Path, tmp_path: Path, capsys) -> None:
    assert check("--db", str(db), "--model", "nope") == 1
    assert "no model named 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        check("--db", str(db), "--model", "churn", "--since", "yesterday")
