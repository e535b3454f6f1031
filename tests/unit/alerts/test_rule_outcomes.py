"""Persistence, no-data judging, the rule syntax and the Slack payload, without a database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from monitoring.alert_spec import AlertRule
from monitoring.alerts.delivery import alert_payload, post_with_retries, slack_payload
from monitoring.alerts.rules import Condition, _no_data, rule_outcome
from monitoring.errors import SpecError
from monitoring.schema import ModelSpec, load_spec
from monitoring.timeline.report import WindowDrift
from tests.unit.cli.test_alerts import alert

DAY = dt.timedelta(days=1)
RULE = AlertRule("r", "drift", for_windows=3)


def windows(n: int, rows: int = 100, low: float | None = None) -> list[WindowDrift]:
    start = dt.datetime(2024, 2, 1)
    return [
        WindowDrift(
            start + i * DAY, start + (i + 1) * DAY, rows, "tested", None, None, (), volume_low=low
        )
        for i in range(n)
    ]


def judged(*held: bool | None):
    """A judge that reads the verdict of window i from ``held[i]``."""
    first = dt.datetime(2024, 2, 1)
    return lambda w: Condition(held[(w.start - first).days], "why", {"i": (w.start - first).days})


@pytest.mark.parametrize(
    ("held", "state", "streak", "first"),
    [
        ((False, True, True, True), "firing", 3, 1),
        ((True, True, True, True, True), "firing", 3, 2),  # walks back only as far as needed
        ((True, False, True, True), "pending", 2, 2),
        ((True, True, True, False), "ok", 0, None),
        ((True, True, True, None), "firing", 3, 0),  # the newest cannot judge: the one before
        ((True, None, True, True), "pending", 2, 2),  # an unjudged window ends the run
        ((None, None), "unknown", 0, None),
    ],
)
def test_persistence(held, state: str, streak: int, first: int | None) -> None:
    found = rule_outcome(RULE, windows(len(held)), judged(*held))
    assert (found.state, found.streak) == (state, streak)
    start = None if first is None else dt.datetime(2024, 2, 1) + first * DAY
    assert (found.first_window.start if found.first_window else None) == start


def test_one_window_fires_at_once() -> None:
    found = rule_outcome(AlertRule("r", "drift"), windows(2), judged(False, True))
    assert found.state == "firing" and found.values == {"i": 1}


@pytest.mark.parametrize(
    ("rows", "low", "min_rows", "held", "message"),
    [
        (0, None, None, True, "no records in the window"),
        (40, 100.0, None, True, "40 rows, fewer than the usual 100 of a window of this shape"),
        (150, 100.0, None, False, "150 rows"),
        (150, 100.0, 200, True, "150 rows, fewer than the 200 the rule asks for"),
        (150, None, None, False, "150 rows"),
    ],
)
def test_no_data(rows: int, low: float | None, min_rows: int | None, held: bool, message: str):
    rule = AlertRule("gone", "no_data", min_rows=min_rows)
    (window,) = windows(1, rows=rows)
    found = _no_data(rule, window, usual=low)
    assert (found.held, found.message) == (held, message)


SPEC = """
name = "churn"
task = "binary"
timestamp = "ts"
prediction = "pred"
target = "label"
[features]
numeric = ["age", "income"]
[reference]
start = 2024-01-01
end = 2024-02-01
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(SPEC + text)
    return path


