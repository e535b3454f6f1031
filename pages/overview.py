"""Overview: every monitored model at a glance, then the selected one's volume."""

from ui import alerts_view, overview_view, page

selection = page.start("Overview")
with page.errors():
    alerts_view.firing_summary(selection)
    overview_view.models_table(selection)
    overview_view.model_summary(selection)
