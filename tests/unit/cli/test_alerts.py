"""``alerts``, ``silence``, ``unsilence`` and ``silences`` over a small stored history."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from monitoring import log_records
from monitoring.alert_spec import AlertRules
from monitoring.cli.main import main
from monitoring.store import audit
from monitoring.store.alerts import AlertRecord, save_alerts
from monitoring.store.connection import Store
from monitoring.store.silences import silences
from tests.conftest import tiny_records, tiny_spec

SEEN = dt.datetime(2024, 3, 4, 6, 0)


def alert(id: str, model: str = "churn", rule: str = "features", **changes: object) -> AlertRecord:
    fields: dict[str, object] = {
        "id": id,
        "model": model,
        "rule": rule,
        "severity": "warning",
        "state": "firing",
        "message": "watched feature(s) drifted: age",
        "values": {"drifted_features": ["age"]},
        "window_start": dt.datetime(2024, 2, 26),
        "window_end": dt.datetime(2024, 3, 4),
        "first_window_start": dt.datetime(2024, 2, 19),
        "link": "timeline?model=churn&from=2024-02-26&to=2024-03-03&period=week",
        "first_seen": SEEN,
        "last_seen": SEEN,
    }
    fields.update(changes)
    return AlertRecord(**fields)  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "alerts.duckdb"
    spec = tiny_spec(alerts=AlertRules(features=("age",), quality=("missing",)))
    log_records(tiny_records(10), spec, db=path)
    old = alert("b" * 16, rule="quality", state="resolved", resolved_at=SEEN,
                last_seen=SEEN - dt.timedelta(days=7))  # fmt: skip
    save_alerts(Store(path), [alert("a" * 16), old])
    return path


def test_alerts_lists_firing_first_and_filters(db: Path, capsys) -> None:
    assert main(["alerts", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:5] == ["id", "state", "severity", "model", "rule"]
    assert lines[1].startswith("a" * 16) and "firing" in lines[1]
    assert lines[2].startswith("b" * 16) and "resolved" in lines[2]
    assert main(["alerts", "--db", str(db), "--state", "resolved", "--json"]) == 0
    (only,) = json.loads(capsys.readouterr().out)
    assert only["id"] == "b" * 16 and only["rule"] == "quality"
    assert main(["alerts", "--db", str(db), "--rule", "nope"]) == 0
    assert capsys.readouterr().out.strip() == "no alerts"
    assert main(["alerts", "--db", str(db), "--json", "--app-url", "https://dw.example/"]) == 0
    first = json.loads(capsys.readouterr().out)[0]
    assert (
        first["link"]
        == "https://dw.example/timeline?model=churn&from=2024-02-26&to=2024-03-03&period=week"
    )


def test_silence_list_and_unsilence(db: Path, capsys) -> None:
    args = ["silence", "--db", str(db), "--model", "churn", "--rule", "features", "--for", "3d",
            "--reason", "known: <b>new</b> form"]  # fmt: skip
    assert main(args) == 0
    said = capsys.readouterr().out
    assert said.startswith("silence 1: churn, rule features until ")
    (made,) = silences(Store(db))
    assert made.rule == "features" and made.reason == "known: <b>new</b> form"
    assert dt.timedelta(days=2.9) < made.until - made.created_at <= dt.timedelta(days=3)
    assert main(["silences", "--db", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["id"] == 1
    assert main(["unsilence", "--db", str(db), "1"]) == 0
    assert silences(Store(db)) == []
    assert main(["unsilence", "--db", str(db), "1"]) == 1
    assert "silence 1 has ended already" in capsys.readouterr().err
    actions = audit.entries(Store(db))["action"].tolist()
    assert actions[:2] == ["silence_alert", "silence_alert"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--rule", "nope", "--for", "1d", "--reason", "x"], "has no alert rule 'nope'"),
        (["--until", "2020-01-01", "--reason", "x"], "needs an end in the future"),
        (["--for", "1d", "--reason", "  "], "a silence needs a reason"),
    ],
)
def test_silence_refusals_say_why(db: Path, capsys, extra: list[str], message: str) -> None:
    assert main(["silence", "--db", str(db), "--model", "churn", *extra]) == 1
    assert message in capsys.readouterr().err
    assert silences(Store(db), active_only=False) == []


def test_a_bad_duration_is_a_usage_error(db: Path) -> None:
    with pytest.raises(SystemExit):
        main(["silence", "--db", str(db), "--model", "churn", "--for", "soon", "--reason", "x"])
