"""The life cycle on hand-made rule outcomes: unknown keeps, a removed rule resolves, repeats
wait for their interval, a model-wide silence holds everything back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from monitoring import log_records
from monitoring.access import Actor
from monitoring.alert_spec import AlertRule, AlertRules
from monitoring.alerts.delivery import WebhookResult
from monitoring.alerts.history import Notification, deliver, reconcile
from monitoring.alerts.rules import AlertCheck, RuleOutcome
from monitoring.store.alerts import list_alerts
from monitoring.store.connection import Store
from monitoring.store.silences import add_silence
from monitoring.timeline.report import WindowDrift
from tests.conftest import tiny_records, tiny_spec

RULES = AlertRules(repeat_hours=6, rules=(AlertRule("a", "drift"), AlertRule("b", "no_data")))
NOW = dt.datetime(2030, 1, 1, 6, 0)
WINDOW = WindowDrift(dt.datetime(2024, 2, 5), dt.datetime(2024, 2, 12), 100, "tested", None,
                     True, ())  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Store:
    path = tmp_path / "history.duckdb"
    log_records(tiny_records(10), tiny_spec(alerts=RULES), db=path)
    return Store(path)


def checked(rules: AlertRules = RULES, **states: str) -> AlertCheck:
    outcomes = tuple(
        RuleOutcome(r, states[r.name], 1, None if states[r.name] == "unknown" else WINDOW,
                    WINDOW if states[r.name] == "firing" else None, f"{r.name} said", {})
        for r in rules.all_rules()
    )  # fmt: skip
    return AlertCheck("churn", WINDOW, rules, outcomes, ())


def run(store: Store, check: AlertCheck, at: dt.datetime, sent: list[Notification]) -> None:
    def send(note: Notification) -> list[WebhookResult]:
        sent.append(note)
        return [WebhookResult(True, 200, None)]

    done = reconcile(store, check, lambda r, w: "timeline?model=churn", at)
    deliver(store, done, send, "http://hook", at)


def test_unknown_keeps_repeat_waits_and_a_removed_rule_resolves(store: Store) -> None:
    sent: list[Notification] = []
    run(store, checked(a="firing", b="firing"), NOW, sent)
    assert [(n.alert.rule, n.event) for n in sent] == [("a", "open"), ("b", "open")]
    run(store, checked(a="unknown", b="firing"), NOW + dt.timedelta(hours=5), sent)
    assert len(sent) == 2  # within the 6 hours: nothing again
    assert {a.rule for a in list_alerts(store, state="firing")} == {"a", "b"}
    run(store, checked(a="unknown", b="firing"), NOW + dt.timedelta(hours=6), sent)
    assert [(n.alert.rule, n.event) for n in sent[2:]] == [("b", "repeat")]
    only_b = AlertRules(repeat_hours=6, rules=(AlertRule("b", "no_data"),))
    run(store, checked(only_b, b="pending"), NOW + dt.timedelta(hours=7), sent)
    assert sorted((n.alert.rule, n.event) for n in sent[3:]) == [("a", "resolve"), ("b", "resolve")]
    resolved = {a.rule: a for a in list_alerts(store, state="resolved")}
    assert resolved["a"].message == "the rule is no longer in the spec"
    assert list_alerts(store, state="firing") == []


def test_a_model_wide_silence_holds_back_every_rule(store: Store) -> None:
    add_silence(store, "churn", None, dt.datetime(2099, 1, 1), "maintenance", Actor("ed", "editor"))
    sent: list[Notification] = []
    done = reconcile(store, checked(a="firing", b="firing"), lambda r, w: "x", NOW)
    assert all(n.silenced_by is not None for n in done.due) and len(done.due) == 2
    attempts = deliver(store, done, lambda n: sent.append(n) or [], "http://hook", NOW)
    assert sent == [] and [a.outcome for a in attempts] == ["silenced", "silenced"]
    assert len(list_alerts(store, state="firing")) == 2
