"""Sections of the Overview and Data pages: the models at a glance, one model's records."""

from __future__ import annotations

import streamlit as st

from monitoring.report.export import ChartContext
from monitoring.report.figures.style import volume_figure
from monitoring.report.tables import neutralise
from monitoring.store import audit
from monitoring.store.overview import overview_table
from monitoring.store.windows import WindowPlan
from ui import data
from ui.charts import show_figure
from ui.sidebar import Selection
from ui.text import md


def models_table(selection: Selection) -> None:
    """Every model with its rows, time range, reference, label coverage and latest volume."""
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
                help="Records in the 7 days up to the newest record vs the reference's records "
                "per 7 days"
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
    left, middle, right, last = st.columns(4)
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
