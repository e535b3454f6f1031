"""Per-window univariate drift statistics for a timeline, from one grouped scan per batch.

The timeline compares many windows with one reference, so it works from
aggregates instead of raw values. For a batch of windows, one DuckDB query
assigns each record to its window (``date_trunc`` for calendar windows, an
``ASOF`` join on the window starts otherwise) and counts every feature: the
numeric ones on shared bins (with per-bin sums), the categorical ones by
value. The tests then run in numpy and scipy on those counts:

- **numeric** — Kolmogorov–Smirnov on the binned CDFs. Every numeric feature is
  cut into ``bins`` (default 500) equal-width bins over the range of the
  reference and the whole timeline; ``D`` is the largest gap between the two
  empirical CDFs at a bin edge (never above the exact ``D``; it misses at most
  the mass of one bin, and is exact for discrete columns whose values fall on
  different bins), and the p-value is the asymptotic one (Kolmogorov's limiting
  distribution at ``(√n' + 0.12 + 0.11/√n')·D`` with ``n' = n·m/(n+m)``,
  Stephens' correction); exact p-values for every window cost seconds each.
  The effect size is the engine's normalised Wasserstein distance, computed
  from the same bins with their sums (:func:`monitoring.effects.wasserstein_from_bins`).
- **categorical** — chi-squared on the 2×k table of category counts over the
  union of categories (what Alibi Detect's ``ChiSquareDrift`` computes, exactly),
  and the Jensen–Shannon distance as the effect size. Binary columns also get
  chi-squared here (the single-window engine uses Fisher's exact test).

Why binned: a timeline of 100 windows × 20 features would otherwise pull every
value of every window into Python; the grouped counts are a few thousand rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from scipy import special

from monitoring.drift_report import MIN_VALUES
from monitoring.effects import STD_FLOOR, jensen_shannon, wasserstein_from_bins
from monitoring.profiles import Bounds, Source
from monitoring.store import quote_ident

DEFAULT_BINS = 500
_WINDOWS_VIEW = "dw_timeline_batch"


@dataclass(frozen=True)
class NumericBins:
    """Equal-width bins of one numeric feature: ``[low + k·width, low + (k+1)·width)``."""

    column: str
    low: float
    width: float
    bins: int
    reference_std: float


@dataclass(frozen=True)
class Layout:
    """How the features of a timeline are counted: bins per numeric feature, then categoricals."""

    numeric: tuple[NumericBins, ...]
    categorical: tuple[str, ...]


@dataclass(frozen=True)
class Counts:
    """Counts of one batch of windows (index ``0 … W-1``), per feature.

    ``numeric[column]`` is ``(counts, sums)``, both ``W × bins`` (sums of
    ``x - low``); ``categorical[column][w]`` maps each value to its count.
    """

    windows: int
    numeric: Mapping[str, tuple[np.ndarray, np.ndarray]]
    categorical: Mapping[str, list[dict[str, int]]]

    def non_null(self, column: str, w: int) -> int:
        """Non-NULL values of ``column`` in window ``w``."""
        if column in self.numeric:
            return int(self.numeric[column][0][w].sum())
        return sum(self.categorical[column][w].values())


@dataclass(frozen=True)
class CellStats:
    """One feature in one window: what the test said, before correction."""

    n: int
    statistic: float | None
    p_value: float | None
    effect: float | None
    why: str  # "" when tested; otherwise the status ("all_missing", "too_few", "constant")


def fit_layout(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    numeric: Sequence[str],
    categorical: Sequence[str],
    reference: Bounds,
    span: Bounds,
    bins: int = DEFAULT_BINS,
) -> Layout:
    """Bins over the range of ``reference`` ∪ ``span``, with the reference's standard deviation."""
    if not numeric:
        return Layout((), tuple(categorical))
    ts = source.timestamp
    in_ref = f"{ts} >= $rs AND {ts} < $re"
    parts = []
    for column in numeric:
        q = quote_ident(column)
        parts += [f"min({q})", f"max({q})", f"stddev_pop({q}) FILTER (WHERE {in_ref})"]
    row = con.execute(
        f"SELECT {', '.join(parts)} FROM {source.table} "
        f"WHERE ({in_ref}) OR ({ts} >= $ss AND {ts} < $se)",
        {"rs": reference[0], "re": reference[1], "ss": span[0], "se": span[1]},
    ).fetchall()[0]
    laid = []
    for i, column in enumerate(numeric):
        low, high, std = row[3 * i : 3 * i + 3]
        low = 0.0 if low is None else float(low)
        high = low if high is None else float(high)
        width = (high - low) / bins if high > low else 1.0
        laid.append(NumericBins(column, low, width, bins, max(float(std or 0.0), STD_FLOOR)))
    return Layout(tuple(laid), tuple(categorical))


