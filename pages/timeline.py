"""Timeline: how each feature's drift from the reference develops, window by window."""

from ui import data, page, timeline_question
from ui import timeline_view as view

selection = page.start("Timeline", runs_detectors=True)
with page.errors():
    question = timeline_question.ask(selection)
    timeline = view.timeline(selection, question)
    notes = data.notes(selection.db.path, selection.model)
    view.counts(timeline)
    view.overview_charts(selection, timeline, notes)
    view.ranking(selection, timeline, question)
    view.feature_section(selection, timeline, notes)
    view.notes_section(selection, notes)
    view.multivariate_chart(selection, timeline, question)
    view.online_fragment(selection)
