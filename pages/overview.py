"""Overview: every monitored model at a glance, then the selected one's volume."""

from ui import overview_view, page

selection = page.start("Overview")
with page.errors():
    overview_view.models_table(selection)
    overview_view.model_summary(selection)
