"""Alert rules on the latest window, the webhook payload, link and delivery."""

from __future__ import annotations

import datetime as dt

import pytest

from monitoring import log_records
from monitoring.alerts.delivery import post_webhook
from monitoring.alerts.rules import evaluate_alerts
from monitoring.cli.check import check_document
from monitoring.report.links import timeline_link
from monitoring.store.connection import Store
from monitoring.store.windows import WindowPlan
from monitoring.timeline.engine import run_timeline
from tests.unit.timeline.timeline_data import alert_spec, records


def _check(store: Store, period: str = "week", **rules: object):
    spec = alert_spec(**rules)
    log_records(records("2024-01-01", 31), spec, db=store.path)
    log_records(records("2024-02-01", 14, age_shift=1.0, seed=2), spec, db=store.path)
    windows = WindowPlan(period, start=dt.datetime(2024, 2, 1)).windows(store.model("churn"))
    timeline = run_timeline(store, "churn", windows)
    return evaluate_alerts(store, timeline, WindowPlan(period))


def test_drift_rules_breach_on_the_latest_window(store: Store) -> None:
    check = _check(store, drifted_share=0.3, features=("age", "plan"))
    assert check.breached
    assert [b.rule for b in check.breaches] == ["drifted_share", "features"]
    assert "age" in check.breaches[0].message and "limit is 30%" in check.breaches[0].message
    assert check.breaches[1].message == "watched feature(s) drifted: age"


def test_no_breach_when_the_watched_feature_is_calm(store: Store) -> None:
    check = _check(store, features=("plan",), drifted_share=0.9)
    assert not check.breached
    # The data ends on a Wednesday: that week is still filling, so the one before is checked.
    assert check.window is not None and check.window.start == dt.datetime(2024, 2, 5)
    assert check.notes == (
        "the newest window (2024-02-12 → 2024-02-14 23:59, 623 rows) is partial and not judged; "
        "the rules are checked on the newest complete one",
    )


def test_a_small_latest_window_cannot_breach_a_drift_rule(store: Store) -> None:
    spec = alert_spec(drifted_share=0.1)
    log_records(records("2024-01-01", 31), spec, db=store.path)
    log_records(records("2024-02-01", 1, per_day=5, age_shift=3.0), spec, db=store.path)
    windows = WindowPlan("day", start=dt.datetime(2024, 2, 1)).windows(store.model("churn"))
    check = evaluate_alerts(store, run_timeline(store, "churn", windows), WindowPlan("day"))
    assert not check.breached
    assert "fewer than the 30" in check.notes[0]


def test_metric_rules_use_realized_performance(store: Store) -> None:
    # Labels are random, so accuracy is about 0.5: below 0.9, above 0.1.
    check = _check(store, min_metrics=(("accuracy", 0.9),), max_metrics=(("accuracy", 0.1),))
    assert [b.rule for b in check.breaches] == ["min_metrics", "max_metrics"]
    assert check.breaches[0].message.startswith("accuracy 0.")


def test_pending_labels_cannot_breach_a_metric_rule(store: Store) -> None:
    spec = alert_spec(min_metrics=(("accuracy", 0.99),))
    log_records(records("2024-01-01", 31), spec, db=store.path)
    pending = records("2024-02-05", 7, seed=3).assign(label=None)  # one whole week
    log_records(pending, spec, db=store.path)
    windows = WindowPlan("week", start=dt.datetime(2024, 2, 5)).windows(store.model("churn"))
    check = evaluate_alerts(store, run_timeline(store, "churn", windows), WindowPlan("week"))
    assert not check.breached
    assert "cannot breach a metric rule" in check.notes[0]


def test_payload_and_link(store: Store) -> None:
    check = _check(store, features=("age",))
    assert check.window is not None
    bounds = (check.window.start, check.window.end)
    link = timeline_link("http://dw.example:8501/", "churn", bounds, WindowPlan("week"))
    assert link.startswith("http://dw.example:8501/timeline?model=churn&from=2024-02-")
    assert "&period=week" in link and "rows" not in link
    rows = timeline_link("http://dw.example:8501", "churn", bounds, WindowPlan(rows=500))
    assert rows.endswith("&period=rows&rows=500")  # the names the Timeline page reads
    payload = check_document(check, link)
    assert set(payload) == {"model", "breached", "window", "breaches", "rules", "notes", "link"}
    assert payload["breached"] is True and payload["window"]["drifted_features"] == ["age"]
    assert payload["breaches"] == [
        {"rule": "features", "message": "watched feature(s) drifted: age"}
    ]


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "ftp://example/hook"])
def test_webhook_failures_are_reported_not_raised(url: str) -> None:
    result = post_webhook(url, {"x": 1}, timeout=2)
    assert not result.ok and result.error
