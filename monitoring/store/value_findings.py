"""What a column typer says about wrong values: one :class:`Finding` per kind, with example rows.

Shared by the column typer (:mod:`monitoring.store.values`), its timestamp
part (:mod:`monitoring.store.timestamp_typing`) and the label check
(:mod:`monitoring.store.labels`). Row numbers count data rows from 1 (the
header is not a row).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

# How many example rows a message shows.
EXAMPLES = 3
# What a cell holding more than one value looks like in pandas.
NESTED = (dict, list, tuple, set, np.ndarray)


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
            self, count=self.count + later.count, shown=(self.shown + later.shown)[:EXAMPLES]
        )

    def message(self) -> str:
        """The finding in words, for the person who wrote the file."""
        count = str(self.count) if self.counted else ""
        return f"{self.head}{count}{self.middle}{', '.join(self.shown)}{self.tail}"


def examples(values: pd.Series, mask: pd.Series | np.ndarray, offset: int = 0) -> str:
    """``row 3: 'x', row 7: 'y'`` for the first few rows where ``mask`` holds."""
    return ", ".join(shown(values, mask, offset))


def shown(values: pd.Series, mask: pd.Series | np.ndarray, offset: int) -> tuple[str, ...]:
    """The first few rows where ``mask`` holds, each as ``row N: value``."""
    rows = np.flatnonzero(np.asarray(mask))[:EXAMPLES]
    return tuple(f"row {offset + i + 1}: {values.iloc[i]!r}" for i in rows)


def short(value: object) -> object:
    """A value cut to a readable length for a message."""
    text = str(value) if isinstance(value, NESTED) else value
    return text[:40] + "…" if isinstance(text, str) and len(text) > 40 else text
