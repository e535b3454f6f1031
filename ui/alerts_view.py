"""The Alerts page: firing alerts across models, silences, the history (keys ``alerts_``).

What ``python -m monitoring check`` opened and resolved is read from the store
(:mod:`monitoring.store.alerts`, ``silences``, ``check_runs``) on every run: a
handful of rows, and a page that must show the newest state. Acknowledging and
silencing need the editor role (:mod:`monitoring.access`); :func:`acknowledge`,
:func:`silence` and :func:`unsilence` check it themselves, so hiding their
controls is not the only guard. Rule names, model names, messages and reasons
are user text: in Markdown through :func:`ui.text.md`, otherwise in tables,
which show text as it is.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from monitoring.store import alerts as history
from monitoring.store import check_runs, silences
from monitoring.store.alerts import AlertRecord
from monitoring.store.connection import Store
from monitoring.store.silences import Silence
from monitoring.timeutil import span_label, utc_now
from ui import auth
from ui.sidebar import Selection
from ui.text import md

ALL = "All"
PAGE = "pages/alerts.py"
CHECK_OUTCOMES = {
    "ok": "no alert firing",
    "firing": "alerts firing",
    "undelivered": "a notification could not be delivered",
    "untested": "nothing could be judged",
    "error": "failed",
}
SEVERITY_BADGE = {"critical": ":red-badge[critical]", "warning": ":orange-badge[warning]"}


def firing_summary(selection: Selection) -> None:
    """One line for the Overview: how many alerts fire across models, and where to see them."""
    firing = history.list_alerts(selection.db.store, state="firing")
    if not firing:
        st.caption(":material/notifications_none: No alerts firing.")
        return
    critical = sum(a.severity == "critical" for a in firing)
    where = ", ".join(f"{md(a.rule)} on {md(a.model)}" for a in firing[:3])
    more = f" and {len(firing) - 3} more" if len(firing) > 3 else ""
    st.warning(
        f"{len(firing)} alert(s) firing ({critical} critical): {where}{more}.",
        icon=":material/notifications_active:",
    )
    st.page_link(PAGE, label="Open the Alerts page", icon=":material/arrow_forward:")


def last_check_text(store: Store, model: str) -> str | None:
    """The Overview's "last check" part: when ``check`` last ran on ``model`` and how it ended,
    as Markdown (``None`` when it never ran)."""
    run = check_runs.last_check(store, model)
    if run is None:
        return "never run (`python -m monitoring check`, e.g. from cron)"
    ended = CHECK_OUTCOMES.get(run.outcome, md(run.outcome))
    window = ""
    if run.window_start is not None and run.window_end is not None:
        window = f" on {span_label(run.window_start, run.window_end)}"
    firing = f", {run.firing} alert(s) firing" if run.firing else ""
    return f"{run.ran_at:%Y-%m-%d %H:%M} UTC{window}: {ended}{firing} (exit {run.exit_code})"


def firing_section(selection: Selection) -> None:
    """Every firing alert with severity, since when, window and link; editors act on them."""
    store = selection.db.store
    firing = history.list_alerts(store, state="firing")
    st.subheader(f"Firing ({len(firing)})")
    editor = auth.may("acknowledge_alert")
    if not editor:
        st.caption("Acknowledging and silencing alerts needs the editor role.")
    if not firing:
        st.caption("No alert is firing. `python -m monitoring check` opens them.")
    for alert in firing:
        text, ack = st.columns([6, 1], vertical_alignment="center")
        text.markdown(_described(alert))
        if alert.acknowledged_at is not None:
            ack.caption(f"Acknowledged by {md(alert.acknowledged_by)}")
        elif editor and ack.button("Acknowledge", key=f"alerts_ack_{alert.id}"):
            acknowledge(selection, alert.id)
            st.toast("Acknowledged: no more repeats of this alert")
            st.rerun()
    if editor:
        _silence_form(selection)


def silences_section(selection: Selection) -> None:
    """The silences in force, with an End button for editors."""
    found = silences.silences(selection.db.store)
    st.subheader(f"Silences ({len(found)})")
    if not found:
        st.caption("Nothing is silenced.")
    editor = auth.may("silence_alert")
    for s in found:
        text, end = st.columns([6, 1], vertical_alignment="center")
        scope = f"rule **{md(s.rule)}**" if s.rule else "every rule"
        text.markdown(
            f"**{md(s.model)}**, {scope}, until {s.until:%Y-%m-%d %H:%M} UTC — "
            f"{md(s.reason)} ({md(s.created_by)})"
        )
        if editor and end.button("End", key=f"alerts_unsilence_{s.id}"):
            unsilence(selection, s.id)
            st.rerun()


def history_section(selection: Selection) -> None:
    """Every alert, filterable by model, rule and state, then the failed deliveries."""
    store = selection.db.store
    st.subheader("History")
    everything = history.list_alerts(store)
    model_col, rule_col, state_col = st.columns(3)
    models = sorted({a.model for a in everything})
    model = model_col.selectbox("Model", [ALL, *models], key="alerts_model")
    rules = sorted({a.rule for a in everything if model == ALL or a.model == model})
    rule = rule_col.selectbox("Rule", [ALL, *rules], key="alerts_rule")
    state = state_col.selectbox("State", ["all", *history.STATES], key="alerts_state")
    shown = history.list_alerts(
        store,
        model=None if model == ALL else model,
        rule=None if rule == ALL else rule,
        state=state,
    )
    if not shown:
        st.caption("No alerts match.")
    else:
        st.dataframe(
            alerts_frame(shown),
            hide_index=True,
            column_config={"link": st.column_config.LinkColumn("explain", display_text="open")},
        )
    failed = [d for d in history.deliveries(store, limit=200) if d.outcome == "failed"]
    if failed:
        st.markdown(f"**Failed deliveries** ({len(failed)}, newest first)")
        st.dataframe(_deliveries_frame(failed), hide_index=True)


def alerts_frame(found: list[AlertRecord]) -> pd.DataFrame:
    """One row per alert for a table (text is shown as it is)."""
    return pd.DataFrame(
        [
            {
                "state": a.state,
                "severity": a.severity,
                "model": a.model,
                "rule": a.rule,
                "window": _window(a),
                "since": a.first_seen,
                "last seen": a.last_seen,
                "resolved": a.resolved_at,
                "message": a.message,
                "acknowledged by": a.acknowledged_by,
                "undelivered": a.pending_event,
                "id": a.id,
                "link": _link(a),
            }
            for a in found
        ]
    )


def acknowledge(selection: Selection, alert_id: str) -> AlertRecord:
    """Acknowledge a firing alert (editors and admins; audited)."""
    actor = auth.require("acknowledge_alert")
    return history.acknowledge(selection.db.store, alert_id, actor)


def silence(
    selection: Selection, model: str, rule: str | None, until: dt.datetime, reason: str
) -> Silence:
    """Silence a model's alerts or one rule's until ``until`` (editors and admins; audited)."""
    actor = auth.require("silence_alert")
    return silences.add_silence(selection.db.store, model, rule, until, reason, actor)


def unsilence(selection: Selection, silence_id: int) -> Silence:
    """End a silence now (editors and admins; audited)."""
    actor = auth.require("silence_alert")
    return silences.end_silence(selection.db.store, silence_id, actor)


def _silence_form(selection: Selection) -> None:
    store = selection.db.store
    models = [m for m in store.models() if store.model(m).spec.alerts.all_rules()]
    if not models:
        return
    with st.expander("Silence alerts"):
        model_col, rule_col = st.columns(2)
        first = models.index(selection.model) if selection.model in models else 0
        model = model_col.selectbox("Model", models, index=first, key="alerts_silence_model")
        names = [r.name for r in store.model(model).spec.alerts.all_rules()]
        rule = rule_col.selectbox("Rule", ["every rule", *names], key="alerts_silence_rule")
        tomorrow = utc_now() + dt.timedelta(days=1)
        day_col, time_col = st.columns(2)
        day = day_col.date_input("Until (UTC)", value=tomorrow.date(), key="alerts_silence_day")
        at = time_col.time_input("Time (UTC)", value=tomorrow.time(), key="alerts_silence_time")
        reason = st.text_input(
            "Reason",
            key="alerts_silence_reason",
            placeholder="e.g. known: new sign-up form, fixed on Monday",
            help=f"At most {silences.MAX_REASON} characters",
        )
        if st.button("Silence", key="alerts_silence"):
            chosen = None if rule == "every rule" else rule
            made = silence(selection, model, chosen, dt.datetime.combine(day, at), reason)
            st.toast(f"Silenced until {made.until:%Y-%m-%d %H:%M} UTC")
            st.rerun()


def _described(alert: AlertRecord) -> str:
    badge = SEVERITY_BADGE.get(alert.severity, md(alert.severity))
    link = _link(alert)
    explain = f" · [explain]({link})" if link else ""
    return (
        f"{badge} **{md(alert.rule)}** on **{md(alert.model)}** — {md(alert.message)}  \n"
        f"since {alert.first_seen:%Y-%m-%d %H:%M} UTC · window {_window(alert)}{explain}"
    )


def _window(alert: AlertRecord) -> str:
    if alert.window_start is None or alert.window_end is None:
        return "-"
    return span_label(alert.window_start, alert.window_end)


def _link(alert: AlertRecord) -> str | None:
    # Stored relative to the app ("timeline?model=…"): the page sits beside the Timeline.
    return None if alert.link is None else "./" + alert.link.lstrip("/")


def _deliveries_frame(found: list[history.Attempt]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "at": d.at,
                "alert": d.alert_id,
                "event": d.event,
                "attempt": d.attempt,
                "webhook": d.target,
                "status": d.status,
                "error": d.error,
            }
            for d in found
        ]
    )
