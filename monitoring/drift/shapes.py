"""What one window is, and the calibration windows of that shape cut from the reference.

A threshold is calibrated for a *window shape*: the same calendar period
(hour, day, week, month), the same length of time (a custom 10-day window),
or the same number of rows. The reference is cut into small consecutive
*atoms* — hours for hourly windows, days for longer ones, chunks of a tenth of
the window for row windows — and every calibration window is a run of
consecutive atoms, so its counts and those of the rest of the reference are
sums of atom counts.

Calibration windows are the reference's own complete windows of the shape
when it holds at least :data:`~monitoring.drift.calibration.MIN_WINDOWS` of
them (``reference windows``); otherwise contiguous blocks of the same length
starting at every atom, at most :data:`MAX_BLOCKS` of them evenly spread
(``resampled blocks``). Blocks keep the days of one window together, which
random rows or random days would not (they understate how much whole days
differ, and flag everything). Fewer than :data:`MIN_BLOCKS` blocks (a
reference barely longer than one window) overlap so much that their spread
says nothing: then nothing is calibrated and the fixed rule applies.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from monitoring.drift.calibration import MIN_WINDOWS
from monitoring.errors import MonitoringError
from monitoring.timeutil import Bounds

MAX_BLOCKS = 200
MIN_BLOCKS = 10
CHUNKS_PER_WINDOW = 10
_PERIOD_DAYS = {"week": 7, "month": 30}


@dataclass(frozen=True)
class Shape:
    """A window shape: a calendar ``period``, a span of ``length`` units, or ``rows`` rows.

    ``unit`` is what atoms are (``hour``, ``day`` or ``chunk``); ``length`` is a
    window's length in atoms (a month counts 30 days when cut as a block).
    """

    unit: str
    length: int
    period: str | None = None
    rows: int | None = None

    @classmethod
    def of_period(cls, period: str) -> Shape:
        if period == "hour":
            return cls("hour", 1, period)
        return cls("day", _PERIOD_DAYS.get(period, 1), period)

    @classmethod
    def of_rows(cls, rows: int) -> Shape:
        return cls("chunk", CHUNKS_PER_WINDOW, rows=rows)

    @classmethod
    def of_span(cls, bounds: Bounds) -> Shape:
        """The shape of an arbitrary window: its calendar period if it is one, else its length."""
        start, end = bounds
        for period in ("month", "week", "day", "hour"):
            if _is_period(period, start, end):
                return cls.of_period(period)
        hours = (end - start) / dt.timedelta(hours=1)
        if hours < 24:
            return cls("hour", max(1, round(hours)))
        return cls("day", max(1, round(hours / 24)))

    @property
    def chunk_rows(self) -> int:
        """Rows per atom of a row-count shape."""
        assert self.rows is not None
        return max(1, math.ceil(self.rows / CHUNKS_PER_WINDOW))

    def label(self) -> str:
        """The shape for people: ``week``, ``10-day window``, ``5,000 rows``."""
        if self.rows is not None:
            return f"{self.rows:,} rows"
        if self.period is not None:
            return self.period
        return f"{self.length}-{self.unit} window"


@dataclass(frozen=True)
class Atoms:
    """The reference cut into consecutive atoms of a shape's unit."""

    shape: Shape
    bounds: tuple[Bounds, ...]

    def __len__(self) -> int:
        return len(self.bounds)

    @property
    def starts(self) -> tuple[dt.datetime, ...]:
        return tuple(b[0] for b in self.bounds)


@dataclass(frozen=True)
class CalibrationWindows:
    """Runs ``[start, stop)`` of atom indices, and how they were chosen."""

    runs: tuple[tuple[int, int], ...]
    method: str  # "reference windows" | "resampled blocks"

    def __len__(self) -> int:
        return len(self.runs)

    def describe(self, shape: Shape) -> str:
        """``51 reference weeks`` or ``53 resampled 7-day blocks`` …"""
        n = len(self.runs)
        if self.method == "reference windows":
            one = "" if shape.rows is not None else "one "  # "of 300 rows", "of one week"
            return f"{n} reference windows of {one}{shape.label()}"
        size = f"{shape.rows:,}-row" if shape.rows is not None else f"{shape.length}-{shape.unit}"
        return f"{n} resampled {size} blocks of the reference"


