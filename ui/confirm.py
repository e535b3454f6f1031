"""Destructive buttons that ask first: the first click asks, a second one does it."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator


def confirmed(button: DeltaGenerator, key: str, label: str, question: str) -> bool:
    """A ``label`` button in ``button`` that asks ``question`` below it; True once confirmed.

    ``key`` carries the page's prefix (``upload_delete_3``); the pending
    question is kept in session state under ``<key>_asked`` until it is
    answered, so it survives the reruns of other widgets.
    """
    asked = f"{key}_asked"
    if button.button(label, key=key, disabled=st.session_state.get(asked, False)):
        st.session_state[asked] = True
        st.rerun()  # draw the question now, below the row
    if not st.session_state.get(asked):
        return False
    st.warning(question, icon=":material/warning:")
    yes, no, _ = st.columns([1, 1, 4])
    if yes.button("Yes, delete", key=f"{key}_yes", type="primary"):
        del st.session_state[asked]
        return True
    if no.button("Cancel", key=f"{key}_no"):
        del st.session_state[asked]
        st.rerun()
    return False
