"""User text inside Streamlit's Markdown: shown as typed, never as markup.

Most Streamlit elements render their text as Markdown (``st.markdown``,
``st.caption``, alerts, subheaders, widget labels, radio options). A name
planted with ``![x](https://…)`` would make every viewer's browser fetch the
image on each rerun, and a note with ``--`` would show as a dash. Every
string that users set (model, column, slice, file names, notes, link
parameters, error messages that quote them) goes through :func:`md` before it
is put into such text.
"""

from __future__ import annotations

import re

from monitoring.report.escape import markdown_text

# Streamlit rewrites some text *after* Markdown has resolved escapes: "--", "->",
# "<=" … become typographic signs and ":name:" becomes an emoji or an icon. A
# word joiner (invisible, no line break) between the characters keeps them apart.
_JOINER = "\u2060"
_SIGNS = re.compile(r"(?<=[-<>~])(?=\\?[-<>=])")
_SHORTCODE = re.compile(r":(?=[\w+-])")


def md(value: object) -> str:
    """``value`` (user text) ready to go inside Streamlit Markdown, where it reads as typed."""
    text = _SIGNS.sub(_JOINER, markdown_text(value))
    return _SHORTCODE.sub(":" + _JOINER, text)