def calendar_atoms(shape: Shape, reference: Bounds) -> Atoms:
    """Every hour or day of ``reference`` (empty ones too), clipped to it."""
    step = dt.timedelta(hours=1) if shape.unit == "hour" else dt.timedelta(days=1)
    start = reference[0].replace(minute=0, second=0, microsecond=0)
    if shape.unit == "day":
        start = start.replace(hour=0)
    bounds = []
    while start < reference[1]:
        bounds.append((max(start, reference[0]), min(start + step, reference[1])))
        start += step
    return Atoms(shape, tuple(bounds))


def calibration_windows(atoms: Atoms) -> CalibrationWindows:
    """The reference's own complete windows of the shape, or resampled blocks (see above).

    Raises
    ------
    MonitoringError
        When the reference is shorter than two windows of the shape: nothing
        can be compared with the rest of it.
    """
    shape, n = atoms.shape, len(atoms)
    aligned = _aligned(atoms)
    if len(aligned) >= MIN_WINDOWS:
        return CalibrationWindows(tuple(aligned), "reference windows")
    length = shape.length
    # Each block against a rest of at least half its size, and MIN_BLOCKS blocks.
    needed = length + max(math.ceil(length / 2), MIN_BLOCKS - 1)
    if n < needed:
        size = f"{shape.rows:,}-row" if shape.rows is not None else shape.label()
        raise MonitoringError(
            f"the reference is too short to calibrate {size} windows: it holds "
            f"{n} {shape.unit}(s), and calibrating needs at least {needed}"
        )
    starts = np.arange(n - length + 1)
    if len(starts) > MAX_BLOCKS:
        starts = np.unique(np.linspace(0, n - length, MAX_BLOCKS).round().astype(int))
    return CalibrationWindows(tuple((int(s), int(s) + length) for s in starts), "resampled blocks")


def _aligned(atoms: Atoms) -> list[tuple[int, int]]:
    """Runs of atoms that make one whole window of the shape, inside the reference."""
    shape = atoms.shape
    if shape.rows is not None:
        k = shape.length
        return [(i, i + k) for i in range(0, len(atoms) - k + 1, k)]
    if shape.period is None:
        return []
    runs = []
    i = 0
    while i < len(atoms):
        start, end = atoms.bounds[i]
        first = _period_start(shape.period, start)
        if first != start or end - start != _unit_step(shape.unit):
            i += 1  # a clipped atom: no whole window starts here
            continue
        last = _period_end(shape.period, start)
        j = i
        while j < len(atoms) and atoms.bounds[j][1] <= last:
            j += 1
        if j > i and atoms.bounds[j - 1][1] == last and j - i == _atoms_in(shape, start, last):
            runs.append((i, j))
        i = max(j, i + 1)
    return runs


def _atoms_in(shape: Shape, start: dt.datetime, end: dt.datetime) -> int:
    return round((end - start) / _unit_step(shape.unit))


def _unit_step(unit: str) -> dt.timedelta:
    return dt.timedelta(hours=1) if unit == "hour" else dt.timedelta(days=1)


def _period_start(period: str, moment: dt.datetime) -> dt.datetime:
    if period == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _period_end(period: str, moment: dt.datetime) -> dt.datetime:
    start = _period_start(period, moment)
    if period == "hour":
        return start + dt.timedelta(hours=1)
    if period == "day":
        return start + dt.timedelta(days=1)
    if period == "week":
        return start + dt.timedelta(days=7)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _is_period(period: str, start: dt.datetime, end: dt.datetime) -> bool:
    return _period_start(period, start) == start and _period_end(period, start) == end


def seasons(starts: Sequence[dt.datetime], period: str | None) -> np.ndarray | None:
    """The season of each atom for a seasonal baseline, ``None`` when the shape has none.

    Hourly windows: the hour of day; daily windows: the weekday; weekly and
    monthly windows: the month of year.
    """
    if period == "hour":
        return np.array([s.hour for s in starts])
    if period == "day":
        return np.array([s.weekday() for s in starts])
    if period in ("week", "month"):
        return np.array([s.month for s in starts])
    return None


def season_cycle(period: str | None) -> str:
    """What a season is for a period, for messages."""
    return {"hour": "hour of day", "day": "weekday", "week": "month", "month": "month"}.get(
        period or "", "none"
    )
