"""Online drift detection: feed the records after the reference, in time order, one by one.

:func:`run_online` fits an online detector on a seeded sample of the
reference and streams a column's values from ``start`` (by default the end of
the reference) in timestamp order, stopping at the first detection or after
``max_records`` values. Numeric columns use ``CVMDriftOnline``; a column with
exactly two reference categories uses ``FETDriftOnline``, which watches the
share of one category (``1``): the spec's positive label for a binary model's
prediction, otherwise the less frequent reference category. Values of other
categories cannot be coded and are skipped (and counted).

The thresholds are configured so that, without drift, a false detection comes
on average once every ``ert`` records (the expected run time, counted from the
moment the smallest window is full).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from monitoring.drift.detectors import CVMOnlineDetector, Detector, FETOnlineDetector
from monitoring.errors import MonitoringError
from monitoring.store import reads
from monitoring.store.connection import Store
from monitoring.timeutil import Bounds

_END_OF_TIME = dt.datetime(9999, 12, 31)


@dataclass(frozen=True)
class OnlineReport:
    """The trajectory of an online detector over one column.

    ``statistics`` and ``thresholds`` have one entry per record fed (``nan``
    statistics until the smallest window is full); ``detection_time`` is the
    1-based position of the first record at which drift was flagged.
    """

    model: str
    column: str
    detector: str
    ert: float
    window_sizes: tuple[int, ...]
    n_reference: int
    start: dt.datetime
    timestamps: tuple[dt.datetime, ...]
    statistics: tuple[float, ...]
    thresholds: tuple[float, ...]
    detection_time: int | None
    detected_at: dt.datetime | None
    skipped: int
    positive: str | None

    @property
    def records(self) -> int:
        """How many records were fed to the detector."""
        return len(self.timestamps)


def run_online(
    store: Store,
    model: str,
    column: str,
    reference: Bounds | None = None,
    start: dt.datetime | None = None,
    ert: float = 200.0,
    window_sizes: tuple[int, ...] = (20, 50),
    max_records: int = 2000,
    reference_cap: int = 500,
    n_bootstraps: int = 2000,
    alternative: str = "greater",
    seed: int = 0,
) -> OnlineReport:
    """Stream ``column`` after the reference through an online detector.

    ``reference_cap`` bounds the reference sample (the detectors' cost grows
    with its square); ``n_bootstraps`` should be well above ``ert``.
    ``alternative`` applies to binary columns: ``greater`` watches for a rise in
    the share of category ``1``, ``less`` for a fall.

    Raises
    ------
    MonitoringError
        For a column that is neither numeric nor binary, an empty reference or
        bad settings.
    """
    if ert <= 1 or max_records < 1 or reference_cap < 2 or not window_sizes:
        raise MonitoringError("ert must exceed 1; max_records, reference_cap and windows positive")
    handle = store.model(model)
    spec = handle.spec
    roles = spec.columns()
    if column not in roles or roles[column] in ("timestamp", "id", "target"):
        raise MonitoringError(
            f"{column!r} is not a feature or output of {model!r}; choose one of "
            f"{[c for c, r in roles.items() if r not in ('timestamp', 'id', 'target')]}"
        )
    ref = reference or (spec.reference.start, spec.reference.end)
    begin = start or ref[1]
    source = handle.source
    numeric = spec.sql_type(column) == "DOUBLE"
    with store.connect() as con:
        sample = reads.sample(con, source, ref, [column], reference_cap, seed)[column].dropna()
        stream = reads.first_rows(con, source, (begin, _END_OF_TIME), column, max_records)
    if len(sample) < 2:
        raise MonitoringError(f"{column!r} has fewer than 2 values in the reference window")
    positive: str | None = None
    skipped = 0
    detector: Detector
    if numeric:
        x_ref = sample.to_numpy(dtype=np.float64)
        values = stream["v"].to_numpy(dtype=np.float64)
        timestamps = stream["ts"]
        detector = CVMOnlineDetector(
            seed=seed, ert=ert, window_sizes=window_sizes, n_bootstraps=n_bootstraps
        )
    else:
        counts = sample.astype(str).value_counts()
        if len(counts) != 2:
            raise MonitoringError(
                f"{column!r} has {len(counts)} categories in the reference sample; online "
                f"detection needs a numeric column or one with exactly 2 categories"
            )
        levels = sorted(counts.index, key=lambda c: (-counts[c], c))
        positive = spec.positive_label if spec.positive_label in levels else levels[1]
        x_ref = (sample.astype(str) == positive).to_numpy(dtype=np.int64)
        text = stream["v"].astype(str)
        known = text.isin(levels).to_numpy()
        skipped = int((~known).sum())
        values = (text[known] == positive).to_numpy(dtype=np.int64)
        timestamps = stream["ts"][known]
        detector = FETOnlineDetector(
            seed=seed,
            ert=ert,
            window_sizes=window_sizes,
            n_bootstraps=n_bootstraps,
            alternative=alternative,
        )
    steps = detector.fit(x_ref).stream(values) if len(values) else []
    fed = [t.to_pydatetime() for t in timestamps.iloc[: len(steps)]]
    hit = next((i for i, s in enumerate(steps) if s.is_drift), None)
    return OnlineReport(
        model=model,
        column=column,
        detector=detector.name,
        ert=ert,
        window_sizes=tuple(window_sizes),
        n_reference=len(x_ref),
        start=begin,
        timestamps=tuple(fed),
        statistics=tuple(s.statistics[0] if s.statistics else math.nan for s in steps),
        thresholds=tuple(math.nan if s.threshold is None else s.threshold for s in steps),
        detection_time=None if hit is None else hit + 1,
        detected_at=None if hit is None else fed[hit],
        skipped=skipped,
        positive=positive,
    )
