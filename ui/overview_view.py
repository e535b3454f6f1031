"""Sections of the Overview and Data pages: each model's status, the models, one model's records.

The Overview answers "is anything wrong, and where do I look?" with one status
line per model (:func:`status_lines`): drift, performance against its band,
data quality and label coverage in its latest complete week, each with a link
to the page and window that explains it. Links open in a new tab, so the
Overview stays where it was.

The line has one more slot, **Last check** (:data:`LAST_CHECK`): the outcome
of the newest ``check`` run. It is drawn only when the page passes a
``last_check(store, model)`` function (the alert history's); until then the
line shows nothing in its place rather than a made-up value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from monitoring.report import links
from monitoring.report.export import ChartContext
from monitoring.report.figures.style import volume_figure
from monitoring.report.status import QUALITY_WORDS, ModelStatus
from monitoring.report.tables import neutralise
from monitoring.store import audit
from monitoring.store.connection import Store
from monitoring.store.overview import ModelOverview, overview_table
from monitoring.store.windows import WindowPlan
from monitoring.timeutil import span_label
from ui import data
from ui.charts import show_figure
from ui.sidebar import Selection
from ui.text import md

LAST_CHECK = "Last check"
# A line of Markdown about the model's newest ``check`` run, or None before any.
LastCheck = Callable[[Store, str], str | None]
BADGES = {"alert": "red", "ok": "green", "unknown": "gray"}


def status_lines(selection: Selection, last_check: LastCheck | None = None) -> Callable[[], None]:
    """One bordered line per model: what its latest complete week says, with links.

    The performance parts cost most (the reference band), so they are left as
    placeholders; the returned function fills them in — call it at the end of
    the page, so everything else is drawn first.
    """
    st.subheader("Status of the latest complete week")
    pending: list[tuple[ModelStatus, DeltaGenerator]] = []
    for overview in data.overviews(selection.db):
        status = data.status(selection.db, overview.spec.name)
        with st.container(border=True):
            slot = _status_line(overview, status, selection, last_check)
        if slot is not None:
            pending.append((status, slot))
    st.caption(
        "Drift: the calibrated verdict (a feature drifts when its statistic is beyond the range "
        "weeks of the reference show among themselves). Performance: the spec's alert metric on "
        "the newest week with labels, against its reference band. Links open in a new tab."
    )

    def fill() -> None:
        for status, slot in pending:
            assert status.window is not None
            perf = data.performance_status(selection.db, status.model, status.window)
            line = _performance_cell(replace(status, performance=perf), status.model)
            slot.markdown(f"**Performance** · {line}")

    return fill


def _status_line(
    overview: ModelOverview,
    status: ModelStatus,
    selection: Selection,
    last_check: LastCheck | None,
) -> DeltaGenerator | None:
    """Draw one model's line; return the placeholder of its performance part, if it has one."""
    name = overview.spec.name
    level = {"alert": ":red[:material/error:]", "ok": ":green[:material/check_circle:]"}.get(
        status.level, ":gray[:material/help:]"
    )
    where = (
        f"{status.period} {span_label(*status.window)}"
        if status.window is not None
        else md(status.note)
    )
    st.markdown(f"{level} **{md(name)}** · {where}")
    if status.window is None:
        return None
    measured = bool(overview.spec.target)
    lines = [
        ("Drift", _drift_cell(status, name)),
        ("Performance", _MEASURING if measured else _performance_cell(status, name)),
        ("Data quality", _quality_cell(status, name)),
        ("Labels", _labels_cell(status, name)),
    ]
    if last_check is not None:
        lines.append((LAST_CHECK, last_check(selection.db.store, name) or ""))
    slot = None
    for part, line in lines:
        # The part's name leads its line (a narrow label column would wrap it per syllable).
        shown = st.empty()
        shown.markdown(f"**{part}** · {line}")
        if part == "Performance" and measured:
            slot = shown
    return slot


_MEASURING = ":gray[measuring the alert metric against its band…]"


