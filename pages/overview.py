"""Overview: is anything wrong, and where to look — then the selected model's volume."""

from ui import alerts_view, overview_view, page

selection = page.start("Overview")
with page.errors():
    alerts_view.firing_summary(selection)
    measure_performance = overview_view.status_lines(selection, alerts_view.last_check_text)
    overview_view.models_table(selection)
    overview_view.model_summary(selection)
    measure_performance()  # the costliest part of the status lines, drawn last