def test_rule_syntax_old_and_new_keys(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, """
[alerts]
drifted_share = 0.5
severity = "critical"
for = 2
repeat_hours = 6

[[alerts.rule]]
name = "age moved"
signal = "drift"
features = ["age"]
for = 3

[[alerts.rule]]
name = "f1 floor"
signal = "metric"
metric = "f1"
min = 0.4
band = true
severity = "critical"

[[alerts.rule]]
name = "feed stopped"
signal = "no_data"
min_rows = 50
"""))  # fmt: skip
    rules = {r.name: r for r in spec.alerts.all_rules()}
    assert list(rules) == ["drifted_share", "age moved", "f1 floor", "feed stopped"]
    assert rules["drifted_share"] == AlertRule(
        "drifted_share", "drifted_share", severity="critical", for_windows=2, share=0.5
    )
    assert rules["age moved"].for_windows == 3 and rules["age moved"].severity == "warning"
    assert rules["f1 floor"].min_bounds == (("f1", 0.4),)
    assert rules["f1 floor"].band_metrics == ("f1",)
    assert rules["feed stopped"].min_rows == 50
    assert spec.alerts.repeat_hours == 6 and spec.alerts.metrics == ("f1",)
    assert ModelSpec.from_json(spec.to_json()) == spec


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[alerts]\nfor = 0\n', "'alerts.for' must be a whole number ≥ 1, got 0"),
        ('[alerts]\nseverity = "page"\ndrifted_share = 0.5\n', "severity 'page' is not one of"),
        ('[[alerts.rule]]\nname = "x"\nsignal = "vibes"\n', "signal 'vibes' is not one of"),
        ('[[alerts.rule]]\nsignal = "drift"\n', "#1: missing required key 'name'"),
        ('[[alerts.rule]]\nname = "x"\nsignal = "drift"\ncolour = 1\n',
         "unknown key(s) ['colour']"),
        ('[[alerts.rule]]\nname = "x"\nsignal = "drift"\nfeatures = ["zip"]\n',
         "alert rule 'x' ['zip'] are not features"),
        ('[[alerts.rule]]\nname = "x"\nsignal = "metric"\nmetric = "f1"\n',
         "a metric rule needs metric = ... with min, max or band = true"),
        ('[[alerts.rule]]\nname = "x"\nsignal = "metric"\nmetric = "mae"\nmin = 1\n',
         "alert metric(s) ['mae'] do not apply to a binary model"),
        ('[[alerts.rule]]\nname = "x"\nsignal = "quality"\n', "name the data-quality signals"),
        ('[alerts]\nfeatures = ["age"]\n[[alerts.rule]]\nname = "features"\nsignal = "drift"\n',
         "alert rule name(s) ['features'] are used more than once"),
        ('[alerts]\nrepeat_hours = -1\n', "'alerts.repeat_hours' must be a number ≥ 0"),
    ],
)  # fmt: skip
def test_bad_rules_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SpecError) as err:
        load_spec(write(tmp_path, text))
    assert message in str(err.value)


def test_payloads_carry_the_id_and_escape_user_text_for_slack() -> None:
    hostile = alert("a" * 16, model="<!channel> churn", message="drift <https://evil|click> & co")
    generic = alert_payload(hostile, "open", "https://dw.example/")
    assert generic["id"] == "a" * 16 and generic["event"] == "open"
    assert generic["link"].startswith("https://dw.example/timeline?model=churn")
    assert generic["window"] == {"start": "2024-02-26T00:00:00", "end": "2024-03-04T00:00:00"}
    slack = slack_payload(hostile, "resolve", "https://dw.example")
    assert slack["text"].startswith("[RESOLVED] warning: features on &lt;!channel&gt; churn")
    assert "&lt;https://evil|click&gt; &amp; co" in slack["text"]
    block = slack["blocks"][0]["text"]["text"]
    assert block.endswith("|Open in Driftwatch>") and "<!channel>" not in block


def test_retries_back_off_and_stop_on_a_client_error() -> None:
    waits: list[float] = []
    tries = post_with_retries("http://127.0.0.1:9/x", {}, attempts=3, backoff=0.5,
                              timeout=1, sleep=waits.append)  # fmt: skip
    assert len(tries) == 3 and waits == [0.5, 1.0] and not tries[-1].ok
    bad = post_with_retries("ftp://example/x", {}, attempts=3, sleep=waits.append)
    assert len(bad) == 1 and "is not an http(s) URL" in str(bad[0].error)  # cannot pass


def test_a_metric_rule_links_the_performance_page() -> None:
    from monitoring.report.links import performance_link
    from monitoring.store.windows import WindowPlan

    bounds = (dt.datetime(2024, 2, 5), dt.datetime(2024, 2, 12))
    link = performance_link("", "churn & co", bounds, WindowPlan("week"), "f1")
    assert link == (
        "/performance?model=churn+%26+co&from=2024-02-05&to=2024-02-11&metric=f1"
        "&window=2024-02-05&period=week"
    )
