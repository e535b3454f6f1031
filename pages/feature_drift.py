"""Feature drift: compare a window with the reference, feature by feature, on demand."""

import streamlit as st

from ui import data, drift_question, drift_view, pack_view, page
from ui.text import md

selection = page.start("Feature drift", runs_detectors=True)
with page.errors():
    spec = data.overview(selection.db, selection.model).spec
    question = drift_question.ask(selection, spec)
    run = st.button("Run drift tests", type="primary", key="drift_run")
    report = drift_view.answer(question, run)
    if report is None:
        st.info(
            f"No stored result yet for {md(question.current_label)} against the reference with "
            f"these settings. Press **Run drift tests** to compute it."
        )
        drift_view.ranking(selection)
        st.stop()
    if report.from_store and not run:
        st.caption(f"Stored result computed {report.computed_at:%Y-%m-%d %H:%M} UTC.")
    drift_view.summary(report)
    pack_view.quick_download(question)
    st.subheader("Findings")
    drift_view.findings_section(report)
    drift_view.table(report.features)
    st.subheader("Distribution")
    # A fragment: the feature picker and the view toggle redraw this chart, not the page.
    st.fragment(drift_view.feature_chart)(report, question.current_label)
    st.subheader("Most drifted features")
    drift_view.drifted_grid(report, question.current_label)
    st.subheader("Model outputs")
    drift_view.outputs(report, question.current_label)
    drift_view.ranking(selection)
