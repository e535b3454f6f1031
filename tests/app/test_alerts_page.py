"""The Alerts page and the Overview's firing line, for a viewer and for an editor.

A viewer sees the firing alerts, silences and history but no button; calling
the view's actions directly is refused too. An editor acknowledges, silences
and ends a silence, each audited. User text (rule names, messages, reasons)
reads as typed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from monitoring import log_records
from monitoring.alert_spec import AlertRule, AlertRules
from monitoring.store import audit
from monitoring.store.alerts import get_alert, list_alerts, save_alerts
from monitoring.store.connection import Store
from monitoring.store.silences import silences
from tests.app.conftest import shown
from tests.app.test_access_pages import USERS, labels, open_app, signed_in, texts
from tests.conftest import tiny_records, tiny_spec
from tests.unit.cli.test_alerts import alert

HOSTILE = "drift **now** [x](https://evil.example) <script>alert(1)</script>"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One model with two rules, one firing (critical, hostile message) and one resolved alert."""
    path = tmp_path / "alerts.duckdb"
    rules = AlertRules(
        features=("age",),
        rules=(AlertRule("volume_gone", "no_data", severity="critical"),),
    )
    log_records(tiny_records(60, freq="12h"), tiny_spec(alerts=rules), db=path)
    firing = alert("f" * 16, rule="volume_gone", severity="critical", message=HOSTILE)
    old = alert("e" * 16, state="resolved", resolved_at=dt.datetime(2024, 3, 1))
    save_alerts(Store(path), [firing, old])
    roles = tmp_path / "roles.toml"
    roles.write_text("[users]\n" + "".join(f'"{e}" = "{r}"\n' for r, e in USERS.items()))
    monkeypatch.setenv("DRIFTWATCH_DB", str(path))
    monkeypatch.setenv("DRIFTWATCH_ROLES", str(roles))
    return path


def test_a_viewer_sees_alerts_but_no_buttons(db: Path) -> None:
    at = open_app(signed_in("viewer"))
    assert "1 alert(s) firing (1 critical): volume_gone on churn." in shown(at.warning[0].value)
    at.switch_page("pages/alerts.py").run()
    assert not at.exception
    said = texts(at)
    assert "Acknowledging and silencing alerts needs the editor role." in said
    line = next(m.value for m in at.markdown if "volume_gone" in m.value)
    assert ":red-badge[critical]" in line and HOSTILE in shown(line)  # as typed, not markup
    assert "since 2024-03-04 06:00 UTC" in line and "[explain](./timeline?model=churn" in line
    assert not {"Acknowledge", "Silence", "End"} & set(labels(at))
    (table,) = [d.value for d in at.dataframe if "rule" in d.value.columns]
    assert list(table["state"]) == ["firing", "resolved"] and table["message"][0] == HOSTILE
    at.selectbox(key="alerts_state").set_value("resolved").run()
    (table,) = [d.value for d in at.dataframe if "rule" in d.value.columns]
    assert list(table["id"]) == ["e" * 16]
    at.selectbox(key="alerts_state").set_value("all").run()
    at.selectbox(key="alerts_rule").set_value("volume_gone").run()
    (table,) = [d.value for d in at.dataframe if "rule" in d.value.columns]
    assert list(table["rule"]) == ["volume_gone"]


def test_an_editor_acknowledges_silences_and_ends_a_silence(db: Path) -> None:
    store = Store(db)
    at = open_app(signed_in("editor"), "pages/alerts.py")
    at.button(key=f"alerts_ack_{'f' * 16}").click().run()
    assert not at.exception
    assert get_alert(store, "f" * 16).acknowledged_by == "ed@example.org"
    assert "Acknowledged by ed@example.org" in texts(at)
    at.selectbox(key="alerts_silence_rule").set_value("volume_gone")
    at.text_input(key="alerts_silence_reason").set_value("known: *feed* paused")
    at.button(key="alerts_silence").click().run()
    assert not at.exception
    (made,) = silences(store)
    assert (made.rule, made.reason, made.created_by) == (
        "volume_gone",
        "known: *feed* paused",
        "ed@example.org",
    )
    assert "known: *feed* paused" in shown(texts(at))
    at.button(key=f"alerts_unsilence_{made.id}").click().run()
    assert not at.exception and silences(store) == []
    logged = audit.entries(store)
    assert list(logged["action"][:3]) == ["silence_alert", "silence_alert", "acknowledge_alert"]
    assert set(logged["user"][:3]) == {"ed@example.org"}


def test_an_empty_reason_is_refused_in_words(db: Path) -> None:
    at = open_app(signed_in("editor"), "pages/alerts.py")
    at.button(key="alerts_silence").click().run()
    assert "a silence needs a reason" in at.error[0].value
    assert silences(Store(db)) == []


def direct_action() -> None:
    """A page that calls the view's actions itself, as a crafted request or a bug might."""
    import datetime as dt
    import os

    import streamlit as st

    from ui import alerts_view, memo
    from ui.sidebar import Selection

    db = memo.Db(os.environ["DRIFTWATCH_DB"], 0)
    selection = Selection(db, "churn", dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1))
    action = st.session_state["action"]
    if action == "acknowledge":
        alerts_view.acknowledge(selection, "f" * 16)
    elif action == "silence":
        until = dt.datetime.now() + dt.timedelta(days=1)
        alerts_view.silence(selection, "churn", None, until, "planted")


@pytest.mark.parametrize(
    ("action", "refusal"),
    [("acknowledge", "may not acknowledge alerts"), ("silence", "may not silence alerts")],
)
def test_a_viewer_calling_an_action_directly_is_refused(
    db: Path, action: str, refusal: str
) -> None:
    at = AppTest.from_function(direct_action, default_timeout=60)
    at.user = signed_in("viewer")
    at.session_state["action"] = action
    at.run()
    assert at.exception and refusal in at.exception[0].value
    assert silences(Store(db)) == [] and get_alert(Store(db), "f" * 16).acknowledged_by is None
    assert [a.state for a in list_alerts(Store(db))] == ["firing", "resolved"]
