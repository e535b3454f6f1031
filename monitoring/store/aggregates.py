"""Per-window outcome aggregates of a classifier, for performance without loading its rows.

One scan of a model's records over a run of windows returns, per window, the
counts of its rows by *cell*: label, prediction and (binary models with a
score) a fine score bin, with the sums the score metrics need. Everything a
classifier's realized and estimated performance and its error test use is a
function of these cells, so 3M records become a few hundred thousand numbers
and no Python string is made per row.

Binary cells (:func:`binary_cells`), per window ``w``:

- ``y``: 1 where the target is the positive label, 0 for any other label,
  -1 where the label has not arrived;
- ``d``: 1 where the prediction is the positive label, 0 for any other,
  -1 where the row has no prediction;
- ``b``: the score's bin ``floor(score × bins)`` clipped to ``[0, bins − 1]``
  (scores are P(positive), so the bins split ``[0, 1]`` evenly), -1 where the
  row has no finite score;
- ``n`` rows; ``score_sum``, ``score_min``, ``score_max`` of their scores;
  ``squared`` = Σ (score − y)² and ``loss`` = Σ −log of the clipped
  probability of the row's label (scikit-learn's clipping to ``[ε, 1 − ε]``),
  both only meaningful where ``y`` is known.

Multiclass cells (:func:`class_cells`): labelled rows with a prediction
counted by (target, prediction) text.

Records are assigned to windows by ``date_trunc`` for calendar windows (the
first and last may be clipped by the range, which the ``WHERE`` does) and by
an ``ASOF`` join on the window starts for runs of N rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from monitoring.store.buffer_caps import SCAN_CAP
from monitoring.store.connection import ModelHandle
from monitoring.store.sql import quote_ident
from monitoring.timeutil import Bounds

# Fine score bins of [0, 1]: a bin is 1/1024 wide (see docs/performance.md for the
# error of the binned ROC AUC this gives).
SCORE_BINS = 1024
_EPS = float(np.finfo(np.float64).eps)
_WINDOWS_VIEW = "dw_performance_windows"


@dataclass(frozen=True)
class BinaryCells:
    """Row counts and score sums of a binary model's windows, one entry per non-empty cell.

    ``window`` indexes the windows asked for; the other arrays are described in
    the module docstring. Cells are sorted by window, then label, prediction
    and bin.
    """

    window: np.ndarray
    y: np.ndarray
    d: np.ndarray
    b: np.ndarray
    n: np.ndarray
    score_sum: np.ndarray
    score_min: np.ndarray
    score_max: np.ndarray
    squared: np.ndarray
    loss: np.ndarray
    windows: int
    bins: int

    def select(self, mask: np.ndarray) -> BinaryCells:
        """The cells where ``mask`` holds."""
        return BinaryCells(
            self.window[mask],
            self.y[mask],
            self.d[mask],
            self.b[mask],
            self.n[mask],
            self.score_sum[mask],
            self.score_min[mask],
            self.score_max[mask],
            self.squared[mask],
            self.loss[mask],
            self.windows,
            self.bins,
        )

    def per_window(self) -> list[BinaryCells]:
        """One :class:`BinaryCells` per window asked for (empty where it has no rows)."""
        edges = np.searchsorted(self.window, np.arange(self.windows + 1), side="left")
        return [self.select(slice(a, b)) for a, b in itertools.pairwise(edges)]  # type: ignore[arg-type]

    def total(self) -> BinaryCells:
        """All windows' cells merged into one window (cells of equal y, d and bin summed)."""
        key = (
            (self.y.astype(np.int64) + 1) * 3 * (self.bins + 1)
            + (self.d + 1) * (self.bins + 1)
            + (self.b + 1)
        )
        keys, where = np.unique(key, return_inverse=True)

        def add(values: np.ndarray) -> np.ndarray:
            return np.bincount(where, weights=values, minlength=len(keys))

        def pick(values: np.ndarray, fn: np.ufunc, start: float) -> np.ndarray:
            out = np.full(len(keys), start)
            fn.at(out, where, values)
            return out

        b = keys % (self.bins + 1) - 1
        d = (keys // (self.bins + 1)) % 3 - 1
        y = keys // (3 * (self.bins + 1)) - 1
        return BinaryCells(
            np.zeros(len(keys), np.int64),
            y.astype(np.int8),
            d.astype(np.int8),
            b.astype(np.int32),
            add(self.n),
            add(np.nan_to_num(self.score_sum)),
            pick(self.score_min, np.fmin, np.inf),
            pick(self.score_max, np.fmax, -np.inf),
            add(np.nan_to_num(self.squared)),
            add(np.nan_to_num(self.loss)),
            1,
            self.bins,
        )


@dataclass(frozen=True)
class ClassCells:
    """Labelled rows with a prediction counted by (target, prediction) text, per window."""

    window: np.ndarray
    target: np.ndarray
    prediction: np.ndarray
    n: np.ndarray
    windows: int


def binary_cells(
    model: ModelHandle,
    windows: Sequence[Bounds],
    period: str | None,
    positive: str,
    bins: int = SCORE_BINS,
) -> BinaryCells:
    """The binary cells of each of ``windows`` (sorted, contiguous) in one scan.

    ``period`` is the calendar period that cut the windows, or ``None`` for
    runs of N rows. The model must have a target column.
    """
    spec = model.spec
    assert spec.target is not None
    target, prediction = quote_ident(spec.target), quote_ident(spec.prediction)
    score = f"t.{quote_ident(spec.scores[0])}" if spec.scores else "NULL::DOUBLE"
    empty = np.zeros(0)
    if not windows:
        return BinaryCells(
            empty.astype(np.int64), empty.astype(np.int8), empty.astype(np.int8),
            empty.astype(np.int32), empty, empty, empty, empty, empty, empty, 0, bins,
        )  # fmt: skip
    with _assigned(model, windows, period) as (key, join, where, params, con):
        sql = f"""
            WITH base AS NOT MATERIALIZED (
                SELECT {key} AS w,
                       CASE WHEN t.{target} IS NULL THEN -1
                            WHEN CAST(t.{target} AS VARCHAR) = $positive THEN 1 ELSE 0 END AS y,
                       CASE WHEN t.{prediction} IS NULL THEN -1
                            WHEN CAST(t.{prediction} AS VARCHAR) = $positive THEN 1 ELSE 0 END
                           AS d,
                       CASE WHEN isfinite({score}) THEN {score} END AS s
                FROM {model.table} t {join} WHERE {where}
            ), clipped AS NOT MATERIALIZED (
                SELECT w, y, d, s, greatest(least(s, 1 - $eps), $eps) AS c FROM base
            )
            SELECT w, y, d,
                   CASE WHEN s IS NULL THEN -1
                        ELSE least(greatest(floor(s * $bins), 0), $bins - 1) END::INTEGER AS b,
                   count(*) AS n, sum(s) AS s_sum, min(s) AS s_min, max(s) AS s_max,
                   sum((s - y) * (s - y)) AS squared,
                   sum(CASE WHEN y = 1 THEN -ln(c) ELSE -ln(1 - c) END) AS loss
            FROM clipped GROUP BY ALL
        """
        params |= {"positive": positive, "eps": _EPS, "bins": bins}
        result = con.execute(sql, params).fetchnumpy()
    w = _window_index(result["w"], windows, period)
    y = np.asarray(result["y"], dtype=np.int8)
    d = np.asarray(result["d"], dtype=np.int8)
    b = np.asarray(result["b"], dtype=np.int32)
    order = np.lexsort((b, d, y, w))

    def floats(name: str) -> np.ndarray:
        values = np.ma.getdata(result[name]).astype(np.float64)
        mask = np.ma.getmaskarray(result[name])
        return np.where(mask, np.nan, values)[order]

    return BinaryCells(
        w[order], y[order], d[order], b[order], floats("n"), floats("s_sum"), floats("s_min"),
        floats("s_max"), floats("squared"), floats("loss"), len(windows), bins,
    )  # fmt: skip


def class_cells(model: ModelHandle, windows: Sequence[Bounds], period: str | None) -> ClassCells:
    """Labelled rows with a prediction per window and (target, prediction) text, in one scan."""
    spec = model.spec
    assert spec.target is not None
    target, prediction = quote_ident(spec.target), quote_ident(spec.prediction)
    if not windows:
        none = np.zeros(0, dtype=object)
        return ClassCells(np.zeros(0, np.int64), none, none, np.zeros(0), 0)
    with _assigned(model, windows, period) as (key, join, where, params, con):
        sql = f"""
            SELECT {key} AS w, CAST(t.{target} AS VARCHAR) AS target,
                   CAST(t.{prediction} AS VARCHAR) AS prediction, count(*) AS n
            FROM {model.table} t {join}
            WHERE {where} AND t.{target} IS NOT NULL AND t.{prediction} IS NOT NULL
            GROUP BY ALL
        """
        result = con.execute(sql, params).fetchnumpy()
    w = _window_index(result["w"], windows, period)
    order = np.argsort(w, kind="stable")
    return ClassCells(
        w[order],
        np.asarray(result["target"], dtype=object)[order],
        np.asarray(result["prediction"], dtype=object)[order],
        np.asarray(result["n"], dtype=np.float64)[order],
        len(windows),
    )


@dataclass(frozen=True)
class BinaryRows:
    """A binary model's labelled rows with a prediction, encoded, in time order.

    ``y`` and ``d`` are 0/1 (positive label, positive prediction); ``score`` is
    ``nan`` where a row has no finite score.
    """

    y: np.ndarray
    d: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


def binary_rows(
    model: ModelHandle, start: dt.datetime, end: dt.datetime, positive: str
) -> BinaryRows:
    """The labelled rows with a prediction of ``[start, end)``, encoded in SQL (no strings)."""
    spec = model.spec
    assert spec.target is not None
    target, prediction = quote_ident(spec.target), quote_ident(spec.prediction)
    score = quote_ident(spec.scores[0]) if spec.scores else "NULL::DOUBLE"
    ts = model.timestamp
    with model.store.connect() as con:
        result = con.execute(
            f"SELECT (CAST({target} AS VARCHAR) = $positive)::TINYINT AS y, "
            f"(CAST({prediction} AS VARCHAR) = $positive)::TINYINT AS d, "
            f"CASE WHEN isfinite({score}) THEN {score} END AS s "
            f"FROM {model.table} WHERE {ts} >= $start AND {ts} < $end "
            f"AND {target} IS NOT NULL AND {prediction} IS NOT NULL ORDER BY {ts}",
            {"positive": positive, "start": start, "end": end},
        ).fetchnumpy()
    s = result["s"]
    return BinaryRows(
        np.asarray(result["y"], dtype=np.int64),
        np.asarray(result["d"], dtype=np.int64),
        np.where(np.ma.getmaskarray(s), np.nan, np.ma.getdata(s)).astype(np.float64),
    )


@contextmanager
def _assigned(
    model: ModelHandle, windows: Sequence[Bounds], period: str | None
) -> Iterator[tuple[str, str, str, dict[str, object], duckdb.DuckDBPyConnection]]:
    """An open cursor, and the SQL pieces that give each record of the windows its key."""
    ts = f"t.{model.timestamp}"
    params: dict[str, object] = {"lo": windows[0][0], "hi": windows[-1][1]}
    where = f"{ts} >= $lo AND {ts} < $hi"
    with model.store.connect(buffer_cap=SCAN_CAP) as con:
        cursor = con.cursor()
        try:
            if period is not None:
                key, join = f"date_trunc('{period}', {ts})", ""
            else:
                frame = pd.DataFrame({"idx": range(len(windows)), "ws": [w[0] for w in windows]})
                cursor.register(_WINDOWS_VIEW, frame)
                key, join = "v.idx", f"ASOF JOIN {_WINDOWS_VIEW} v ON {ts} >= v.ws"
            yield key, join, where, params, cursor
        finally:
            cursor.close()


def _window_index(keys: np.ndarray, windows: Sequence[Bounds], period: str | None) -> np.ndarray:
    """Each result row's window: the key is the index itself, or a period's start."""
    if period is None:
        return np.asarray(keys, dtype=np.int64)
    starts = np.array([w[0] for w in windows], dtype="datetime64[us]")
    at = np.searchsorted(starts, np.asarray(keys, dtype="datetime64[us]"), side="right") - 1
    # The first window may be clipped: its records' period starts before it.
    return np.maximum(at, 0).astype(np.int64)
