"""Data: the selected model's records in the production window, its imports and its spec."""

import streamlit as st

from monitoring.report.pack import neutralise
from ui import data
from ui.router import require_router
from ui.sidebar import current_selection

require_router()

st.title("Data")
selection = current_selection()
if selection is None:
    st.info("No models yet: see the Overview page for how to import records.")
    st.stop()

spec = data.overview(selection.db, selection.version, selection.model).spec
current = data.window(
    selection.db, selection.version, selection.model, selection.start, selection.end
)
st.caption(f"{selection.model} · production window {selection.label} · {current.rows:,} records")
records_tab, imports_tab, spec_tab = st.tabs(["Records", "Imports", "Spec"])

with records_tab:
    if current.rows == 0:
        st.info(f"No records between {selection.label}. Pick another production window.")
    else:
        shown = min(current.rows, data.RECORDS_SHOWN)
        st.write(f"The newest {shown:,} of {current.rows:,} records in the window.")
        st.dataframe(
            data.records(
                selection.db, selection.version, selection.model, selection.start, selection.end
            ),
            hide_index=True,
            column_config={
                spec.timestamp: st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")
            },
        )

with imports_tab:
    st.dataframe(
        data.imports(selection.db, selection.version, selection.model),
        hide_index=True,
        column_config={
            "content_hash": st.column_config.TextColumn("sha256", width="small"),
            "row_count": st.column_config.NumberColumn("rows", format="localized"),
        },
    )

with spec_tab:
    st.write(f"**Task:** {spec.task} · **reference:** {spec.reference.label()}")
    if spec.description:
        st.caption(spec.description)
    st.dataframe(neutralise(spec.roles_table()), hide_index=True)
