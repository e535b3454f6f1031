"""``check`` run after run over a history that drifts, stays drifted, then recovers.

The weeks after the January reference: 5 February calm, 12, 19 and 26 February
with ``age`` shifted, 4 March calm again. Each import adds one week and the
Monday of the next (so the newest week is partial and the one before is
judged), then ``check`` runs, as a weekly cron job would. The rule watches
``age`` for two windows in a row.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from monitoring import log_records
from monitoring.access import Actor
from monitoring.alert_spec import AlertRule, AlertRules
from monitoring.cli import check as check_module
from monitoring.store.alerts import acknowledge, deliveries, list_alerts
from monitoring.store.connection import Store
from monitoring.store.silences import add_silence
from tests.unit.alerts.receiver import Receiver, receiver
from tests.unit.cli.test_check import check
from tests.unit.timeline.timeline_data import records, spec

WEEKS = ("2024-02-05", "2024-02-12", "2024-02-19", "2024-02-26", "2024-03-04")
SHIFT = (0.0, 1.0, 1.0, 1.0, 0.0)
RULE = AlertRule("age drift", "drift", severity="critical", for_windows=2, features=("age",))
EDITOR = Actor("ed@example.org", "editor")


def _week(n: int) -> pd.DataFrame:
    """Week ``n`` from its Tuesday (its Monday came with the week before) to the next Monday."""
    start = pd.Timestamp(WEEKS[n]) + pd.Timedelta(days=0 if n == 0 else 1)
    days = 7 if n == 0 else 6
    body = records(str(start.date()), days, per_day=100, age_shift=SHIFT[n], seed=10 + n)
    if n + 1 == len(WEEKS):
        return body
    monday = records(WEEKS[n + 1], 1, per_day=100, age_shift=SHIFT[n + 1], seed=20 + n)
    return pd.concat([body, monday], ignore_index=True)


@pytest.fixture(scope="module")
def two_weeks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference, the calm week and the first drifted one, checked: built once."""
    path = tmp_path_factory.mktemp("lifecycle") / "lifecycle.duckdb"
    log_records(records("2024-01-01", 31, per_day=100), _spec(), db=path)
    with receiver() as hook:
        # Calm; then drifted once, which leaves the two-window rule pending.
        assert [_run(path, week, hook) for week in range(2)] == [0, 0]
        assert hook.received == []
    return path


@pytest.fixture
def db(two_weeks: Path, tmp_path: Path) -> Path:
    path = tmp_path / "lifecycle.duckdb"
    shutil.copyfile(two_weeks, path)
    return path


def _spec():
    return spec(alerts=AlertRules(rules=(RULE,)))


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def _run(db: Path, week: int, hook: Receiver, *extra: str) -> int:
    """Import week ``week`` and run the weekly check."""
    log_records(_week(week), _spec(), db=db)
    return check("--db", str(db), "--model", "churn", "--period", "week", "--since",
                 WEEKS[0], "--webhook", hook.url, "--backoff", "0", *extra)  # fmt: skip


def test_one_open_and_one_resolve_over_a_drift_episode(db: Path, hook: Receiver) -> None:
    codes = [_run(db, week, hook) for week in range(2, len(WEEKS))]
    assert codes == [3, 3, 0]  # firing on the second drifted week and the third; calm again
    assert [b["event"] for b in hook.bodies] == ["open", "resolve"]
    opened, resolved = hook.bodies
    assert opened["id"] == resolved["id"] and opened["severity"] == "critical"
    assert opened["rule"] == "age drift" and opened["message"] == "watched feature(s) drifted: age"
    # Opened on the week of 19 February, the second drifted week in a row; first drifted 12th.
    assert opened["window"]["start"] == "2024-02-19T00:00:00"
    assert opened["first_window_start"] == "2024-02-12T00:00:00"
    assert resolved["state"] == "resolved" and resolved["window"]["start"] == "2024-02-26T00:00:00"
    (alert,) = list_alerts(Store(db))
    assert alert.state == "resolved" and alert.resolved_at is not None
    assert [(d.event, d.outcome) for d in deliveries(Store(db))] == [
        ("resolve", "sent"),
        ("open", "sent"),
    ]


def test_a_silence_records_the_alert_but_sends_nothing(db: Path, hook: Receiver) -> None:
    store = Store(db)
    until = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=3)
    add_silence(store, "churn", "age drift", until, "known: new sign-up form", EDITOR)
    assert _run(db, 2, hook) == 3  # still firing: a silence hides it from receivers only
    assert _run(db, 3, hook) == 3
    assert hook.received == []
    (alert,) = list_alerts(store, state="firing")
    (silenced,) = deliveries(store)  # recorded once, not once per run
    assert silenced.outcome == "silenced" and silenced.alert_id == alert.id
    assert _run(db, 4, hook) == 0
    assert hook.received == []  # nobody heard of the opening, so nobody hears of the end
    assert list_alerts(store, state="firing") == []


def test_a_failed_delivery_is_retried(
    db: Path, hook: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(db)
    hook.statuses = [503, 503]  # both tries of this run fail
    assert _run(db, 2, hook, "--retries", "2") == 4
    (alert,) = list_alerts(store, state="firing")
    assert alert.pending_event == "open" and alert.last_notified is None
    hook.statuses = [500]  # the next run fails once, then the back-off try gets through
    assert _run(db, 3, hook, "--retries", "3") == 3
    assert [b["event"] for b in hook.bodies] == ["open"] * 4
    assert [(d.attempt, d.outcome, d.status) for d in reversed(deliveries(store))] == [
        (1, "failed", 503),
        (2, "failed", 503),
        (1, "failed", 500),
        (2, "sent", 200),
    ]
    assert deliveries(store)[0].target == hook.url.rsplit("/", 1)[0]  # no path: tokens stay out
    (alert,) = list_alerts(store, state="firing")
    assert alert.pending_event is None and alert.last_notified is not None
    # A day later the alert is still firing: one repeat, then none once acknowledged.
    later = alert.last_notified + dt.timedelta(hours=25)
    monkeypatch.setattr(check_module, "utc_now", lambda: later)
    args = ("--db", str(db), "--model", "churn", "--period", "week", "--since", WEEKS[0],
            "--webhook", hook.url)  # fmt: skip
    assert check(*args) == 3
    assert hook.bodies[-1]["event"] == "repeat" and len(hook.received) == 5
    assert check(*args) == 3  # just repeated: not again
    monkeypatch.setattr(check_module, "utc_now", lambda: later + dt.timedelta(hours=25))
    acknowledge(store, alert.id, EDITOR)
    assert check(*args) == 3
    assert len(hook.received) == 5
