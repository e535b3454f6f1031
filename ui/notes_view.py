"""The Timeline page's notes: the list, adding one, deleting one (keys ``timeline_note``).

Writing a note needs the editor role and deleting one the admin role
(:mod:`monitoring.access`); :func:`add` and :func:`remove` check it
themselves, so hiding the form or the button is not the only guard.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from monitoring.errors import MonitoringError
from monitoring.store.annotations import MAX_TEXT, Annotation, add_annotation, delete_annotation
from ui import auth, data
from ui.confirm import confirmed
from ui.sidebar import Selection
from ui.text import md


def section(selection: Selection, notes: list[Annotation]) -> None:
    """The model's notes, a form to add one (editors) and a delete button on each (admins)."""
    summary = data.overview(selection.db, selection.model)
    assert summary.first is not None and summary.last is not None  # a model has ≥ 1 row
    with st.expander(f"Notes on {md(selection.model)} ({len(notes)})", expanded=not notes):
        if auth.may("write_note"):
            _form(selection, summary.first.date(), summary.last.date())
        else:
            st.caption("Writing notes needs the editor role.")
        deletes = auth.may("delete_note")
        for note in notes:
            text, button = st.columns([6, 1], vertical_alignment="center")
            text.markdown(f"- **{note.at:%Y-%m-%d}** {md(note.text)}")
            question = f"Delete the note of {note.at:%Y-%m-%d}, “{md(note.text)}”?"
            key = f"timeline_note_delete_{note.id}"
            if deletes and confirmed(button, key, "Delete", question):
                remove(selection, note)
                st.rerun()


def add(selection: Selection, day: dt.date, text: str) -> Annotation:
    """Store a note on the selected model (editors and admins; audited)."""
    actor = auth.require("write_note")
    note = add_annotation(selection.db.store, selection.model, day, text, actor)
    data.notes.clear()
    return note


def remove(selection: Selection, note: Annotation) -> None:
    """Delete a note (admins only; audited)."""
    actor = auth.require("delete_note")
    delete_annotation(selection.db.store, note.id, actor)
    data.notes.clear()


def _form(selection: Selection, first: dt.date, last: dt.date) -> None:
    """A small form that adds a dated note to the model's timelines."""
    with st.form("timeline_note_form", clear_on_submit=True, border=False):
        day_col, text_col, button_col = st.columns([1, 3, 1], vertical_alignment="bottom")
        day = day_col.date_input("Date", value=last, min_value=first, key="timeline_note_day")
        # No max_chars: a longer paste would arrive cut or empty; the store names the limit.
        text = text_col.text_input(
            "Note",
            key="timeline_note_text",
            placeholder="e.g. model v2 deployed",
            help=f"At most {MAX_TEXT} characters",
        )
        if button_col.form_submit_button("Add note"):
            try:
                add(selection, day, text)
            except MonitoringError as exc:
                st.error(md(str(exc)))
            else:
                st.toast(f"Note added on {day}")
                st.rerun()  # the charts above were drawn before the note existed
