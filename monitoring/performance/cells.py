"""A classifier's per-window cells, counted once per plan and shared by every performance part.

:func:`plan_cells` counts the windows of a plan over its range and over the
model's reference in as few DuckDB scans as can be
(:mod:`monitoring.store.aggregates`); realized performance, its bands, the
estimate and the error tests all read the result. :func:`cells_metrics`
computes one window's metrics from its cells (:mod:`monitoring.performance.binned`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from monitoring.performance.binned import binary_window_metrics, class_window_metrics
from monitoring.performance.metrics import MetricValue, positive_label
from monitoring.store.aggregates import BinaryCells, ClassCells, binary_cells, class_cells
from monitoring.store.connection import ModelHandle
from monitoring.store.windows import Window, WindowPlan

Cells = BinaryCells | ClassCells


def window_cells(model: ModelHandle, windows: Sequence[Window], period: str | None) -> list[Cells]:
    """The cells of each of a classifier's ``windows`` (contiguous, in time order), in one scan.

    ``period`` is the calendar period that cut the windows (``None`` for runs
    of N rows).
    """
    bounds = [w.bounds for w in windows]
    if model.spec.task == "binary":
        return list(binary_cells(model, bounds, period, positive_label(model.spec)).per_window())
    found = class_cells(model, bounds, period)
    edges = np.searchsorted(found.window, np.arange(len(windows) + 1), side="left")
    return [
        ClassCells(found.window[a:b], found.target[a:b], found.prediction[a:b], found.n[a:b], 1)
        for a, b in itertools.pairwise(edges)
    ]


def merged(cells: Sequence[Cells]) -> Cells:
    """Several windows' cells as one window's (for the metric over all of them)."""
    if all(isinstance(c, BinaryCells) for c in cells) and cells:
        parts = [c for c in cells if isinstance(c, BinaryCells)]
        first = parts[0]
        arrays = {f: np.concatenate([getattr(p, f) for p in parts]) for f in _BINARY_ARRAYS}
        return BinaryCells(**arrays, windows=1, bins=first.bins).total()
    classes = [c for c in cells if isinstance(c, ClassCells)]
    return ClassCells(
        np.zeros(sum(len(c.n) for c in classes), np.int64),
        np.concatenate([c.target for c in classes]) if classes else np.zeros(0, object),
        np.concatenate([c.prediction for c in classes]) if classes else np.zeros(0, object),
        np.concatenate([c.n for c in classes]) if classes else np.zeros(0),
        1,
    )


def cells_metrics(
    model: ModelHandle,
    cells: Cells,
    metrics: Sequence[str],
    *,
    resamples: int,
    confidence: float,
    rng: np.random.Generator | None,
    min_labelled: int,
) -> dict[str, MetricValue]:
    """Every metric of one classifier window from its cells (see the module docstring)."""
    if isinstance(cells, BinaryCells):
        return binary_window_metrics(
            cells,
            metrics,
            has_scores=bool(model.spec.scores),
            resamples=resamples,
            confidence=confidence,
            rng=rng,
            min_labelled=min_labelled,
        )
    return class_window_metrics(
        cells,
        metrics,
        resamples=resamples,
        confidence=confidence,
        rng=rng,
        min_labelled=min_labelled,
    )


def labelled_rows(cells: Cells) -> int:
    """How many labelled rows with a prediction the cells hold."""
    if isinstance(cells, BinaryCells):
        return int(cells.n[(cells.y >= 0) & (cells.d >= 0)].sum())
    return int(cells.n.sum())


_BINARY_ARRAYS = (
    "window", "y", "d", "b", "n", "score_sum", "score_min", "score_max", "squared", "loss",
)  # fmt: skip


@dataclass(frozen=True)
class PlanCells:
    """A classifier's cells over a plan's windows of its range, and over its reference.

    Computed once (:func:`plan_cells`) and shared by realized performance, its
    bands, the estimate and the error tests, so one command scans the records
    once. ``reference_cells`` are those of the plan cut over the reference
    period (the bands' and the error tests' windows).
    """

    plan: WindowPlan
    windows: tuple[Window, ...]
    cells: tuple[Cells, ...]
    reference_windows: tuple[Window, ...]
    reference_cells: tuple[Cells, ...]


def plan_cells(model: ModelHandle, plan: WindowPlan) -> PlanCells:
    """The cells of ``plan``'s windows and of its cut of the reference, in as few scans as can be.

    Where every reference window is also a window of the range (daily windows
    over the whole history), the reference's cells are taken from the range's
    and the records are scanned once.
    """
    bounds = plan.bounds(model)
    windows = plan.over(*bounds).windows(model) if bounds is not None else []
    cells = window_cells(model, windows, plan.period) if windows else []
    ref = model.spec.reference
    reference = plan.over(ref.start, ref.end).windows(model)
    at = {w.bounds: i for i, w in enumerate(windows)}
    if all(w.bounds in at for w in reference):
        ref_cells = [cells[at[w.bounds]] for w in reference]
    else:
        ref_cells = window_cells(model, reference, plan.period) if reference else []
    return PlanCells(plan, tuple(windows), tuple(cells), tuple(reference), tuple(ref_cells))