def count_windows(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    layout: Layout,
    windows: Sequence[Bounds],
) -> Counts:
    """Count every feature of ``layout`` in each window (sorted, non-overlapping), in one query.

    Records are assigned to windows by ``date_trunc`` and a hash join when the
    windows are calendar periods (the fast path), else by an ``ASOF`` join on
    the window starts. One materialised scan feeds one ``GROUP BY`` per feature.
    """
    n_windows = len(windows)
    numeric = {
        b.column: (np.zeros((n_windows, b.bins)), np.zeros((n_windows, b.bins)))
        for b in layout.numeric
    }
    categorical: dict[str, list[dict[str, int]]] = {
        c: [{} for _ in range(n_windows)] for c in layout.categorical
    }
    if not n_windows or not (layout.numeric or layout.categorical):
        return Counts(n_windows, numeric, categorical)
    period = _calendar_period(windows)
    frame = pd.DataFrame(
        {
            "idx": range(n_windows),
            "ws": [w[0] for w in windows],
            "we": [w[1] for w in windows],
            "wk": [_trunc(period or "day", w[0]) for w in windows],
        }
    )
    ts = f"t.{source.timestamp}"
    if n_windows == 1:
        join, index = "", "0"
    elif period is not None:
        join, index = f"JOIN {_WINDOWS_VIEW} w ON date_trunc('{period}', {ts}) = w.wk", "w.idx"
    else:
        join, index = f"ASOF JOIN {_WINDOWS_VIEW} w ON {ts} >= w.ws", "w.idx"
    columns = [f"{index} AS w"]
    parts = []
    params: dict[str, object] = {"lo": windows[0][0], "hi": windows[-1][1]}
    for i, b in enumerate(layout.numeric):
        q = f"t.{quote_ident(b.column)}"
        params[f"low{i}"], params[f"width{i}"] = b.low, b.width
        columns += [
            f"least(greatest(floor(({q} - $low{i}) / $width{i}), 0), {b.bins - 1})::INTEGER "
            f"AS b{i}",
            f"{q} - $low{i} AS v{i}",
        ]
        parts.append(
            f"SELECT w, {i} AS f, b{i} AS b, NULL::VARCHAR AS value, count(*) AS n, "
            f"sum(v{i}) AS s FROM base WHERE b{i} IS NOT NULL GROUP BY ALL"
        )
    offset = len(layout.numeric)
    for j, column in enumerate(layout.categorical):
        columns.append(f"CAST(t.{quote_ident(column)} AS VARCHAR) AS c{j}")
        parts.append(
            f"SELECT w, {offset + j} AS f, NULL::INTEGER AS b, c{j} AS value, count(*) AS n, "
            f"NULL::DOUBLE AS s FROM base WHERE c{j} IS NOT NULL GROUP BY ALL"
        )
    window_filter = f"{ts} >= w.ws AND {ts} < w.we AND " if join else ""
    sql = (
        f"WITH base AS MATERIALIZED (SELECT {', '.join(columns)} FROM {source.table} t {join} "
        f"WHERE {window_filter}{ts} >= $lo AND {ts} < $hi) " + " UNION ALL ".join(parts)
    )
    cursor = con.cursor()
    try:
        cursor.register(_WINDOWS_VIEW, frame)
        result = cursor.execute(sql, params).fetchnumpy()
    finally:
        cursor.close()
    w = np.asarray(result["w"], dtype=np.int64)
    f = np.asarray(result["f"], dtype=np.int64)
    n = np.asarray(result["n"], dtype=np.float64)
    for i, b in enumerate(layout.numeric):
        mine = f == i
        bins = np.asarray(result["b"][mine], dtype=np.int64)
        counts, sums = numeric[b.column]
        np.add.at(counts, (w[mine], bins), n[mine])
        np.add.at(sums, (w[mine], bins), np.asarray(result["s"][mine], dtype=np.float64))
    if layout.categorical:
        values = np.ma.getdata(result["value"]).tolist()  # NULL only in numeric rows
        for k in np.flatnonzero(f >= offset).tolist():
            categorical[layout.categorical[f[k] - offset]][w[k]][str(values[k])] = int(n[k])
    return Counts(n_windows, numeric, categorical)


