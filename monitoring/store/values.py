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

A :class:`ColumnTyper` types a column batch by batch (a streamed import): each
kind of wrong value is counted over every batch with the first example rows
of the file, and a column says one kind, the same one it would say for the
whole column at once. The timestamp format is settled on the first batch that
holds dates (a day/month order that batch leaves open is settled by scanning
the column, when the caller can re-read it): that part is
:mod:`monitoring.store.timestamp_typing`, the findings and their example rows
:mod:`monitoring.store.value_findings`. Clean Arrow batches of the usual types
are typed without pandas (:meth:`ColumnTyper.feed_arrow`); anything else goes
through the pandas rules, which alone word the messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from monitoring.schema import ModelSpec
from monitoring.store.files import MAX_CELL_CHARS
from monitoring.store.timestamp_typing import TimestampTyper
from monitoring.store.value_findings import EXAMPLES, NESTED, Finding, short, shown

# What pandas infers for a column of plain values; lists and dicts infer as "mixed".
_FLAT = frozenset(
    {"string", "empty", "integer", "floating", "decimal", "boolean", "datetime", "date", "bytes"}
)
_ARROW_TYPES = {"TIMESTAMP": pa.timestamp("us"), "DOUBLE": pa.float64(), "VARCHAR": pa.string()}


def arrow_type(spec: ModelSpec, column: str) -> pa.DataType:
    """The Arrow type a typed column has (timestamps naive, in microseconds)."""
    return _ARROW_TYPES[spec.sql_type(column)]


def convert_column(values: pd.Series, column: str, spec: ModelSpec) -> tuple[pd.Series, str | None]:
    """Type one column of the spec as the store keeps it.

    Returns the typed values (index reset) and ``None``, or a message naming
    the column, how many values are wrong and example rows with their values.
    """
    typer = ColumnTyper(column, spec)
    typed = typer.feed(values, 0)
    return typed, typer.problem()


