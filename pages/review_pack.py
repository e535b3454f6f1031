"""Review pack: one ZIP with charts, CSV tables, a summary and an offline HTML report."""

import streamlit as st

from ui import pack_view
from ui.router import require_router
from ui.sidebar import current_selection

require_router()
st.title("Review pack")
selection = current_selection()
if selection is None:
    st.info("No models yet: see the Overview page for how to import records.")
    st.stop()

st.write(
    f"One download about **{selection.model}**: the production window {selection.label} "
    "against the model's reference — charts in the formats you pick, the drift table as CSV, "
    "`summary.md`, and `report.html`, which opens offline in any browser."
)
pack_view.builder(selection)