def _badge(level: str, text: str) -> str:
    return f":{BADGES[level]}-badge[{text}]"


def _drift_cell(status: ModelStatus, model: str) -> str:
    drift, window = status.drift, status.window
    assert drift is not None and window is not None
    if drift.verdict is None:
        return f"{_badge('unknown', 'not tested')} no feature could be tested"
    timeline = links.page_link(links.TIMELINE, model, window, period="week", feature=drift.worst)
    if not drift.verdict or drift.worst is None:
        return (
            f"{_badge('ok', 'no drift')} all {drift.tested} features within their usual range · "
            f"[Timeline →]({timeline})"
        )
    worst = "" if drift.worst_excess is None else f" ({drift.worst_excess:.1f}× its usual limit)"
    detail = links.page_link(links.FEATURE_DRIFT, model, window, feature=drift.worst)
    return (
        f"{_badge('alert', 'drift')} {len(drift.drifted)} of {drift.tested} features beyond "
        f"their usual range; furthest: **{md(drift.worst)}**{worst} · "
        f"[Timeline →]({timeline}) · [{md(drift.worst)} this week →]({detail})"
    )


def _performance_cell(status: ModelStatus, model: str) -> str:
    perf = status.performance
    if perf is None:
        return f"{_badge('unknown', 'no labels')} the model has no target column"
    if perf.window is None or perf.value is None:
        return f"{_badge('unknown', perf.label)} {md(perf.reason)}"
    value = f"{perf.label} {perf.value:.3g}"
    if perf.outside is None:
        text = f"{_badge('unknown', value)} no reference band: {md(perf.reason)}"
    else:
        assert perf.lower is not None and perf.upper is not None
        side = "inside" if not perf.outside else "below" if perf.value < perf.lower else "above"
        word = ", worse than usual" if perf.worse else ", better than usual" if perf.outside else ""
        text = (
            f"{_badge(perf.level, value)} {side} its band {perf.lower:.3g}–{perf.upper:.3g}{word}"
        )
    newest = perf.window != status.window
    when = f"week of {perf.window[0]:%Y-%m-%d}" + (", the newest with labels" if newest else "")
    start = links.moment_text(perf.window[0])
    link = links.page_link(
        links.PERFORMANCE, model, perf.window, period="week", metric=perf.metric, window=start
    )
    return f"{text} in the {when} · [Performance →]({link})"


def _quality_cell(status: ModelStatus, model: str) -> str:
    quality, window = status.quality, status.window
    assert quality is not None and window is not None
    parts = [
        f"**{md(feature)}** {', '.join(QUALITY_WORDS[s] for s in signals)}"
        for feature, signals in quality.features
    ]
    if quality.volume_beyond:
        parts.append(
            f"{quality.rows:,} rows, usual {quality.volume_low:,.0f}–{quality.volume_high:,.0f}"
        )
    if not parts:
        return f"{_badge('ok', 'as usual')} missing, new and out-of-range values, row count"
    first = quality.features[0][0] if quality.features else None
    detail = links.page_link(links.FEATURE_DRIFT, model, window, feature=first)
    return (
        f"{_badge('alert', 'beyond usual')} more than usual: " + "; ".join(parts)
        + f" · [Feature drift, this week →]({detail})"
    )  # fmt: skip


def _labels_cell(status: ModelStatus, model: str) -> str:
    labels, window = status.labels, status.window
    assert labels is not None and window is not None
    coverage = labels.coverage
    if coverage is None:
        return f"{_badge('unknown', 'no target')} the model has no label column"
    late = " (labels arrive later)" if coverage < 0.5 else ""
    link = links.page_link(links.PERFORMANCE, model, window, period="week")
    return (
        f"{_badge('ok' if coverage >= 0.5 else 'unknown', f'{coverage:.0%} labelled')} "
        f"{labels.labelled:,} of {labels.rows:,} rows of the week{late} · "
        f"[Label coverage →]({link})"
    )


