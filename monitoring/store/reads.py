"""SQL reads over one window of a model's records: the only place drift touches rows.

Every function takes an open DuckDB connection (or cursor), a :class:`Source`
naming the model's table and timestamp column, and a half-open time range
``(start, end)``. Values are always parameters; identifiers come from the
model's spec and pass through :func:`~monitoring.store.sql.quote_ident`. What leaves
DuckDB is either an aggregate (counts, sums, quantiles) or, where a test needs
raw values, one column as a float array with its NULLs dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from monitoring.store.sql import quote_ident
from monitoring.timeutil import Bounds


@dataclass(frozen=True)
class Source:
    """A model's record table and timestamp column, both already quoted.

    By default a window is the time range ``[$start, $end)``. A source with a
    ``predicate`` (SQL over quoted identifiers, values as ``$name`` parameters
    given in ``bind``) selects its rows by that predicate instead and ignores
    the time bounds: an uploaded slice is ``"_dw_slice" = $slice``.
    ``identity`` names such a source's content (a slice's SHA-256) so stored
    results are keyed by what was compared, not by time bounds.
    """

    table: str
    timestamp: str
    predicate: str | None = None
    bind: tuple[tuple[str, Any], ...] = ()
    identity: str | None = None

    @property
    def where(self) -> str:
        """The window predicate, with ``$start`` and ``$end`` parameters (or the own one)."""
        if self.predicate is not None:
            return self.predicate
        return f"{self.timestamp} >= $start AND {self.timestamp} < $end"

    def params(self, window: Bounds, **extra: Any) -> dict[str, Any]:
        """The parameters :attr:`where` needs for ``window``, plus ``extra``."""
        if self.predicate is not None:
            return {**dict(self.bind), **extra}
        return {"start": window[0], "end": window[1], **extra}


@dataclass(frozen=True)
class ColumnStats:
    """Non-NULL count and, for numeric columns, range, mean and population std."""

    non_null: int
    minimum: float | None = None
    maximum: float | None = None
    mean: float | None = None
    std: float | None = None


def window_stats(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    window: Bounds,
    numeric: Sequence[str],
    categorical: Sequence[str],
) -> tuple[int, dict[str, ColumnStats]]:
    """Row count of the window and per-column statistics, in one scan."""
    parts = ["count(*)"]
    for column in numeric:
        q = quote_ident(column)
        parts += [f"count({q})", f"min({q})", f"max({q})", f"avg({q})", f"stddev_pop({q})"]
    parts += [f"count({quote_ident(c)})" for c in categorical]
    row = _one(
        con, f"SELECT {', '.join(parts)} FROM {source.table} WHERE {source.where}", source, window
    )
    stats: dict[str, ColumnStats] = {}
    at = 1
    for column in numeric:
        n, lo, hi, mean, std = row[at : at + 5]
        stats[column] = ColumnStats(int(n), _float(lo), _float(hi), _float(mean), _float(std))
        at += 5
    for column in categorical:
        stats[column] = ColumnStats(int(row[at]))
        at += 1
    return int(row[0]), stats


def category_counts(
    con: duckdb.DuckDBPyConnection, source: Source, window: Bounds, column: str
) -> dict[str, int]:
    """Count of each non-NULL value, most frequent first (ties by value)."""
    q = quote_ident(column)
    rows = con.execute(
        f"SELECT {q}, count(*) AS n FROM {source.table} "
        f"WHERE {source.where} AND {q} IS NOT NULL GROUP BY {q} ORDER BY n DESC, {q}",
        source.params(window),
    ).fetchall()
    return {str(value): int(n) for value, n in rows}


def values(
    con: duckdb.DuckDBPyConnection, source: Source, window: Bounds, column: str
) -> np.ndarray:
    """The column's non-NULL values in the window as a float64 array (order unspecified)."""
    q = quote_ident(column)
    result = con.execute(
        f"SELECT {q} AS v FROM {source.table} WHERE {source.where} AND {q} IS NOT NULL",
        source.params(window),
    ).fetchnumpy()
    return np.asarray(result["v"], dtype=np.float64)


def quantiles(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    window: Bounds,
    column: str,
    levels: Sequence[float],
) -> list[float]:
    """Interpolated quantiles (``quantile_cont``) of the column's non-NULL values."""
    q = quote_ident(column)
    row = _one(
        con,
        f"SELECT quantile_cont({q}, $levels) FROM {source.table} WHERE {source.where}",
        source,
        window,
        levels=list(levels),
    )
    return [] if row[0] is None else [float(v) for v in row[0]]


