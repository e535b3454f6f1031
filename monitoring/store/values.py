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
the column, when the caller can re-read it). Clean Arrow batches of the usual
types are typed without pandas (:meth:`ColumnTyper.feed_arrow`); anything
else goes through the pandas rules, which alone word the messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.tseries.api import guess_datetime_format

from monitoring.schema import ModelSpec
from monitoring.store.files import MAX_CELL_CHARS

_EXAMPLES = 3
_NESTED = (dict, list, tuple, set, np.ndarray)
# What pandas infers for a column of plain values; lists and dicts infer as "mixed".
_FLAT = frozenset(
    {"string", "empty", "integer", "floating", "decimal", "boolean", "datetime", "date", "bytes"}
)
_ISO = "ISO8601"
_ARROW_TYPES = {"TIMESTAMP": pa.timestamp("us"), "DOUBLE": pa.float64(), "VARCHAR": pa.string()}


@dataclass(frozen=True)
class Finding:
    """One kind of wrong value in a column: how many, and the first example rows.

    The message is ``head + count + middle + examples + tail`` (without the
    count when ``counted`` is false). ``rank`` orders the kinds of one column:
    the lowest found is the one said.
    """

    rank: int
    head: str
    middle: str = ""
    tail: str = ""
    count: int = 0
    shown: tuple[str, ...] = ()
    counted: bool = True

    def merged(self, later: Finding) -> Finding:
        """This finding and the same kind found in a later batch."""
        return replace(
            self, count=self.count + later.count, shown=(self.shown + later.shown)[:_EXAMPLES]
        )

    def message(self) -> str:
        count = str(self.count) if self.counted else ""
        return f"{self.head}{count}{self.middle}{', '.join(self.shown)}{self.tail}"


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


def examples(values: pd.Series, mask: pd.Series | np.ndarray, offset: int = 0) -> str:
    """``row 3: 'x', row 7: 'y'`` for the first few rows where ``mask`` holds."""
    return ", ".join(_shown(values, mask, offset))


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
        self._rescan = rescan
        self._format: str | None = None  # timestamps: ISO8601, a strftime format, or None
        self._first = ""  # the first date, for messages
        self._decided = False
        self._findings: dict[str, Finding] = {}

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
            return self._timestamps(values, offset)
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

    # ----------------------------------------------------------------------- timestamps

    def _timestamps(self, values: pd.Series, offset: int) -> pd.Series:
        column = self.column
        if pd.api.types.is_datetime64_any_dtype(values):
            parsed = values
        else:
            parsed = self._parse_dates(values.astype("string"), offset)
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        missing = parsed.isna()
        if missing.any():
            self._add(
                "missing",
                Finding(
                    3,
                    f"column {column!r} (timestamp): ",
                    " value(s) are missing or not dates, e.g. ",
                    count=int(missing.sum()),
                    shown=_shown(values, missing, offset),
                ),
            )
        return parsed.astype("datetime64[us]")

    def _parse_dates(self, text: pd.Series, offset: int) -> pd.Series:
        """Dates in ISO 8601, or all in the one format the values allow; else what is wrong."""
        column = self.column
        iso = None
        if not self._decided and text.notna().any():
            iso = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
            self._decide(text, iso)
        if self._format is None or self._format == _ISO:
            if iso is None:
                iso = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
            failed = iso.isna() & text.notna()
            if self._format == _ISO and failed.any():  # some ISO 8601, some not: other formats?
                other = pd.to_datetime(
                    text.where(failed), errors="coerce", utc=True, format="mixed"
                )
                mixed = failed & other.notna()
                if mixed.any():
                    self._add(
                        "mixed",
                        Finding(
                            1,
                            f"column {column!r} (timestamp): ",
                            " value(s) are in another format than the ISO 8601 dates of the "
                            "other rows, e.g. ",
                            "; write every timestamp in one format (ISO 8601: 2024-04-03 12:30:00)",
                            count=int(mixed.sum()),
                            shown=_shown(text, mixed, offset),
                        ),
                    )
            return iso  # with no format at all, the values are not dates: said as missing
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format=self._format)
        off = parsed.isna() & text.notna()
        if off.any():
            self._add(
                "mismatch",
                Finding(
                    2,
                    f"column {column!r} (timestamp): ",
                    f" value(s) do not match the format of row 1 ({self._first!r}, "
                    f"{self._format}) or are not dates, e.g. ",
                    "; write every timestamp in one format",
                    count=int(off.sum()),
                    shown=_shown(text, off, offset),
                ),
            )
        return parsed

    def _decide(self, text: pd.Series, iso: pd.Series) -> None:
        """Settle the format from the first batch holding dates (module docstring)."""
        self._decided = True
        if iso.notna().any():
            self._format = _ISO
            return
        first = str(text.dropna().iloc[0])
        self._first = first
        formats = sorted(
            {f for f in (guess_datetime_format(first, dayfirst=d) for d in (False, True)) if f}
        )
        if not formats:
            return  # not dates: every value is said as missing or not a date
        fits = _fitting(text, formats)
        names, differ = list(fits), len(fits) > 1 and _differ(fits)
        if differ and self._rescan is not None:  # later rows may hold a day after the 12th
            names, differ = _fitting_everywhere(self._rescan(), formats)
        if differ:
            self._add(
                "ambiguous",
                Finding(
                    1,
                    f"column {self.column!r} (timestamp): the dates can be read day-first or "
                    f"month-first (e.g. row 1: {first!r}); write them as ISO 8601 (2024-04-03) "
                    f"or with a day after the 12th in the file",
                    counted=False,
                ),
            )
            return  # typed as NaT, never written: the file is refused
        self._format = names[0] if names else formats[0]

    # ----------------------------------------------------------------------- numbers and text

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
                    shown=_shown(values, bad, offset),
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
                    shown=_shown(values, infinite, offset),
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
                        shown=_shown(values, outside, offset),
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
                    shown=_shown(text.map(_short, na_action="ignore"), nul, offset),
                ),
            )
        long = (text.str.len() > MAX_CELL_CHARS).fillna(False).astype(bool)
        if long.any():
            rows = np.flatnonzero(long.to_numpy())[:_EXAMPLES]
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


