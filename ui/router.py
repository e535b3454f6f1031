"""A guard against Streamlit's legacy handling of the ``pages/`` folder.

Until ``st.navigation`` has run once in a server process, Streamlit assumes the
old multipage mode, because a ``pages/`` folder sits beside ``app.py``. The
first request then runs in that mode: a deep link (``/data?model=…``) runs the
page file alone, without the router and its sidebar, and widgets get other ids
than in every later run (so the user's first change would be lost). ``app.py``
and each page call :func:`require_router` first; it switches that mode off and
reruns, so every run goes through the router the same way.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def require_router() -> None:
    """Rerun through ``app.py`` when a page was started without it.

    In a server this happens at most once per process: the flag stays off.
    (AppTest switches it back on before every run; tests/app/conftest.py keeps
    it off there, as it is in a running server.)
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
