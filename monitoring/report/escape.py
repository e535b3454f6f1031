"""Text that users set, put safely into documents that render markup.

Model, column and category names, slice and file names, notes and spec
descriptions are set by whoever imports, uploads or annotates, and they reach
three kinds of markup: HTML (``report.html``), Plotly's text (titles, axis
labels, annotations and hover labels, which understand a few HTML tags and
links) and Markdown (``summary.md``). Each gets its own escape here, and
every generated document passes user text through one of them, so what a
user typed is shown as typed and is never run, fetched or followed.
"""

from __future__ import annotations

import html
import re

# The characters that open inline Markdown anywhere on a line: code, emphasis, links
# and images, raw HTML and autolinks, entities, strikethrough, table cells, math.
# A backslash before one makes it literal (CommonMark allows it before any punctuation).
# An underscore between two letters or digits cannot open emphasis (``dep_hour``) and
# stays, so names read as typed in the raw file.
_MARKDOWN_INLINE = re.compile(r"([\\`*\[\]<>!&~|$]|(?<![^\W_])_|_(?![^\W_]))")
# What opens a block when it starts a line: a heading, quote, list item, rule or setext line.
_MARKDOWN_BLOCK = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def html_text(value: object) -> str:
    """``value`` as text inside HTML: ``&``, ``<``, ``>`` and both quotes become entities.

    Safe in element content and in quoted attribute values.
    """
    return html.escape(str(value), quote=True)


def figure_text(value: object) -> str:
    """``value`` as literal text in a Plotly figure (title, label, annotation, category).

    Plotly turns ``<a href>``, ``<b>``, ``<span style>`` … inside any text into
    markup and shows the entities ``&lt;``, ``&gt;`` and ``&amp;`` as their
    characters, so escaping those three makes the text literal. (Quotes stay
    as they are: Plotly does not decode ``&quot;``.)
    """
    return html.escape(str(value), quote=False)


def markdown_text(value: object) -> str:
    """``value`` as literal text on one line of Markdown.

    The characters that open inline markup are backslash-escaped, so no part
    of the text can open a link, an image, emphasis, code or raw HTML; line
    breaks become spaces and a leading block marker (``#``, ``-``, ``1.`` …)
    is escaped, so it cannot start a heading, a list or a block of its own.
    Other punctuation (``:``, ``.``, ``-`` inside the text) stays as typed, so
    the Markdown still reads well as plain text.
    """
    text = _MARKDOWN_INLINE.sub(r"\\\1", _LINE_BREAKS.sub(" ", str(value)))
    return _MARKDOWN_BLOCK.sub(lambda m: m[1] + m[2][:-1] + "\\" + m[2][-1], text)
