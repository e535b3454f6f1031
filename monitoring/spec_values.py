"""Readers of single values in a spec's TOML: non-empty text, lists of names, numbers, counts.

Both the model spec (:mod:`monitoring.schema`) and its ``[alerts]`` section
(:mod:`monitoring.alert_spec`) read their values through these, so a wrong
value gets the same message wherever it is; each raises :class:`SpecError`
naming the key.
"""

from __future__ import annotations

from typing import Any

from monitoring.errors import SpecError


def read_text(value: Any, key: str) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise SpecError(f"'{key}' must be a non-empty string, got {value!r}")
    return value


def read_names(value: Any, key: str) -> tuple[str, ...]:
    """A list of non-empty strings (column, metric or signal names)."""
    if not isinstance(value, list):
        raise SpecError(f"'{key}' must be a list of column names, got {value!r}")
    return tuple(read_text(v, key) for v in value)


def is_number(value: Any) -> bool:
    """True for an int or float; TOML's booleans are ints to Python but not numbers here."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def read_whole_number(value: Any, key: str) -> int:
    """A whole number ≥ 1 (a persistence in windows, a row count)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SpecError(f"'{key}' must be a whole number ≥ 1, got {value!r}")
    return value
