"""Performance: quality over time, estimated while labels are pending, and concept drift."""

import streamlit as st

from monitoring.report.figures.performance import (
    confusion_figure,
    coverage_figure,
    diagnosis_figure,
    metric_figure,
    reliability_figure,
    residual_figure,
)
from ui import data
from ui import performance_view as view
from ui.charts import show_figure
from ui.router import require_router
from ui.sidebar import current_selection

require_router()

st.title("Performance")
selection = current_selection()
if selection is None:
    st.info("No models yet: import records or build the demo (`python -m monitoring demo`).")
    st.stop()
spec = data.overview(selection.db, selection.version, selection.model).spec
if spec.target is None:
    st.info(f"Model `{spec.name}` has no target column: performance needs labels.")
    st.stop()

choice = view.controls(selection, spec)
result = view.realized(selection, choice)
estimate, note = view.estimate(selection, choice, spec)
for text in (choice.note, note):
    if text:
        st.caption(text)
view.show_alerts(result, choice.metric)
show_figure(
    metric_figure(result, choice.metric, estimate),
    f"{selection.model}_{choice.metric}_per_{choice.unit}",
)
if estimate is not None:
    view.show_assumption()
show_figure(coverage_figure(result), f"{selection.model}_label_coverage")
diagnoses, note = view.diagnoses(selection, choice, result)
if diagnoses:
    show_figure(
        diagnosis_figure(diagnoses, "Diagnosis: did the inputs or the errors move?"),
        f"{selection.model}_diagnosis",
    )
if note:
    st.caption(note)

st.subheader("One window against the reference")
picked = view.window_picker(result)
if picked is None:
    st.info("No records in this range.")
    st.stop()
view.show_diagnosis(view.diagnosis_of(diagnoses, picked.window))
if picked.status == "pending":
    st.info("This window's labels are pending: there is nothing to compare yet.")
    st.stop()
comparison = view.comparison(selection, picked.window)
stamp = f"{selection.model}_{picked.window.start:%Y%m%d_%H%M}"
left, right = st.columns(2)
if comparison.residuals is not None:
    with left:
        show_figure(residual_figure(comparison), f"{stamp}_residuals")
    right.dataframe(view.window_table(result, picked), hide_index=True)
    right.caption("! = outside the reference band; intervals are 95 % bootstrap intervals.")
else:
    with left:
        show_figure(confusion_figure(comparison), f"{stamp}_confusion")
    with right:
        show_figure(reliability_figure(comparison), f"{stamp}_reliability")
