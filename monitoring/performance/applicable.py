"""Which choices make sense for a model's data, so that pages open on a view that tells its story.

- :func:`applicable_metrics`: the metrics worth offering (no MAPE for a target
  that reaches or crosses zero, where a percentage error has no meaning).
- :func:`default_metric`: the metric the model is watched by (its ``[alerts]``).
- :func:`readable_plan`: a window cut with a readable number of windows, each
  holding enough rows (a 50-year daily series cut per week gives 2,600
  windows of 7 rows: an empty chart).
- :func:`default_window`: the newest window whose labels have mostly arrived.
- :func:`online_column`: a column whose values do not follow the order in
  which records arrive, which the online detectors assume.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np

from monitoring.performance.metrics import headline_metric, metrics_for
from monitoring.performance.realized import WindowPerformance
from monitoring.schema import ModelSpec
from monitoring.store import reads
from monitoring.store.connection import Store
from monitoring.store.reads import ColumnStats
from monitoring.store.windows import PERIODS, WindowPlan

READABLE_WINDOWS = 200  # at most this many windows on a chart a reader can follow
TARGET_WINDOWS = 100  # a row-count cut aims at about this many windows
ONLINE_SAMPLE = 2_000  # reference values, in time order, per column for online_column
_PERIOD_LENGTH = {
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(days=1),
    "week": dt.timedelta(days=7),
    "month": dt.timedelta(days=30.44),
}


def target_stats(store: Store, model: str) -> ColumnStats | None:
    """The target's range over the model's reference window (``None`` unless a regressor)."""
    handle = store.model(model)
    spec = handle.spec
    if spec.task != "regression" or spec.target is None:
        return None
    window = (spec.reference.start, spec.reference.end)
    with store.connect() as con:
        _, stats = reads.window_stats(con, handle.source, window, [spec.target], [])
    return stats[spec.target]


def unfit_metrics(spec: ModelSpec, target: ColumnStats | None) -> dict[str, str]:
    """The metrics that make no sense for this data, each with why (for a caption)."""
    if spec.task != "regression" or target is None:
        return {}
    low, high = target.minimum, target.maximum
    if low is not None and high is not None and low <= 0 <= high:
        return {
            "mape": f"{spec.target} runs from {low:,.4g} to {high:,.4g}: a percentage error "
            "means nothing where the target reaches zero"
        }
    return {}


def applicable_metrics(spec: ModelSpec, target: ColumnStats | None) -> tuple[str, ...]:
    """The model's metrics (:func:`metrics_for`) without those :func:`unfit_metrics` names."""
    unfit = unfit_metrics(spec, target)
    return tuple(m for m in metrics_for(spec) if m not in unfit)


def default_metric(spec: ModelSpec, offered: Sequence[str]) -> str:
    """The metric a page opens on: the model's headline metric (its ``[alerts]`` first) when
    offered, else the first offered."""
    headline = headline_metric(spec)
    return headline if headline in offered else offered[0]


def readable_plan(
    first: dt.datetime,
    last: dt.datetime,
    rows: int,
    min_rows: int,
    rows_range: tuple[int, int] = (100, 1_000_000),
) -> WindowPlan:
    """The finest calendar period that cuts ``[first, last]`` into at most
    :data:`READABLE_WINDOWS` windows of at least ``min_rows`` rows on average; else windows
    of a round number of rows, about :data:`TARGET_WINDOWS` of them.

    ``rows`` is what the windows count (all records, or the labelled ones for
    performance); ``rows_range`` bounds a row-count window as the page's input does.
    """
    span = max(last - first, dt.timedelta(hours=1))
    for period in PERIODS:
        windows = math.ceil(span / _PERIOD_LENGTH[period])
        if windows <= READABLE_WINDOWS and rows / windows >= min_rows:
            return WindowPlan(period)
    size = _round_up(max(min_rows, math.ceil(rows / TARGET_WINDOWS)))
    return WindowPlan(rows=min(max(size, rows_range[0]), rows_range[1]))


def default_window(
    windows: Sequence[WindowPerformance], min_labelled: int = 100
) -> WindowPerformance | None:
    """The window a page shows first: the newest whose labelled rows reach half the usual
    (median) labelled count and ``min_labelled``; else the newest with labels; else the newest.

    The newest labelled window is often one whose labels are still arriving (a
    week with 7 % labelled): its reliability curve rests on a handful of rows.
    """
    shown = [w for w in windows if w.status != "empty"]
    labelled = [w for w in shown if w.status == "ok"]
    if not labelled:
        return shown[-1] if shown else None
    usual = float(np.median([w.window.labelled for w in labelled]))
    enough = [w for w in labelled if w.window.labelled >= max(min_labelled, usual / 2)]
    return (enough or labelled)[-1]


def online_column(store: Store, model: str, limit: int = ONLINE_SAMPLE) -> str | None:
    """The numeric feature whose reference values, in time order, are least correlated with
    the value just before (lag-1 autocorrelation closest to 0); ``None`` without one.

    Online detectors assume records arrive in random order. Records come in
    time order, so a feature that rises through each day (the hour of
    departure) "drifts" within the first few dozen records of any stream; a
    feature without that serial dependence makes a detection mean something.
    """
    handle = store.model(model)
    spec = handle.spec
    window = (spec.reference.start, spec.reference.end)
    scores: dict[str, float] = {}
    with store.connect() as con:
        for column in spec.numeric_features:
            values = reads.first_rows(con, handle.source, window, column, limit)["v"]
            scores[column] = _lag_one(values.to_numpy(dtype=np.float64))
    usable = [c for c in spec.numeric_features if math.isfinite(scores[c])]
    if not usable:
        return spec.numeric_features[0] if spec.numeric_features else None
    return min(usable, key=lambda c: abs(scores[c]))  # min keeps the spec's order on ties


def _lag_one(values: np.ndarray) -> float:
    """Pearson correlation of each value with the one before; ``nan`` if undefined."""
    if len(values) < 3:
        return math.nan
    before, after = values[:-1], values[1:]
    if np.std(before) == 0 or np.std(after) == 0:
        return math.nan
    return float(np.corrcoef(before, after)[0, 1])


def _round_up(n: int) -> int:
    """The smallest 1, 2 or 5 × 10^k at or above ``n``."""
    power = 10 ** max(0, len(str(max(n, 1))) - 1)
    for step in (1, 2, 5, 10):
        if step * power >= n:
            return step * power
    return 10 * power
