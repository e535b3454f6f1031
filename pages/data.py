"""Data: the selected model's records in the production window, its imports and its spec."""

from ui import overview_view, page

selection = page.start("Data")
with page.errors():
    overview_view.records_tabs(selection)
