"""Bins of the numeric features, fitted on the reference, behind the binned counts.

**Bins** (:func:`fit_layout`, on the reference only, so a window's counts never
depend on which other windows were asked for):

- A numeric feature with at most :data:`POINT_MAX` distinct reference values
  (flags, small codes) is *discrete*: one bin per reference value, one per gap
  between two of them, one below the smallest and one above the largest. Its
  counts are exact value counts, so its KS ``D`` is exact and its test is
  chi-squared on value counts (a test valid for ties).
- Any other numeric feature gets about :data:`DEFAULT_BINS` bins that each hold
  an equal share of the reference, plus an overflow bin below the reference's
  minimum and one above its maximum (their counts *are* a window's
  out-of-range values). A value that holds a large share on its own (a spike
  at zero) gets a bin of its own. The bins are made from fine equal-width bins
  on ``asinh((x − median) / scale)``, a scale on which heavy tails and far
  outliers take little room, merged by their reference counts; in SQL a value's
  bin is a lookup of its fine bin. ``bound`` is the largest reference share of
  a bin that holds more than one distinct reference value: the binned KS ``D``
  is below the exact one by at most that much (inside a bin both CDFs rise
  monotonically; a single-valued bin is exact). Fine bins are refined until the
  bound is at most :data:`TARGET_BOUND` or the finest grid is reached.
- A categorical feature is counted by value.

The counts themselves are :mod:`monitoring.store.counts`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np

from monitoring.store.reads import Source
from monitoring.store.sql import quote_ident
from monitoring.timeutil import Bounds

POINT_MAX = 20
DEFAULT_BINS = 500
TARGET_BOUND = 2.5 / DEFAULT_BINS
FINE_GRIDS = (4096, 16384, 65536)


@dataclass(frozen=True)
class NumericLayout:
    """How one numeric feature is counted: ``bins`` bins, 0 and ``bins - 1`` the overflow bins.

    ``edges`` (``bins - 1`` values) bound the interior bins: bin ``j`` (1 …
    ``bins - 2``) holds ``[edges[j-1], edges[j])`` (a single value where the two
    are equal); ``edges[0]`` and ``edges[-1]`` are the reference's minimum and
    maximum. Discrete layouts list their ``values``; continuous ones map a fine
    bin on ``asinh((x − center) / scale)`` (``low``, ``width``, ``lookup``) to
    its bin.
    """

    column: str
    discrete: bool
    edges: tuple[float, ...]
    bound: float
    reference_std: float
    values: tuple[float, ...] = ()
    center: float = 0.0
    scale: float = 1.0
    low: float = 0.0
    width: float = 1.0
    lookup: tuple[int, ...] = ()

    @property
    def bins(self) -> int:
        return len(self.edges) + 1

    @property
    def widths(self) -> np.ndarray:
        """Widths of the interior bins (zero for a discrete value's own bin)."""
        return np.diff(np.asarray(self.edges, dtype=np.float64))

    def support(self) -> np.ndarray:
        """Which bins hold reference values: all but the overflow bins (and discrete gaps)."""
        inside = np.ones(self.bins, dtype=bool)
        inside[[0, -1]] = False
        if self.discrete:
            inside[2::2] = False  # bins 2, 4, …: the gaps between two reference values
        return inside

    def offsets(self, counts: np.ndarray, sums: np.ndarray) -> np.ndarray:
        """Per bin, the values' total distance from the bin's finite edge (``≥ 0``)."""
        edges = np.asarray(self.edges, dtype=np.float64)
        left = np.concatenate([[edges[0]], edges[:-1], [edges[-1]]])
        out = sums - counts * left
        out[..., 0] = -out[..., 0]  # below the minimum: edge − x
        return out

    def bin_sql(self, q: str, name: str) -> tuple[str, dict[str, object]]:
        """An SQL expression of the bin of the quoted column ``q``, with its parameters."""
        if self.discrete:
            if not self.values:
                return "0", {}
            params: dict[str, object] = {}
            cases = []
            for i, v in enumerate(self.values):
                params[f"{name}_{i}"] = v
                cases.append(f"WHEN {q} < ${name}_{i} THEN {2 * i} ")
                cases.append(f"WHEN {q} = ${name}_{i} THEN {2 * i + 1} ")
            return f"CASE {''.join(cases)}ELSE {2 * len(self.values)} END", params
        fine = len(self.lookup)
        expression = (
            f"CASE WHEN {q} < ${name}_min THEN 0 WHEN {q} > ${name}_max THEN {self.bins - 1} "
            f"ELSE list_extract(${name}_lookup, least(greatest(floor((asinh(({q} - ${name}_c) "
            f"/ ${name}_s) - ${name}_lo) / ${name}_w), 0), {fine - 1})::INTEGER + 1) END"
        )
        return expression, {
            f"{name}_min": self.edges[0],
            f"{name}_max": self.edges[-1],
            f"{name}_c": self.center,
            f"{name}_s": self.scale,
            f"{name}_lo": self.low,
            f"{name}_w": self.width,
            f"{name}_lookup": list(self.lookup),
        }


@dataclass(frozen=True)
class Layout:
    """How the features of a timeline are counted: numeric layouts, then categoricals."""

    numeric: tuple[NumericLayout, ...]
    categorical: tuple[str, ...]


def fit_layout(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    numeric: Sequence[str],
    categorical: Sequence[str],
    reference: Bounds,
    bins: int = DEFAULT_BINS,
) -> Layout:
    """Fit each numeric feature's bins on ``reference`` (see the module docstring)."""
    return Layout(
        tuple(_fit_numeric(con, source, c, reference, bins) for c in numeric), tuple(categorical)
    )


def _fit_numeric(
    con: duckdb.DuckDBPyConnection, source: Source, column: str, reference: Bounds, bins: int
) -> NumericLayout:
    q = quote_ident(column)
    where = f"{source.timestamp} >= $rs AND {source.timestamp} < $re AND {q} IS NOT NULL"
    params = {"rs": reference[0], "re": reference[1]}
    lo, hi, quartiles, std, distinct = con.execute(
        f"SELECT min({q}), max({q}), quantile_cont({q}, [0.25, 0.5, 0.75]), stddev_pop({q}), "
        f"approx_count_distinct({q}) FROM {source.table} WHERE {where}",
        params,
    ).fetchall()[0]
    if lo is None:  # no reference values: one bin for everything, tested nowhere
        return NumericLayout(column, True, (0.0,), 0.0, 0.0, values=())
    std = float(std or 0.0)
    if distinct <= 2 * POINT_MAX:
        values = [
            float(r[0])
            for r in con.execute(
                f"SELECT DISTINCT {q} FROM {source.table} WHERE {where} ORDER BY 1 LIMIT "
                f"{POINT_MAX + 1}",
                params,
            ).fetchall()
        ]
        if len(values) <= POINT_MAX:  # bins: below, v1, (v1, v2), v2, …, vm, above
            edges = tuple(v for v in values for _ in (0, 1))
            return NumericLayout(column, True, edges, 0.0, std, values=tuple(values))
    center = float(quartiles[1])
    scale = float(quartiles[2] - quartiles[0]) / 1.349 or std or 1.0
    for fine in FINE_GRIDS:
        layout = _merged(con, source, column, where, params, float(lo), float(hi), center, scale,
                         fine, bins, std)  # fmt: skip
        if layout.bound <= TARGET_BOUND:
            break
    return layout


def _merged(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    column: str,
    where: str,
    params: Mapping[str, object],
    lo: float,
    hi: float,
    center: float,
    scale: float,
    fine: int,
    bins: int,
    std: float,
) -> NumericLayout:
    """Count the reference on ``fine`` asinh bins and merge them into about ``bins`` bins."""
    low = float(np.arcsinh((lo - center) / scale))
    top = float(np.arcsinh((hi - center) / scale))
    width = (top - low) / fine if top > low else 1.0
    q = quote_ident(column)
    rows = con.execute(
        f"SELECT least(greatest(floor((asinh(({q} - $c) / $s) - $lo) / $w), 0), {fine - 1})"
        f"::INTEGER AS k, count(*), min({q}), max({q}) FROM {source.table} WHERE {where} "
        f"GROUP BY 1 ORDER BY 1",
        {**params, "c": center, "s": scale, "lo": low, "w": width},
    ).fetchall()
    mass = np.zeros(fine)
    single = np.zeros(fine, dtype=bool)
    for k, n, smallest, largest in rows:
        mass[k] = n
        single[k] = smallest == largest
    mass /= mass.sum()
    lookup = np.zeros(fine, dtype=np.int64)
    starts: list[int] = []  # first fine bin of each merged bin
    own: list[bool] = []  # the merged bin is one fine bin holding a single value
    filled = 0.0
    for k in range(fine):
        spike = single[k] and mass[k] >= 0.5 / bins
        if spike or not starts or own[-1] or filled >= 1 / bins:
            starts.append(k)
            own.append(bool(spike))
            filled = 0.0
        filled += mass[k]
        lookup[k] = len(starts)  # bins are numbered from 1: 0 is the lower overflow bin
    shares = np.bincount(lookup - 1, weights=mass, minlength=len(starts))
    bound = float(max((s for s, o in zip(shares, own, strict=True) if not o), default=0.0))
    left = center + scale * np.sinh(low + np.asarray(starts) * width)
    left[0] = lo
    edges = (*(float(e) for e in left), float(hi))
    return NumericLayout(column, False, edges, bound, std, (), center, scale, low, width,
                         tuple(int(v) for v in lookup))  # fmt: skip
