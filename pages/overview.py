"""Overview: every monitored model at a glance, then the selected one's volume."""

import streamlit as st

from monitoring.report.export import ChartContext
from monitoring.report.figures.style import volume_figure
from monitoring.report.pack import neutralise
from monitoring.store.overview import overview_table
from ui import data
from ui.charts import show_figure
from ui.router import require_router
from ui.sidebar import current_selection

require_router()

st.title("Overview")
selection = current_selection()
if selection is None:
    st.info(
        "No models yet. Import records with "
        "`python -m monitoring import FILE --spec SPEC.toml`, or build the demo with "
        "`python -m monitoring demo`."
    )
    st.stop()

summaries = data.overviews(selection.db, selection.version)
st.dataframe(
    neutralise(overview_table(summaries)),
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

summary = data.overview(selection.db, selection.version, selection.model)
current = data.window(
    selection.db, selection.version, selection.model, selection.start, selection.end
)
st.subheader(selection.model)
if summary.spec.description:
    st.caption(summary.spec.description)
left, middle, right, last = st.columns(4)
left.metric("Records", f"{summary.rows:,}")
middle.metric(
    "Label coverage", "—" if summary.label_coverage is None else f"{summary.label_coverage:.1%}"
)
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

weeks = data.weekly_windows(selection.db, selection.version, selection.model)
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
