"""Each row's calendar position, as the context of a context-aware detector.

A cycle enters the context as the sine and cosine of its phase, so 23:00 is
next to 00:00 and December next to January: hour of day and day of week
always, day of year only when the reference spans a whole year (otherwise
the current window's days of the year would lie outside the reference's,
where a context-aware test cannot condition on them).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from monitoring.timeutil import Bounds

YEAR = dt.timedelta(days=365)


def context_cycles(reference: Bounds) -> tuple[str, ...]:
    """The cycles the context holds for this reference: ``hour``, ``weekday`` (and ``year``)."""
    whole_year = reference[1] - reference[0] >= YEAR
    return ("hour", "weekday", "year") if whole_year else ("hour", "weekday")


def calendar_context(stamps: pd.Series | np.ndarray, cycles: tuple[str, ...]) -> np.ndarray:
    """Rows × (2 per cycle): sine and cosine of each timestamp's phase in each cycle."""
    ts = pd.DatetimeIndex(pd.to_datetime(stamps))
    hours = ts.hour + ts.minute / 60
    phases = {
        "hour": hours / 24,
        "weekday": (ts.dayofweek + hours / 24) / 7,
        "year": (ts.dayofyear - 1 + hours / 24) / 365.25,
    }
    columns = []
    for cycle in cycles:
        angle = 2 * np.pi * np.asarray(phases[cycle], dtype=np.float64)
        columns += [np.sin(angle), np.cos(angle)]
    return np.column_stack(columns) if columns else np.zeros((len(ts), 0))
