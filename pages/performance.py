"""Performance: quality over time, estimated while labels are pending, and concept drift."""

import streamlit as st

from ui import data, page
from ui import performance_view as view
from ui.text import md

selection = page.start("Performance")
spec = data.overview(selection.db, selection.model).spec
if spec.target is None:
    st.info(f"Model {md(spec.name)} has no target column: performance needs labels.")
    st.stop()
with page.errors():
    choice = view.controls(selection, spec)
    result = view.charts(selection, spec, choice)
    # A fragment: picking another window redraws the comparison, not the charts above.
    st.fragment(view.window_section)(selection, choice, result)