def models_table(selection: Selection) -> None:
    """Every model with its rows, time range, reference, label coverage and latest volume."""
    with st.expander("All models: rows, time range, reference, label coverage"):
        st.dataframe(
            neutralise(overview_table(data.overviews(selection.db))),
            hide_index=True,
            column_config={
                "rows": st.column_config.NumberColumn(format="localized", width="small"),
                "labelled": st.column_config.NumberColumn(
                    format="percent",
                    width="small",
                    help="Label coverage: share of rows whose label (ground truth) has arrived",
                ),
                "latest week vs reference": st.column_config.TextColumn(
                    help="Records in the 7 days up to the newest record vs the reference's "
                    "records per 7 days"
                ),
            },
        )


def model_summary(selection: Selection) -> None:
    """The selected model's headline numbers and its weekly volume."""
    summary = data.overview(selection.db, selection.model)
    current = data.window(selection.db, selection.model, selection.start, selection.end)
    st.subheader(md(selection.model))
    if summary.spec.description:
        st.caption(md(summary.spec.description))
    # Two rows of two: four tiles side by side truncated to "327,…" at 800 px.
    left, middle = st.columns(2)
    right, last = st.columns(2)
    left.metric("Records", f"{summary.rows:,}")
    coverage = summary.label_coverage
    middle.metric("Label coverage", "—" if coverage is None else f"{coverage:.1%}")
    ratio = summary.latest_week_ratio
    right.metric(
        "Latest week",
        f"{summary.latest_week_rows:,}",
        delta=None if ratio is None else f"{ratio - 1:+.1%} vs reference week",
        delta_color="off",
    )
    last.metric(
        "Production window",
        f"{current.rows:,}",
        help=selection.label,
        delta=None if current.label_coverage is None else f"{current.label_coverage:.0%} labelled",
        delta_color="off",
        delta_arrow="off",
    )
    weeks = data.windows(selection.db, selection.model, WindowPlan("week"))
    show_figure(
        volume_figure(weeks, summary.spec.reference, (selection.start, selection.end)),
        name=f"{selection.model}_weekly_volume",
        context=ChartContext(
            selection.model,
            summary.spec.reference.label(),
            selection.label,
            reference_n=summary.reference_rows,
            current_n=current.rows,
        ),
    )


def records_tabs(selection: Selection) -> None:
    """The Data page: the window's newest records, the import log, the audit log and the spec."""
    spec = data.overview(selection.db, selection.model).spec
    current = data.window(selection.db, selection.model, selection.start, selection.end)
    st.caption(
        f"{md(selection.model)} · production window {selection.label} · {current.rows:,} records"
    )
    records_tab, imports_tab, activity_tab, spec_tab = st.tabs(
        ["Records", "Imports", "Activity", "Spec"]
    )
    with records_tab:
        if current.rows == 0:
            st.info(f"No records between {selection.label}. Pick another production window.")
        else:
            shown = min(current.rows, data.RECORDS_SHOWN)
            st.write(f"The newest {shown:,} of {current.rows:,} records in the window.")
            st.dataframe(
                data.records(selection.db, selection.model, selection.start, selection.end),
                hide_index=True,
                column_config={
                    spec.timestamp: st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")
                },
            )
    with imports_tab:
        st.dataframe(
            data.imports(selection.db, selection.model),
            hide_index=True,
            column_config={
                "content_hash": st.column_config.TextColumn("sha256", width="small"),
                "row_count": st.column_config.NumberColumn("rows", format="localized"),
            },
        )
    with activity_tab:
        st.caption(
            f"Who changed what for this model, newest first (the last {audit.SHOWN}): uploads, "
            "saved and deleted slices, notes, imports. Times in UTC."
        )
        st.dataframe(
            neutralise(audit.entries(selection.db.store, selection.model)),
            hide_index=True,
            column_config={"at": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")},
        )
    with spec_tab:
        st.write(f"**Task:** {spec.task} · **reference:** {spec.reference.label()}")
        if spec.description:
            st.caption(md(spec.description))
        st.dataframe(neutralise(spec.roles_table()), hide_index=True)
