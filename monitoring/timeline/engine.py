"""The drift timeline: every window of a model compared with its baseline, feature by feature.

:func:`run_timeline` takes windows (cut by a :class:`~monitoring.store.windows.WindowPlan`:
calendar periods or runs of N rows) and returns a :class:`~monitoring.timeline.report.Timeline`:
per window, each feature's calibrated statistic and threshold, test, effect
size, data quality and verdict. The windows are judged by the one path of
every drift verdict (:mod:`monitoring.drift.judge`): thresholds calibrated on
windows of the same shape cut from the reference, the baseline asked for
(whole reference, same season, or the previous N windows), and the rule of
:mod:`monitoring.drift.verdicts` (``rule="fixed"`` keeps the old "p below the
corrected level and effect ≥ min effect").

Windows are judged only when *complete*: a calendar window clipped by the
range (the first or the last one, such as the current week still filling)
that holds fewer rows than a window of its shape usually does, or the last
run of rows shorter than N, is ``"partial"``; one with fewer than
``min_rows`` records is ``"too_few"`` (a flag on twelve rows means little);
one without records is ``"empty"``.

Results are stored per window (:mod:`monitoring.timeline.results`) and reused
until an import overlapping the window or the reference makes them stale, so
a second visit reads them back and a new import recomputes only the windows
it touched.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator, Sequence

import duckdb

from monitoring.drift import detectors, judge
from monitoring.drift.config import DriftConfig
from monitoring.drift.judge import Calibrated, FeatureCell
from monitoring.drift.shapes import Shape
from monitoring.errors import MonitoringError
from monitoring.schema import ModelSpec
from monitoring.store.buffer_caps import SCAN_CAP
from monitoring.store.connection import ModelHandle, Store
from monitoring.store.counts import calendar_period, count_windows, is_whole_period
from monitoring.store.windows import Window, WindowPlan
from monitoring.timeline import results as timeline_store
from monitoring.timeline.report import Timeline, WindowDrift, WindowStatus
from monitoring.timeutil import Bounds

DEFAULT_MIN_ROWS = 30
# A timeline's per-feature tests are binned KS / chi-squared whatever is asked;
# the choice still keys the stored results and names the run.
TIMELINE_DETECTORS = ("auto", detectors.KSDetector.name, detectors.ChiSquareDetector.name)
BATCH_ROWS = 2_000_000
Progress = Callable[[int, int], None]


def run_timeline(
    store: Store,
    model: str,
    windows: Sequence[Window],
    config: DriftConfig | None = None,
    *,
    reference: Bounds | None = None,
    min_rows: int = DEFAULT_MIN_ROWS,
    use_stored: bool = True,
    progress: Progress | None = None,
    plan: WindowPlan | None = None,
) -> Timeline:
    """Compare each of ``windows`` with its baseline (by default, the spec's reference).

    ``plan`` says how the windows were cut, which fixes the shape thresholds
    are calibrated for; without it the shape is read off the windows (whole
    calendar periods, or runs of rows). Stored windows still fresh are read
    back; the rest are computed in batches of about ``BATCH_ROWS`` records and
    stored. ``progress(done, total)`` is called as windows complete.
    ``config.detector`` does not change the per-feature tests of a timeline
    (they are always the binned ones); the rule, baseline, correction,
    thresholds, ``min_effect`` and ``drift_share`` apply.

    Raises
    ------
    MonitoringError
        ``min_rows`` below 1, overlapping or unsorted windows;
        :class:`~monitoring.errors.ModelNotFoundError` for an unknown model.
    """
    config = config or DriftConfig()
    if min_rows < 1:
        raise MonitoringError(f"min_rows must be at least 1, got {min_rows}")
    if any(a.end > b.start for a, b in itertools.pairwise(windows)):
        raise MonitoringError("timeline windows must be sorted and must not overlap")
    handle = store.model(model)
    shape = _shape(plan, windows)
    ref = reference or (handle.spec.reference.start, handle.spec.reference.end)
    fresh: list[WindowDrift] = []
    calibration = ""
    with store.connect(buffer_cap=SCAN_CAP) as con:
        key = timeline_store.config_key(model, config, ref, min_rows, shape)
        marks = timeline_store.watermarks(con, model, ref, windows)
        stored = timeline_store.load(con, key, windows, marks) if use_stored else {}
        todo = [i for i, w in enumerate(windows) if w.bounds not in stored]
        done = len(windows) - len(todo)
        if progress is not None:
            progress(done, len(windows))
        if todo:
            cal = judge.calibrate(con, handle, shape, ref, config.window_baseline)
            calibration = cal.describe()
            for batch in _compute(con, handle, cal, config, min_rows, windows, todo):
                fresh += batch
                timeline_store.save(con, key, model, batch, marks, calibration)
                done += len(batch)
                if progress is not None:
                    progress(done, len(windows))
    by_bounds = {**stored, **{w.bounds: w for w in fresh}}
    ordered = tuple(by_bounds[w.bounds] for w in windows)
    return Timeline(
        model=model,
        config=config,
        reference=ref,
        min_rows=min_rows,
        features=handle.spec.features,
        windows=ordered,
        computed=len(fresh),
        shape=shape.label(),
        calibration=calibration or next((w.calibration for w in ordered if w.calibration), ""),
    )


def covariate_verdicts(
    store: Store, model: str, windows: Sequence[Window], config: DriftConfig | None = None
) -> dict[dt.datetime, bool | None]:
    """The features verdict of each window, by window start (``None``: not judged).

    A thin reading of :func:`run_timeline` (stored results are reused) for pages
    that show covariate drift next to something else, such as performance.
    """
    timeline = run_timeline(store, model, windows, config)
    return {w.start: w.drifted for w in timeline.windows}


def _compute(
    con: duckdb.DuckDBPyConnection,
    model: ModelHandle,
    cal: Calibrated,
    config: DriftConfig,
    min_rows: int,
    windows: Sequence[Window],
    todo: Sequence[int],
) -> Iterator[list[WindowDrift]]:
    """Judge the windows ``todo`` (indices into ``windows``) batch by batch.

    Only complete windows with at least ``min_rows`` records are scanned; with
    a rolling baseline, the windows before them are counted too, as context.
    """
    context = cal.baseline.windows if cal.baseline.kind == "rolling" else 0
    for batch in _batches(windows, todo, min_rows):
        judged = [i for i in batch if _status(cal, windows[i], min_rows) == "tested"]
        results: dict[int, judge.WindowJudgement] = {}
        if judged:
            first = max(0, judged[0] - context)
            span = range(first, judged[-1] + 1)
            bounds = [windows[i].bounds for i in span]
            counts = count_windows(con, model.source, cal.layout, bounds)
            found = judge.judge(cal, counts, bounds, config, [i - first for i in judged])
            results = {first + position: j for position, j in found.items()}
        yield [_window(windows[i], results.get(i), cal, model.spec, min_rows) for i in batch]


def _batches(windows: Sequence[Window], todo: Sequence[int], min_rows: int) -> Iterator[list[int]]:
    """Consecutive runs of ``todo`` holding about ``BATCH_ROWS`` testable records each."""
    batch: list[int] = []
    rows = 0
    for i in todo:
        batch.append(i)
        rows += windows[i].rows if windows[i].rows >= min_rows else 0
        if rows >= BATCH_ROWS:
            yield batch
            batch, rows = [], 0
    if batch:
        yield batch


def _window(
    window: Window,
    found: judge.WindowJudgement | None,
    cal: Calibrated,
    spec: ModelSpec,
    min_rows: int,
) -> WindowDrift:
    status = _status(cal, window, min_rows)
    description = cal.describe()
    if found is None:
        cells = tuple(
            FeatureCell(f, _kind(spec, f), status, 0, None, None, None, None, None)
            for f in spec.features
        )
        return WindowDrift(window.start, window.end, window.rows, status, None, None, cells,
                           calibration=description)  # fmt: skip
    return WindowDrift(
        window.start,
        window.end,
        window.rows,
        "tested",
        found.threshold,
        found.drifted,
        found.cells,
        volume_low=found.volume_low,
        volume_high=found.volume_high,
        quality=found.quality,
        calibration=description,
    )


def _status(cal: Calibrated, window: Window, min_rows: int) -> WindowStatus:
    if window.rows == 0:
        return "empty"
    if _partial(cal, window):
        return "partial"
    if window.rows < min_rows:
        return "too_few"
    return "tested"


def _partial(cal: Calibrated, window: Window) -> bool:
    """A run of rows shorter than the others, or a calendar window clipped by the range that
    holds fewer rows than usual (a first day starting with the first record is complete)."""
    shape = cal.shape
    if shape.rows is not None:
        return window.rows < shape.rows
    if shape.period is None or is_whole_period(shape.period, window.start, window.end):
        return False
    return cal.volume is None or window.rows < cal.volume.low


def _shape(plan: WindowPlan | None, windows: Sequence[Window]) -> Shape:
    if plan is not None:
        if plan.rows is not None:
            return Shape.of_rows(plan.rows)
        assert plan.period is not None
        return Shape.of_period(plan.period)
    period = calendar_period([w.bounds for w in windows]) if len(windows) > 1 else None
    if period is not None:
        return Shape.of_period(period)
    if len(windows) == 1:
        return Shape.of_span(windows[0].bounds)
    return Shape.of_rows(max(w.rows for w in windows) if windows else 1)


def _kind(spec: ModelSpec, feature: str) -> str:
    return "numeric" if feature in spec.numeric_features else "categorical"
