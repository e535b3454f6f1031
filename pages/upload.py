"""Upload & compare: check a file against the model's spec, compare it, keep it if wanted."""

import streamlit as st

from ui import data, drift_view, page, upload_view
from ui.text import md

selection = page.start("Upload & compare", runs_detectors=True)
spec = data.overview(selection.db, selection.model).spec
st.caption(
    f"Model **{md(selection.model)}** (change it in the sidebar). The file is checked against "
    f"its spec; nothing is kept unless you save it."
)
with page.errors():
    file = upload_view.pick_file(selection)
    if file is not None:
        check = upload_view.check(selection, spec, file)
        upload_view.show_check(check)
        if check.ok:
            info = upload_view.slice_of(selection, spec, check)
            against, against_label = upload_view.baseline(selection, spec)
            report = upload_view.compare(selection.db, info, against)
            label = info.name or file.name
            st.subheader(f"{md(info.label)} against {md(against_label)}")
            drift_view.summary(report)
            drift_view.findings_section(report)
            drift_view.table(report.features)
            st.subheader("Distribution")
            drift_view.feature_chart(report, label)
            st.subheader("Model outputs")
            drift_view.outputs(report, label)
            st.subheader("Keep this slice")
            upload_view.save_form(selection.db, info)
    st.subheader("Saved slices")
    upload_view.saved_list(selection.db, selection.model)