def _fitting(text: pd.Series, formats: list[str]) -> dict[str, pd.Series]:
    """The formats (in order) that read every value of ``text``, with their readings."""
    fits = {}
    for candidate in formats:
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format=candidate)
        if not (parsed.isna() & text.notna()).any():
            fits[candidate] = parsed
    return fits


def _differ(fits: dict[str, pd.Series]) -> bool:
    first = next(iter(fits.values()))
    return not all(p.equals(first) for p in fits.values())


def _fitting_everywhere(batches: Iterable[pd.Series], formats: list[str]) -> tuple[list[str], bool]:
    """The formats that read every value of every batch, and whether their readings differ."""
    fits, differ = list(formats), False
    for raw in batches:
        readings = _fitting(raw.reset_index(drop=True).astype("string"), fits)
        fits = list(readings)
        differ = differ or (len(readings) > 1 and _differ(readings))
        if len(fits) < 2:
            return fits, False
    return fits, differ


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
    nested = values.map(lambda v: isinstance(v, _NESTED))
    if not nested.any():
        return None
    return Finding(
        0,
        f"column {column!r}: ",
        " value(s) are nested (lists, structs or maps), e.g. ",
        "; a cell must hold one value",
        count=int(nested.sum()),
        shown=_shown(values.map(_short), nested, offset),
    )


def _shown(values: pd.Series, mask: pd.Series | np.ndarray, offset: int) -> tuple[str, ...]:
    rows = np.flatnonzero(np.asarray(mask))[:_EXAMPLES]
    return tuple(f"row {offset + i + 1}: {values.iloc[i]!r}" for i in rows)


def _short(value: object) -> object:
    """A value cut to a readable length for a message."""
    text = str(value) if isinstance(value, _NESTED) else value
    return text[:40] + "…" if isinstance(text, str) and len(text) > 40 else text