def _calendar_period(windows: Sequence[Bounds]) -> str | None:
    """The calendar period whose (clipped) periods these windows are, if any."""
    for period in ("hour", "day", "week", "month"):
        keys = [_trunc(period, start) for start, _ in windows]
        inside = all(
            _trunc(period, end - dt.timedelta(microseconds=1)) == key
            for (_, end), key in zip(windows, keys, strict=True)
        )
        if inside and len(set(keys)) == len(keys):
            return period
    return None


def _trunc(period: str, moment: dt.datetime) -> dt.datetime:
    """``date_trunc`` in Python (weeks start on Monday, as in DuckDB)."""
    if period == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def numeric_cells(
    spec: NumericBins, reference: tuple[np.ndarray, np.ndarray], current: Counts
) -> list[CellStats]:
    """Binned KS p-value and normalised Wasserstein of one numeric feature, per window."""
    ref_counts, ref_sums = reference[0][0], reference[1][0]
    counts, sums = current.numeric[spec.column]
    n_ref = int(ref_counts.sum())
    n_cur = counts.sum(axis=1)
    ref_cdf = np.cumsum(ref_counts) / max(n_ref, 1)
    cur_cdf = np.cumsum(counts, axis=1) / np.maximum(n_cur, 1)[:, None]
    d = np.abs(cur_cdf - ref_cdf[None, :]).max(axis=1)
    root = np.sqrt(n_ref * n_cur / np.maximum(n_ref + n_cur, 1))
    # Kolmogorov's limiting distribution with Stephens' small-sample correction.
    p = special.kolmogorov((root + 0.12 + 0.11 / np.maximum(root, 1e-12)) * d)
    occupied_ref = np.flatnonzero(ref_counts)
    out = []
    for w in range(current.windows):
        n = int(n_cur[w])
        why = _untestable(n_ref, n)
        occupied = np.flatnonzero(counts[w])
        single = len(occupied_ref) == 1 and len(occupied) == 1
        if not why and single and occupied_ref[0] == occupied[0]:
            why = "constant"
        if why:
            out.append(CellStats(n, None, None, None, why))
            continue
        w1 = wasserstein_from_bins(spec.width, ref_counts, ref_sums, counts[w], sums[w])
        out.append(CellStats(n, float(d[w]), float(p[w]), w1 / spec.reference_std, ""))
    return out


def categorical_cells(
    column: str, reference: Mapping[str, int], current: Counts
) -> list[CellStats]:
    """Chi-squared p-value and Jensen–Shannon distance of one categorical feature, per window."""
    n_ref = sum(reference.values())
    out = []
    for counts in current.categorical[column]:
        n = sum(counts.values())
        why = _untestable(n_ref, n)
        categories = list(reference) + sorted(set(counts) - set(reference))
        if not why and len(categories) < 2:
            why = "constant"
        if why:
            out.append(CellStats(n, None, None, None, why))
            continue
        ref = np.array([reference.get(c, 0) for c in categories], dtype=np.float64)
        cur = np.array([counts.get(c, 0) for c in categories], dtype=np.float64)
        chi2, p = chi_squared(ref, cur)
        out.append(CellStats(n, chi2, p, jensen_shannon(ref, cur), ""))
    return out


def chi_squared(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """χ² test of independence on the 2×k table of counts (no empty column).

    The same numbers as ``scipy.stats.chi2_contingency`` with its defaults
    (Yates' continuity correction when k = 2), without its per-call overhead.
    """
    observed = np.vstack((reference, current))
    expected = observed.sum(axis=1, keepdims=True) * observed.sum(axis=0) / observed.sum()
    dof = observed.shape[1] - 1
    if dof == 1:
        shift = expected - observed
        observed = observed + np.sign(shift) * np.minimum(0.5, np.abs(shift))
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    return chi2, float(special.chdtrc(dof, chi2))


def _untestable(n_ref: int, n_cur: int) -> str:
    if n_cur == 0 or n_ref == 0:
        return "all_missing"
    if n_cur < MIN_VALUES or n_ref < MIN_VALUES:
        return "too_few"
    return ""
