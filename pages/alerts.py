"""Alerts: what fires across models, what is silenced, and the history (``ui/alerts_view.py``)."""

from ui import alerts_view, page

selection = page.start("Alerts")
with page.errors():
    alerts_view.firing_section(selection)
    alerts_view.silences_section(selection)
    alerts_view.history_section(selection)
