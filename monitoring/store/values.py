"""Typing one column of records as the store keeps it, or saying exactly which rows are wrong.

Used by import, ``log_records`` and the upload check alike. Row numbers count
data rows from 1 (the header is not a row). Refused:

- **timestamps** that are not dates, or not all in one format: ISO 8601 in any
  precision and with any offset counts as one format; otherwise every value
  must match the format of the first, and a day/month order that the values
  cannot settle ("03/04/2024") is refused rather than guessed;
- **numbers** that are not numbers or are infinite, scores outside [0, 1];
- **text** with a NUL character (DuckDB would cut the value there) or longer
  than :data:`~monitoring.store.files.MAX_CELL_CHARS`;
- **nested values** (lists, structs, maps from Parquet or a DataFrame): a cell
  holds one value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from monitoring.schema import ModelSpec
from monitoring.store.files import MAX_CELL_CHARS

_EXAMPLES = 3
_NESTED = (dict, list, tuple, set, np.ndarray)
# What pandas infers for a column of plain values; lists and dicts infer as "mixed".
_FLAT = frozenset(
    {"string", "empty", "integer", "floating", "decimal", "boolean", "datetime", "date", "bytes"}
)


def convert_column(values: pd.Series, column: str, spec: ModelSpec) -> tuple[pd.Series, str | None]:
    """Type one column of the spec as the store keeps it.

    Returns the typed values (index reset) and ``None``, or a message naming
    the column, how many values are wrong and example rows with their values.
    """
    values = values.reset_index(drop=True)
    nested = _nested(values, column)
    if nested:
        return values, nested
    sql_type = spec.sql_type(column)
    if sql_type == "TIMESTAMP":
        return _as_timestamps(values, column)
    if sql_type == "DOUBLE":
        return _as_numbers(values, column, probability=spec.columns()[column] == "score")
    return _as_text(values, column)


def examples(values: pd.Series, mask: pd.Series | np.ndarray) -> str:
    """``row 3: 'x', row 7: 'y'`` for the first few rows where ``mask`` holds."""
    rows = np.flatnonzero(np.asarray(mask))[:_EXAMPLES]
    return ", ".join(f"row {i + 1}: {values.iloc[i]!r}" for i in rows)


def _nested(values: pd.Series, column: str) -> str | None:
    if values.dtype != object:
        return None
    if pd.api.types.infer_dtype(values, skipna=True) in _FLAT:  # fast: no per-value check
        return None
    nested = values.map(lambda v: isinstance(v, _NESTED))
    if not nested.any():
        return None
    return (
        f"column {column!r}: {int(nested.sum())} value(s) are nested (lists, structs or maps), "
        f"e.g. {examples(values.map(_short), nested)}; a cell must hold one value"
    )


def _as_timestamps(values: pd.Series, column: str) -> tuple[pd.Series, str | None]:
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed, problem = values, None
    else:
        parsed, problem = _parse_dates(values.astype("string"), column)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    if problem:
        return parsed, problem
    missing = parsed.isna()
    if missing.any():
        return parsed, (
            f"column {column!r} (timestamp): {int(missing.sum())} value(s) are missing or not "
            f"dates, e.g. {examples(values, missing)}"
        )
    return parsed.astype("datetime64[us]"), None


def _parse_dates(text: pd.Series, column: str) -> tuple[pd.Series, str | None]:
    """Dates in ISO 8601, or all in the one format the values allow; else what is wrong."""
    iso = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    failed = iso.isna() & text.notna()
    if not failed.any():
        return iso, None
    if (iso.notna()).any():  # some ISO 8601, some not: dates in another format are mixed in
        other = pd.to_datetime(text.where(failed), errors="coerce", utc=True, format="mixed")
        mixed = failed & other.notna()
        if mixed.any():
            return iso, (
                f"column {column!r} (timestamp): {int(mixed.sum())} value(s) are in another "
                f"format than the ISO 8601 dates of the other rows, e.g. {examples(text, mixed)}; "
                f"write every timestamp in one format (ISO 8601: 2024-04-03 12:30:00)"
            )
        return iso, None  # the rest are not dates at all: said as such by the caller
    first = text.dropna().iloc[0]
    formats = {f for f in (guess_datetime_format(first, dayfirst=d) for d in (False, True)) if f}
    fits = {}
    for candidate in sorted(formats):
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format=candidate)
        if not (parsed.isna() & text.notna()).any():
            fits[candidate] = parsed
    if len(fits) > 1 and not all(p.equals(next(iter(fits.values()))) for p in fits.values()):
        return iso, (
            f"column {column!r} (timestamp): the dates can be read day-first or month-first "
            f"(e.g. row 1: {first!r}); write them as ISO 8601 (2024-04-03) or with a day "
            f"after the 12th in the file"
        )
    if fits:
        return next(iter(fits.values())), None
    if not formats:
        return iso, None  # not dates: said as such by the caller
    expected = sorted(formats)[0]
    parsed = pd.to_datetime(text, errors="coerce", utc=True, format=expected)
    off = parsed.isna() & text.notna()
    return parsed, (
        f"column {column!r} (timestamp): {int(off.sum())} value(s) do not match the format of "
        f"row 1 ({first!r}, {expected}) or are not dates, e.g. {examples(text, off)}; write "
        f"every timestamp in one format"
    )


def _as_numbers(values: pd.Series, column: str, probability: bool) -> tuple[pd.Series, str | None]:
    if pd.api.types.is_bool_dtype(values):
        values = values.astype("float64")
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = numbers.isna() & values.notna()
    if bad.any():
        return numbers, (
            f"column {column!r}: {int(bad.sum())} value(s) are not numbers, e.g. "
            f"{examples(values, bad)}"
        )
    infinite = np.isinf(numbers)
    if infinite.any():
        return numbers, f"column {column!r}: infinite value(s), e.g. {examples(values, infinite)}"
    if probability:
        outside = (numbers < 0) | (numbers > 1)
        if outside.any():
            return numbers, (
                f"column {column!r} (score): {int(outside.sum())} probability value(s) outside "
                f"[0, 1], e.g. {examples(values, outside)}"
            )
    return numbers, None


def _as_text(values: pd.Series, column: str) -> tuple[pd.Series, str | None]:
    """Text labels; integral floats (1.0 from a column with gaps) read as integers ('1')."""
    if pd.api.types.is_float_dtype(values):
        integral = values.dropna().eq(values.dropna().round()).all()
        values = values.astype("Int64") if integral else values
    text = values.astype("string")
    out = text.astype(object).where(text.notna(), None)
    nul = text.str.contains("\x00", regex=False).fillna(False).astype(bool)
    if nul.any():
        return out, (
            f"column {column!r}: {int(nul.sum())} value(s) hold a NUL character, which would "
            f"cut them short, e.g. {examples(text.map(_short, na_action='ignore'), nul)}"
        )
    long = (text.str.len() > MAX_CELL_CHARS).fillna(False).astype(bool)
    if long.any():
        rows = ", ".join(f"row {i + 1}" for i in np.flatnonzero(long.to_numpy())[:_EXAMPLES])
        return out, (
            f"column {column!r}: {int(long.sum())} value(s) are longer than "
            f"{MAX_CELL_CHARS:,} characters, the limit for one value, e.g. {rows}"
        )
    return out, None


def _short(value: object) -> object:
    """A value cut to a readable length for a message."""
    text = str(value) if isinstance(value, _NESTED) else value
    return text[:40] + "…" if isinstance(text, str) and len(text) > 40 else text
