"""Keeping a page's choices in the URL query string and across page switches.

Widgets take their first value (``seed_*``, before the widget is drawn) from,
in this order: the widget's own state (it was drawn in the last run), the link
(a fresh tab, or a link that names the choice), the value this session last
chose on that page (:data:`KEPT`), the default. After drawing, a page writes
its choices back into the URL (:func:`publish`), which also copies every
seeded widget's value to :data:`KEPT`.

Why a copy: Streamlit deletes the state of every widget the current page did
not draw, so without it, going to another page and back would reset every
choice. Page navigation clears the query string, so after a switch the link
names nothing and the kept value wins; a link that does name a choice (a new
tab, ``st.switch_page`` with query parameters) wins over what was kept.

The parameter names are the library's (:mod:`monitoring.report.links`), which
the alert links of ``check`` use too. Every value a link brings is checked
against what the widget offers (options, ranges, dates) before use, so a
hostile or stale link falls back to the default instead of raising.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

KEPT = "url_kept"  # session key: {widget key: its last value}, outlives page switches
_MISSING = object()


def seed(
    key: str,
    param: str,
    options: Sequence[object],
    default: object,
    text: Callable[[object], str] = str,
) -> None:
    """Before a widget with ``key`` is drawn: its value from its state, the link, the session or
    ``default``, whichever first holds one of ``options``.

    The link holds ``text(option)`` (default ``str``), so options need not be
    text. A value the options no longer hold (another model, another period)
    is passed over the same way.
    """
    _register(key)
    if _valid(st.session_state.get(key, _MISSING), options):
        return
    wanted = st.query_params.get(param)
    by_text = _by_text(options, text)
    if wanted is not None and wanted in by_text:
        st.session_state[key] = by_text[wanted]
        return
    kept = _kept().get(key, _MISSING)
    st.session_state[key] = kept if _valid(kept, options) else default


def seed_many(
    key: str,
    param: str,
    options: Sequence[str],
    default: Sequence[str],
) -> None:
    """Before a multiselect with ``key`` is drawn: its values from its state, the link (values
    separated by commas), the session or ``default``; values not in ``options`` are dropped."""
    _register(key)
    current = st.session_state.get(key, _MISSING)
    if isinstance(current, list) and all(v in options for v in current):
        return
    wanted = st.query_params.get(param)
    if wanted is not None:
        st.session_state[key] = [v for v in options if v in wanted.split(",")]
        return
    kept = _kept().get(key, _MISSING)
    valid = isinstance(kept, list) and all(v in options for v in kept)
    st.session_state[key] = list(kept) if valid else list(default)  # type: ignore[arg-type]


def seed_dates(
    key: str,
    first: str,
    last: str,
    default: tuple[dt.date, dt.date],
    bounds: tuple[dt.date, dt.date] | None = None,
) -> None:
    """Before a date-range input with ``key`` is drawn: its range from its state, the link, the
    session or ``default``.

    A range must be two days in order within ``bounds`` (default: the year 1900
    to 2999, so a day after the last is still a date) to be used.
    """
    _register(key)
    low, high = bounds or (dt.date(1900, 1, 1), dt.date(2999, 12, 30))

    def valid(value: object) -> bool:
        return (
            isinstance(value, tuple | list)
            and len(value) == 2
            and all(isinstance(d, dt.date) for d in value)
            and low <= value[0] <= value[1] <= high
        )

    current = st.session_state.get(key, _MISSING)
    if current is not _MISSING and (valid(current) or _halfway(current, low, high)):
        return
    try:
        linked = (
            dt.date.fromisoformat(st.query_params.get(first, "")),
            dt.date.fromisoformat(st.query_params.get(last, "")),
        )
    except ValueError:
        linked = None
    if valid(linked):
        st.session_state[key] = linked
        return
    kept = _kept().get(key, _MISSING)
    st.session_state[key] = tuple(kept) if valid(kept) else default  # type: ignore[arg-type]


def seed_number(key: str, param: str, low: float, high: float, default: float) -> None:
    """Before a number input with ``key`` is drawn: its value from its state, the link, the
    session or ``default``, whichever first is a finite number in ``[low, high]``."""
    _register(key)

    def valid(value: object) -> bool:
        return (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and low <= value <= high
        )

    if valid(st.session_state.get(key, _MISSING)):
        return
    try:
        linked: float | None = float(st.query_params.get(param, ""))
    except ValueError:
        linked = None
    if valid(linked):
        # A whole number stays an int, so an integer input is not handed a float.
        st.session_state[key] = type(default)(linked)  # type: ignore[arg-type]
        return
    kept = _kept().get(key, _MISSING)
    st.session_state[key] = kept if valid(kept) else default


def seed_flag(key: str, param: str, on: Callable[[str], bool]) -> None:
    """Before a toggle or checkbox with ``key`` is drawn: on when the link's ``param`` passes
    ``on``, else as this session last left it (off at first)."""
    _register(key)
    if isinstance(st.session_state.get(key), bool):
        return
    wanted = st.query_params.get(param)
    if wanted is not None:
        st.session_state[key] = on(wanted)
        return
    st.session_state[key] = bool(_kept().get(key, False))


def publish(values: dict[str, str | None]) -> None:
    """Write the page's current choices into the URL (``None`` removes a parameter), and keep
    every seeded widget's value for the next visit of its page."""
    for param, value in values.items():
        if value is None:
            st.query_params.pop(param, None)
        elif st.query_params.get(param) != value:
            st.query_params[param] = value
    keep()


def keep() -> None:
    """Copy the value of every seeded widget this run holds to :data:`KEPT`.

    The sidebar calls this at the start of every run as well, before any page
    draws, so a choice made in the run that left a page is kept too.
    """
    kept = _kept()
    for key in kept.get(_KEYS, ()):
        if key in st.session_state:
            kept[key] = st.session_state[key]


_KEYS = "__keys__"


def _kept() -> dict[str, Any]:
    kept: dict[str, Any] = st.session_state.setdefault(KEPT, {_KEYS: set()})
    return kept


def _register(key: str) -> None:
    _kept()[_KEYS].add(key)


def _valid(value: object, options: Sequence[object]) -> bool:
    if value is _MISSING:
        return False
    try:
        return value in options
    except (TypeError, ValueError):  # a value that cannot be compared with the options
        return False


def _by_text(options: Sequence[object], text: Callable[[object], str]) -> dict[str, object]:
    return {text(o): o for o in options}


def _halfway(value: object, low: dt.date, high: dt.date) -> bool:
    """A date-range input while its user has picked only the first day."""
    return (
        isinstance(value, tuple | list)
        and len(value) == 1
        and isinstance(value[0], dt.date)
        and low <= value[0] <= high
    )
