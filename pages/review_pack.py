"""Review pack: one ZIP with charts, CSV tables, a summary and an offline HTML report."""

import streamlit as st

from ui import data, pack_view, page
from ui.text import md

selection = page.start("Review pack", runs_detectors=True)
data.warm_up_exports()  # kaleido's browser, started while the analyst picks what to pack
st.write(
    f"One download about **{md(selection.model)}**: a window — the sidebar's production window, "
    "one calendar period or a saved slice — against the model's reference: charts in the "
    "formats you pick, the drift table as CSV, `summary.md`, and `report.html`, which opens "
    "offline in any browser."
)
with page.errors():
    pack_view.builder(selection)
