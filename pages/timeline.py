"""Timeline: how each feature's drift from the reference develops, window by window."""

import streamlit as st

from monitoring.errors import MonitoringError
from monitoring.report.figures import timeline as figures
from ui import data, url
from ui import timeline_view as view
from ui.charts import show_figure
from ui.router import require_router
from ui.sidebar import current_selection

require_router()

st.title("Timeline")
selection = current_selection()
if selection is None:
    st.info(
        "No models yet. Import records with `python -m monitoring import FILE --spec SPEC.toml`."
    )
    st.stop()

summary = data.overview(selection.db, selection.version, selection.model)
question = view.ask(selection)
try:
    timeline = view.timeline(selection, question)
except MonitoringError as exc:
    st.error(str(exc))
    st.stop()

notes = view.notes(selection.db, selection.model)
small = [w for w in timeline.windows if w.status != "tested"]
tested = len(timeline.windows) - len(small)
drifted = sum(bool(w.drifted) for w in timeline.windows)
windows_col, tested_col, drifted_col = st.columns(3)
windows_col.metric("Windows", f"{len(timeline.windows):,}")
tested_col.metric("Tested", f"{tested:,}", help=f"Windows with at least {timeline.min_rows} rows")
drifted_col.metric("Drifted", f"{drifted:,}", help="Windows where any feature drifted")
if small:
    st.caption(
        f"{len(small)} window(s) under {timeline.min_rows} rows are greyed out (not tested)."
    )

production = (selection.start, selection.end)
order = timeline.feature_order()
for fig, name in (
    (figures.heatmap_figure(timeline, order), "heatmap"),
    (figures.volume_figure(timeline), "volume"),
    (figures.share_figure(timeline, summary.spec.alerts.drifted_share), "drifted_share"),
):
    show_figure(
        figures.with_annotations(figures.highlight(fig, production), notes),
        f"{selection.model}_{name}",
    )
st.caption(
    "Tests per window: binned Kolmogorov–Smirnov (numeric) and chi-squared (categorical) against "
    "the reference; a feature drifts when p is below the corrected threshold and its effect size "
    f"(normalised Wasserstein / Jensen–Shannon) is at least {timeline.config.min_effect:g}."
)

url.seed("timeline_feature", "feature", order, order[0])
feature = st.selectbox("Feature", order, key="timeline_feature")
url.publish({"feature": feature})
show_figure(
    figures.with_annotations(figures.feature_figure(timeline, feature), notes),
    f"{selection.model}_{feature}",
)

with st.expander(f"Notes on {selection.model} ({len(notes)})", expanded=not notes):
    view.annotation_form(selection, summary.first.date(), summary.last.date())
    for note in notes:
        st.markdown(f"- **{note.at:%Y-%m-%d}** {note.text}")

if question.multivariate != "none":
    bounds = view.tested_bounds(timeline)
    with st.spinner(f"{question.multivariate.upper()} on the last {len(bounds)} tested windows…"):
        points = view.multivariate(
            selection.db, selection.version, selection.model, question.multivariate, bounds
        )
    show_figure(
        figures.multivariate_figure(
            points, question.multivariate, question.config.p_threshold, timeline.reference
        ),
        f"{selection.model}_multivariate",
    )

with st.expander("Online detector (record by record after the reference)"):
    column = st.selectbox("Column", summary.spec.numeric_features, key="timeline_online_column")
    if st.toggle("Run the online detector", key="timeline_online_run"):
        with st.spinner("Streaming records through the online detector…"):
            report = view.online(selection.db, selection.version, selection.model, column)
        show_figure(figures.online_figure(report), f"{selection.model}_online_{column}")
