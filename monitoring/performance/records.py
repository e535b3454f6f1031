"""The records performance needs, loaded once per range, and their labelled samples.

:func:`load_records` reads timestamp, prediction, target and score of a time
range with one query; :meth:`Records.between` slices a window out of them
without copying, so a whole timeline costs one query. :func:`labelled_sample`
encodes a window's labelled rows for the model's task.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitoring.errors import MonitoringError
from monitoring.performance.metrics import Sample, positive_label
from monitoring.schema import ModelSpec
from monitoring.store.connection import ModelHandle
from monitoring.store.windows import outcome_records


@dataclass(frozen=True)
class Records:
    """A model's records in ``[start, end)``, sorted by time, in the columns performance needs.

    ``target`` and ``prediction`` are object arrays of text (``None`` for a
    missing label) for classifiers and float arrays (``nan`` for a missing
    label) for regressors; ``score`` is P(positive) of a binary model, or
    ``None`` when the spec has no score column.
    """

    spec: ModelSpec
    start: dt.datetime
    end: dt.datetime
    ts: np.ndarray
    prediction: np.ndarray
    target: np.ndarray
    score: np.ndarray | None

    def __len__(self) -> int:
        return len(self.ts)

    @property
    def labelled(self) -> np.ndarray:
        """Boolean mask of the rows whose label has arrived."""
        return np.asarray(pd.notna(self.target), dtype=bool)

    def between(self, start: dt.datetime, end: dt.datetime) -> Records:
        """The rows with ``start <= ts < end`` (a view, no copy)."""
        lo, hi = np.searchsorted(self.ts, [np.datetime64(start), np.datetime64(end)], side="left")
        return Records(
            self.spec,
            max(self.start, start),
            min(self.end, end),
            self.ts[lo:hi],
            self.prediction[lo:hi],
            self.target[lo:hi],
            None if self.score is None else self.score[lo:hi],
        )

    def rows(self, lo: int, hi: int) -> Records:
        """Rows ``lo`` to ``hi - 1`` by position (a view, no copy)."""
        return Records(
            self.spec,
            self.start,
            self.end,
            self.ts[lo:hi],
            self.prediction[lo:hi],
            self.target[lo:hi],
            None if self.score is None else self.score[lo:hi],
        )

    def covers(self, start: dt.datetime, end: dt.datetime) -> bool:
        """True when every record of ``[start, end)`` is in these records."""
        return self.start <= start and end <= self.end


def load_records(model: ModelHandle, start: dt.datetime, end: dt.datetime) -> Records:
    """Load timestamp, prediction, target and score of ``[start, end)`` with one query.

    Raises
    ------
    MonitoringError
        When the model has no target column: without labels there is no
        realized performance, no calibration and no error to test.
    """
    spec = model.spec
    require_target(spec)
    frame = outcome_records(model, start, end)
    regression = spec.task == "regression"
    kind = "float64" if regression else object
    target = frame["target"].to_numpy(dtype=kind)
    prediction = frame["prediction"].to_numpy(dtype=kind)
    if not regression:  # DuckDB hands back NaN or None for NULL text depending on the column
        target[pd.isna(target)] = None
    has_score = spec.task == "binary" and bool(spec.scores)
    return Records(
        spec,
        start,
        end,
        frame["ts"].to_numpy(dtype="datetime64[us]"),
        prediction,
        target,
        frame["score"].to_numpy(dtype="float64") if has_score else None,
    )


def require_target(spec: ModelSpec) -> None:
    """Raise :class:`MonitoringError` for a model without a target column: without labels
    there is no realized performance, no calibration and no error to test."""
    if spec.target is None:
        raise MonitoringError(
            f"model {spec.name!r} has no target column: performance needs labels (set 'target')"
        )


def labelled_sample(records: Records, by_score: bool = True) -> Sample:
    """Encode the labelled rows of ``records`` (that have a prediction) for their model's task.

    ``by_score=False`` keeps the rows of a binary model in time order, for
    :func:`sample_rows` to cut runs from (such a sample is not sorted by score
    as :class:`Sample` requires until it is cut).
    """
    spec = records.spec
    # A row without a prediction says nothing about the model's quality.
    keep = records.labelled & np.asarray(pd.notna(records.prediction), dtype=bool)
    if spec.task == "regression":
        return Sample("regression", records.target[keep], records.prediction[keep], None)
    target = records.target[keep].astype(str)
    predicted = records.prediction[keep].astype(str)
    if spec.task == "binary":
        positive = positive_label(spec)
        y_true = (target == positive).astype(np.int64)
        y_pred = (predicted == positive).astype(np.int64)
        score = None if records.score is None else records.score[keep]
        sample = Sample(
            "binary", y_true, y_pred, score, (_negative_name(target, predicted, positive), positive)
        )
        return sample if not by_score else sample_rows(sample, 0, len(sample))
    classes = tuple(sorted(set(target) | set(predicted)))
    index = {c: i for i, c in enumerate(classes)}
    code = np.vectorize(index.__getitem__, otypes=[np.int64])
    return Sample(
        "multiclass",
        code(target) if len(target) else np.zeros(0, np.int64),
        code(predicted) if len(predicted) else np.zeros(0, np.int64),
        None,
        classes,
    )


def sample_rows(sample: Sample, lo: int, hi: int) -> Sample:
    """Rows ``lo`` to ``hi - 1`` of a regression or binary sample kept in time order
    (``labelled_sample(..., by_score=False)``), sorted by score as a :class:`Sample` is."""
    y_true, y_pred, score = sample.y_true[lo:hi], sample.y_pred[lo:hi], sample.score
    if score is None:
        return Sample(sample.task, y_true, y_pred, None, sample.classes)
    order = np.argsort(score[lo:hi], kind="stable")
    return Sample(sample.task, y_true[order], y_pred[order], score[lo:hi][order], sample.classes)


def _negative_name(target: np.ndarray, predicted: np.ndarray, positive: str) -> str:
    """The negative class's text when the rows show exactly one, else ``"not <positive>"``."""
    # pd.unique hashes in C: a Python set of every row was most of a weekly timeline's time.
    others = set(pd.unique(np.concatenate([target, predicted]))) - {positive, ""}
    return others.pop() if len(others) == 1 else f"not {positive}"
