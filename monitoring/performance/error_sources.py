"""A model's errors per window, the input of the error-drift tests.

Classifiers' errors are 0/1 indicators (prediction ≠ label) rebuilt from the
DuckDB counts of :mod:`monitoring.performance.cells`; regressors' are the
residuals (target − prediction) of their labelled rows, read as records.
:mod:`monitoring.performance.errors_drift` tests them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from monitoring.performance.cells import Cells, PlanCells, plan_cells
from monitoring.performance.metrics import Sample, positive_label
from monitoring.performance.records import Records, labelled_sample, load_records
from monitoring.store.aggregates import BinaryCells, binary_rows
from monitoring.store.connection import ModelHandle
from monitoring.store.windows import Window, WindowPlan


class ErrorSource:
    """A model's errors per window: from DuckDB counts for classifiers, from rows for regressors.

    A classifier's errors are 0/1, so a window's are fully told by how many
    there are: its array is rebuilt from the counts (errors first), which is
    all the tests and effects read. Only the calibration runs need the
    reference's errors in time order, and :meth:`in_time` reads them then.
    """

    def __init__(self, handle: ModelHandle, plan: WindowPlan, cells: PlanCells | None) -> None:
        self.handle = handle
        self.plan = plan
        self.task = handle.spec.task
        self._cells = cells if cells is not None and cells.plan == plan else None
        self._records: Records | None = None

    def reference_windows(self) -> list[np.ndarray]:
        """The errors of each of the plan's windows over the reference."""
        if self.task != "regression":
            return [_count_errors(c) for c in self._plan_cells().reference_cells]
        ref = self.handle.spec.reference
        return self._from_rows(self.plan.over(ref.start, ref.end).windows(self.handle))

    def range(self) -> tuple[list[Window], list[np.ndarray]]:
        """The plan's windows over its range and the errors of each."""
        if self.task != "regression":
            found = self._plan_cells()
            return list(found.windows), [_count_errors(c) for c in found.cells]
        bounds = self.plan.bounds(self.handle)
        windows = self.plan.over(*bounds).windows(self.handle) if bounds is not None else []
        return windows, self._from_rows(windows)

    def in_time(self, start: dt.datetime, end: dt.datetime) -> np.ndarray:
        """The errors of the labelled rows of ``[start, end)`` in time order."""
        spec = self.handle.spec
        if spec.task == "binary":
            rows = binary_rows(self.handle, start, end, positive_label(spec))
            return (rows.y != rows.d).astype(np.int64)
        return _errors(labelled_sample(self._rows(start, end), by_score=False))

    def _plan_cells(self) -> PlanCells:
        if self._cells is None:
            self._cells = plan_cells(self.handle, self.plan)
        return self._cells

    def _from_rows(self, windows: Sequence[Window]) -> list[np.ndarray]:
        if not windows:
            return []
        records = self._rows(windows[0].start, windows[-1].end)
        return [_errors(labelled_sample(records.between(w.start, w.end))) for w in windows]

    def _rows(self, start: dt.datetime, end: dt.datetime) -> Records:
        if self._records is None or not self._records.covers(start, end):
            self._records = load_records(self.handle, start, end)
        return self._records.between(start, end)


def _count_errors(cells: Cells) -> np.ndarray:
    """A window's 0/1 errors rebuilt from its cells: how many are wrong, how many right."""
    if isinstance(cells, BinaryCells):
        known = (cells.y >= 0) & (cells.d >= 0)
        wrong = int(cells.n[known & (cells.y != cells.d)].sum())
        total = int(cells.n[known].sum())
    else:
        wrong = int(cells.n[cells.target != cells.prediction].sum())
        total = int(cells.n.sum())
    return np.repeat(np.array([1, 0], dtype=np.int64), [wrong, total - wrong])


def _errors(sample: Sample) -> np.ndarray:
    """Error indicator (classifiers, 0/1) or residual target − prediction (regressors)."""
    if sample.task == "regression":
        return np.asarray(sample.y_true - sample.y_pred, dtype=np.float64)
    return (sample.y_true != sample.y_pred).astype(np.int64)
