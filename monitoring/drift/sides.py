"""The two sides of a comparison as count matrices: a window's counts and its baseline's.

One feature's counts in a set of slots (reference atoms, or windows) are a
``slots × k`` matrix (:class:`FeatureCounts`): bins of a numeric feature (with
the sums of the values, for the Wasserstein distance), categories of a
categorical one. A baseline is a sum of such rows, so every baseline is
arithmetic on them:

- *whole*: the whole reference; a calibration window is compared with the
  reference minus its own atoms (leave-one-out);
- *seasonal*: the reference's atoms of the same season (hour of day, weekday,
  month), mixed in the proportions of the window's own atoms per season;
  calibration leaves the window's own atoms out of every season;
- *rolling*: the previous N windows; a calibration window's are the N·length
  atoms just before it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from monitoring.store.bins import Layout, NumericLayout
from monitoring.store.counts import Counts

Kind = Literal["numeric", "discrete", "categorical"]


@dataclass(frozen=True)
class FeatureCounts:
    """One feature's counts in ``slots`` slots: ``counts`` (and numeric ``sums``) ``slots × k``.

    ``rows`` is each slot's row count (NULLs included); ``categories`` names
    the columns of a categorical feature.
    """

    feature: str
    kind: Kind
    counts: np.ndarray
    rows: np.ndarray
    sums: np.ndarray | None = None
    categories: tuple[str, ...] = ()

    @property
    def n(self) -> np.ndarray:
        """Each slot's non-NULL values."""
        return self.counts.sum(axis=1)

    def runs(self, runs: Sequence[tuple[int, int]]) -> FeatureCounts:
        """The sums over each run ``[start, stop)`` of slots: one row per run."""
        cum = _cumulative(self.counts)
        starts = np.array([r[0] for r in runs], dtype=np.int64)
        stops = np.array([r[1] for r in runs], dtype=np.int64)
        rows = _cumulative(self.rows[:, None])[:, 0]
        sums = None if self.sums is None else _cumulative(self.sums)
        return replace(
            self,
            counts=cum[stops] - cum[starts],
            rows=rows[stops] - rows[starts],
            sums=None if sums is None else sums[stops] - sums[starts],
        )

    def total(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The counts (and sums) of all slots together."""
        return self.counts.sum(axis=0), None if self.sums is None else self.sums.sum(axis=0)


def feature_counts(
    counts: Counts, layout: Layout, categories: Mapping[str, Sequence[str]]
) -> dict[str, FeatureCounts]:
    """Dense matrices of every feature in ``counts``; categorical columns are ``categories[f]``
    followed by any other value these slots hold (in order of first appearance)."""
    out: dict[str, FeatureCounts] = {}
    for b in layout.numeric:
        c, s = counts.numeric[b.column]
        kind: Kind = "discrete" if b.discrete else "numeric"
        out[b.column] = FeatureCounts(b.column, kind, c, counts.rows, s)
    for column in layout.categorical:
        known = list(categories.get(column, ()))
        seen = set(known)
        for per_slot in counts.categorical[column]:
            for value in per_slot:
                if value not in seen:
                    known.append(value)
                    seen.add(value)
        matrix = np.array(
            [[per_slot.get(v, 0) for v in known] for per_slot in counts.categorical[column]],
            dtype=np.float64,
        ).reshape(counts.windows, len(known))
        out[column] = FeatureCounts(column, "categorical", matrix, counts.rows, None, tuple(known))
    return out


def align(counts: np.ndarray, size: int) -> np.ndarray:
    """``counts`` padded with zero columns to ``size`` columns (categories seen later)."""
    if counts.shape[-1] >= size:
        return counts
    pad = [(0, 0)] * (counts.ndim - 1) + [(0, size - counts.shape[-1])]
    return np.pad(counts, pad)


# --------------------------------------------------------------------------- calibration sides


def leave_one_out(
    atoms: FeatureCounts, runs: Sequence[tuple[int, int]]
) -> tuple[FeatureCounts, np.ndarray]:
    """Each run's counts, and the rest of the reference's (``runs × k``)."""
    current = atoms.runs(runs)
    return current, atoms.counts.sum(axis=0)[None, :] - current.counts


def seasonal_leave_one_out(
    atoms: FeatureCounts, runs: Sequence[tuple[int, int]], season: np.ndarray
) -> tuple[FeatureCounts, np.ndarray]:
    """Each run's counts, and its seasons' counts in the rest of the reference, mixed."""
    current = atoms.runs(runs)
    keys = np.unique(season)
    by_season = np.stack([atoms.counts[season == s].sum(axis=0) for s in keys])  # S × k
    bases = np.empty_like(current.counts)
    for i, (start, stop) in enumerate(runs):
        own = season[start:stop]
        weights = np.array([(own == s).sum() for s in keys], dtype=np.float64)
        rest = by_season.copy()
        for j, s in enumerate(keys):
            rest[j] -= atoms.counts[start:stop][own == s].sum(axis=0)
        bases[i] = mix(rest, weights)
    return current, bases


def preceding(
    atoms: FeatureCounts, runs: Sequence[tuple[int, int]], windows: int
) -> tuple[FeatureCounts, np.ndarray, np.ndarray]:
    """Each run's counts and the counts of the ``windows`` runs' worth of atoms just before it.

    Returns the runs, their bases and which runs have a full base.
    """
    current = atoms.runs(runs)
    before = [(max(0, a - windows * (b - a)), a) for a, b in runs]
    full = np.array([a - windows * (b - a) >= 0 for a, b in runs])
    return current, atoms.runs(before).counts, full


def mix(by_season: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Season counts mixed in the proportions ``weights``, at the size of the seasons used.

    A season without reference rows makes the mixture unknown (``nan``).
    """
    used = weights > 0
    totals = by_season.sum(axis=1)
    if np.any(totals[used] <= 0):
        return np.full(by_season.shape[1], np.nan)
    shares = by_season[used] / totals[used][:, None]
    fractions = weights[used] / weights[used].sum()
    return (fractions[:, None] * shares).sum(axis=0) * totals[used].sum()


def outside_rest(current: np.ndarray, rest: np.ndarray, kind: Kind) -> np.ndarray:
    """Per run, the values in bins (or categories) the rest of the reference does not reach.

    Numeric: bins below the rest's first occupied bin or above its last;
    discrete and categorical: values the rest never holds.
    """
    out = np.zeros(len(current))
    for i in range(len(current)):
        occupied = np.flatnonzero(rest[i] > 0)
        if not len(occupied):
            continue
        if kind == "numeric":
            out[i] = current[i, : occupied[0]].sum() + current[i, occupied[-1] + 1 :].sum()
        else:
            out[i] = current[i, rest[i] <= 0].sum()
    return out


def outside_support(counts: np.ndarray, layout: NumericLayout | None, known: int) -> np.ndarray:
    """Per window, the values outside the reference: overflow and gap bins, or new categories."""
    if layout is not None:
        return counts[:, ~layout.support()].sum(axis=1)
    return counts[:, known:].sum(axis=1)


def _cumulative(values: np.ndarray) -> np.ndarray:
    return np.vstack([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
