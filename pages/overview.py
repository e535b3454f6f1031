"""Overview: is anything wrong, and where to look — then the selected model's volume."""

import streamlit as st

from ui import alerts_view, overview_view, page

selection = page.start("Overview")
with page.errors():
    answer = st.container()  # drawn above the volume chart, filled after it:
    # the chart's element reaching the browser first starts the download and compile of
    # Plotly (seconds on a new tab) while the status lines are computed.
    overview_view.model_summary(selection)
    with answer:
        alerts_view.firing_summary(selection)
        measure_performance = overview_view.status_lines(selection, alerts_view.last_check_text)
        overview_view.models_table(selection)
    measure_performance()  # the costliest part of the status lines, drawn last
