"""Typing a timestamp column batch by batch: ISO 8601, or all values in one settled format.

ISO 8601 in any precision and with any offset counts as one format; otherwise
every value must match the format of the first, and a day/month order that the
values cannot settle ("03/04/2024") is refused rather than guessed. The format
is settled on the first batch that holds dates; a day/month order that batch
leaves open is settled by scanning the column, when the caller can re-read it.
Times with an offset are stored as naive UTC. :class:`~monitoring.store.values.ColumnTyper`
hands its timestamp columns to a :class:`TimestampTyper`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd
from pandas.tseries.api import guess_datetime_format

from monitoring.store.value_findings import Finding, shown

_ISO = "ISO8601"


class TimestampTyper:
    """The timestamp part of a column typer: the settled format, and the wrong dates.

    ``add`` receives each kind of wrong value found (the typer counts them over
    batches); ``rescan`` as for :class:`~monitoring.store.values.ColumnTyper`.
    """

    def __init__(
        self,
        column: str,
        add: Callable[[str, Finding | None], None],
        rescan: Callable[[], Iterable[pd.Series]] | None = None,
    ) -> None:
        self.column = column
        self._add = add
        self._rescan = rescan
        self._format: str | None = None  # ISO8601, a strftime format, or None
        self._first = ""  # the first date, for messages
        self._decided = False

    def feed(self, values: pd.Series, offset: int) -> pd.Series:
        """Type a batch whose first row is row ``offset + 1`` as naive timestamps (µs)."""
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
                    shown=shown(values, missing, offset),
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
                            shown=shown(text, mixed, offset),
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
                    shown=shown(text, off, offset),
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