@dataclass(frozen=True)
class Bins:
    """One window of a numeric column counted on two sets of bins in one scan.

    ``fine_counts``/``fine_sums``: per equal-width bin ``[low + k·width,
    low + (k+1)·width)``, the count and the sum of ``x - low`` (values outside
    the range are clamped into the first or last bin). ``edge_counts``: counts
    in ``(-inf, e0], (e0, e1], …, (e_last, inf)`` for the given edges.
    """

    fine_counts: np.ndarray
    fine_sums: np.ndarray
    edge_counts: np.ndarray


def binned(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    window: Bounds,
    column: str,
    low: float,
    width: float,
    bins: int,
    edges: Sequence[float],
) -> Bins:
    """Count the column's non-NULL values on fine equal-width bins and on ``edges``.

    ``width`` must be positive and ``edges`` strictly increasing.
    """
    q = quote_ident(column)
    # The edge bin is the number of edges below the value: (e_{i-1}, e_i] is bin i.
    edge_bin = " + ".join(f"({q} > $e{i})::INTEGER" for i in range(len(edges))) or "0"
    params = {f"e{i}": float(e) for i, e in enumerate(edges)}
    rows = con.execute(
        f"SELECT least(greatest(floor(({q} - $low) / $width), 0), $last)::BIGINT AS bin, "
        f"{edge_bin} AS edge_bin, count(*), sum({q} - $low) FROM {source.table} "
        f"WHERE {source.where} AND {q} IS NOT NULL GROUP BY ALL",
        source.params(window, low=low, width=width, last=bins - 1, **params),
    ).fetchall()
    fine_counts = np.zeros(bins, dtype=np.int64)
    fine_sums = np.zeros(bins, dtype=np.float64)
    edge_counts = np.zeros(len(edges) + 1, dtype=np.int64)
    for b, e, n, total in rows:
        fine_counts[b] += n
        fine_sums[b] += total
        edge_counts[e] += n
    return Bins(fine_counts, fine_sums, edge_counts)


def sample(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    window: Bounds,
    columns: Sequence[str],
    cap: int,
    seed: int,
) -> pd.DataFrame:
    """At most ``cap`` rows of the window, the same rows for the same seed and data.

    Rows are ranked by a hash of their row id and the seed, so the sample does
    not depend on DuckDB's thread scheduling.
    """
    select = ", ".join(quote_ident(c) for c in columns)
    return con.execute(
        f"SELECT {select} FROM {source.table} WHERE {source.where} "
        f"ORDER BY hash(rowid, $seed) LIMIT $cap",
        source.params(window, seed=seed, cap=cap),
    ).df()


def complete_rows(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    window: Bounds,
    numeric: Sequence[str],
    categorical: dict[str, list[str]],
) -> np.ndarray:
    """Rows with no NULL in any listed column: numerics as floats, categories as codes.

    A category's code is its position in ``categorical[column]``; values not in
    that list do not occur because callers pass every value seen.
    """
    parts = [quote_ident(c) for c in numeric]
    params: dict[str, Any] = {}
    for i, (column, levels) in enumerate(categorical.items()):
        parts.append(f"list_position($levels{i}, {quote_ident(column)}) - 1")
        params[f"levels{i}"] = levels
    present = " AND ".join(f"{quote_ident(c)} IS NOT NULL" for c in [*numeric, *categorical])
    rows = con.execute(
        f"SELECT {', '.join(parts)} FROM {source.table} WHERE {source.where} AND {present}",
        source.params(window, **params),
    ).fetchnumpy()
    if not rows:
        return np.empty((0, len(parts)))
    return np.column_stack([np.asarray(v, dtype=np.float64) for v in rows.values()])


def first_rows(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    window: Bounds,
    column: str,
    limit: int,
) -> pd.DataFrame:
    """The first ``limit`` non-NULL values of a column in time order, with their timestamps."""
    q = quote_ident(column)
    return con.execute(
        f"SELECT {source.timestamp} AS ts, {q} AS v FROM {source.table} "
        f"WHERE {source.where} AND {q} IS NOT NULL ORDER BY {source.timestamp}, rowid "
        f"LIMIT $limit",
        source.params(window, limit=limit),
    ).df()


def _one(
    con: duckdb.DuckDBPyConnection, sql: str, source: Source, window: Bounds, **extra: Any
) -> tuple[Any, ...]:
    rows = con.execute(sql, source.params(window, **extra)).fetchall()
    return rows[0]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