class ColumnTyper:
    """Types one spec column batch by batch and keeps what was wrong (see the module docstring).

    ``rescan``: the column's raw values again from the first row, in batches;
    used only to settle a day/month order that the first batch of dates leaves open.
    """

    def __init__(
        self,
        column: str,
        spec: ModelSpec,
        rescan: Callable[[], Iterable[pd.Series]] | None = None,
    ) -> None:
        self.column = column
        self.sql_type = spec.sql_type(column)
        self.probability = spec.columns()[column] == "score"
        self.arrow_type = _ARROW_TYPES[self.sql_type]
        self._findings: dict[str, Finding] = {}
        self._dates = TimestampTyper(column, self._add, rescan)

    def problem(self) -> str | None:
        """The message of the kind of wrong value to say, or ``None``: every value fits."""
        if not self._findings:
            return None
        return min(self._findings.values(), key=lambda f: f.rank).message()

    def feed(self, values: pd.Series, offset: int) -> pd.Series:
        """Type a batch whose first row is row ``offset + 1``; return its typed values."""
        values = values.reset_index(drop=True)
        nested = _nested(values, self.column, offset)
        if nested:
            self._add("nested", nested)
            return values
        if self.sql_type == "TIMESTAMP":
            return self._dates.feed(values, offset)
        if self.sql_type == "DOUBLE":
            return self._numbers(values, offset)
        return self._text(values, offset)

    def feed_arrow(self, values: pa.Array | pa.ChunkedArray, offset: int) -> pa.Array:
        """As :meth:`feed` for an Arrow batch; returns an array of :attr:`arrow_type`.

        Clean values of the usual types are typed in Arrow; the rest (text to
        parse, missing timestamps, anything to report) go through :meth:`feed`.
        """
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if pa.types.is_dictionary(values.type):
            values = values.dictionary_decode()
        typed = _fast(values, self.sql_type, self.probability)
        if typed is not None:
            return typed
        return self.feed_frame(values.to_pandas(), offset)

    def feed_frame(self, values: pd.Series, offset: int) -> pa.Array:
        """As :meth:`feed`, returning an array of :attr:`arrow_type` (nulls once refused)."""
        series = self.feed(values, offset)
        if self._findings:
            return pa.nulls(len(series), self.arrow_type)  # never written: the file is refused
        return pa.array(series, type=self.arrow_type, from_pandas=True)

    def _add(self, kind: str, finding: Finding | None) -> None:
        if finding is None:
            return
        earlier = self._findings.get(kind)
        self._findings[kind] = finding if earlier is None else earlier.merged(finding)

    def _numbers(self, values: pd.Series, offset: int) -> pd.Series:
        column = self.column
        if pd.api.types.is_bool_dtype(values):
            values = values.astype("float64")
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        bad = numbers.isna() & values.notna()
        if bad.any():
            self._add(
                "not numbers",
                Finding(
                    1,
                    f"column {column!r}: ",
                    " value(s) are not numbers, e.g. ",
                    count=int(bad.sum()),
                    shown=shown(values, bad, offset),
                ),
            )
        infinite = np.isinf(numbers)
        if infinite.any():
            self._add(
                "infinite",
                Finding(
                    2,
                    f"column {column!r}: infinite value(s), e.g. ",
                    counted=False,
                    shown=shown(values, infinite, offset),
                ),
            )
        if self.probability:
            outside = (numbers < 0) | (numbers > 1)
            if outside.any():
                self._add(
                    "outside",
                    Finding(
                        3,
                        f"column {column!r} (score): ",
                        " probability value(s) outside [0, 1], e.g. ",
                        count=int(outside.sum()),
                        shown=shown(values, outside, offset),
                    ),
                )
        return numbers

    def _text(self, values: pd.Series, offset: int) -> pd.Series:
        """Text labels; integral floats (1.0 from a column with gaps) read as integers ('1')."""
        column = self.column
        if pd.api.types.is_float_dtype(values):
            integral = values.dropna().eq(values.dropna().round()).all()
            values = values.astype("Int64") if integral else values
        text = values.astype("string")
        out = text.astype(object).where(text.notna(), None)
        nul = text.str.contains("\x00", regex=False).fillna(False).astype(bool)
        if nul.any():
            self._add(
                "nul",
                Finding(
                    1,
                    f"column {column!r}: ",
                    " value(s) hold a NUL character, which would cut them short, e.g. ",
                    count=int(nul.sum()),
                    shown=shown(text.map(short, na_action="ignore"), nul, offset),
                ),
            )
        long = (text.str.len() > MAX_CELL_CHARS).fillna(False).astype(bool)
        if long.any():
            rows = np.flatnonzero(long.to_numpy())[:EXAMPLES]
            self._add(
                "long",
                Finding(
                    2,
                    f"column {column!r}: ",
                    f" value(s) are longer than {MAX_CELL_CHARS:,} characters, the limit for "
                    f"one value, e.g. ",
                    count=int(long.sum()),
                    shown=tuple(f"row {offset + i + 1}" for i in rows),
                ),
            )
        return out


def _fast(values: pa.Array, sql_type: str, probability: bool) -> pa.Array | None:
    """``values`` typed in Arrow when they are of a usual type and clean, else ``None``."""
    kind = values.type
    if sql_type == "TIMESTAMP":
        if pa.types.is_timestamp(kind) and values.null_count == 0:
            return values.cast(pa.timestamp("us"), safe=False)
        return None
    if sql_type == "DOUBLE":
        if not (
            pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
        ):
            return None
        numbers = values.cast(pa.float64())
        if pa.types.is_floating(kind):
            if pc.any(pc.is_inf(numbers)).as_py():
                return None
            numbers = pc.if_else(pc.is_nan(numbers), pa.scalar(None, pa.float64()), numbers)
        if probability and (
            pc.any(pc.less(numbers, 0.0)).as_py() or pc.any(pc.greater(numbers, 1.0)).as_py()
        ):
            return None
        return numbers
    if pa.types.is_integer(kind):
        return values.cast(pa.string())
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return None
    if len(values) == values.null_count:
        return values.cast(pa.string())
    if pc.any(pc.match_substring(values, "\x00")).as_py():
        return None
    if pc.max(pc.utf8_length(values)).as_py() > MAX_CELL_CHARS:
        return None
    return values.cast(pa.string())


def _nested(values: pd.Series, column: str, offset: int) -> Finding | None:
    if values.dtype != object:
        return None
    if pd.api.types.infer_dtype(values, skipna=True) in _FLAT:  # fast: no per-value check
        return None
    nested = values.map(lambda v: isinstance(v, NESTED))
    if not nested.any():
        return None
    return Finding(
        0,
        f"column {column!r}: ",
        " value(s) are nested (lists, structs or maps), e.g. ",
        "; a cell must hold one value",
        count=int(nested.sum()),
        shown=shown(values.map(short), nested, offset),
    )
