"""The drift timeline: every window of a model compared with its reference, feature by feature.

:func:`run_timeline` takes windows (cut by a :class:`~monitoring.store.windows.WindowPlan`:
calendar periods or runs of N rows) and returns a :class:`~monitoring.timeline.report.Timeline`:
per window, each feature's p-value, effect size, sample size and missing
share, and the window's verdict. The tests are binned approximations computed
from grouped DuckDB counts (:mod:`monitoring.timeline.stats` says which test
and why); the **verdict rule is the engine's**, applied by the same functions
(:mod:`monitoring.drift.verdicts`): a feature drifts when its p-value is below
the corrected threshold (Bonferroni or Benjamini–Hochberg over the window's
tested features) *and* its effect size is at least ``min_effect``; the window
drifts when any feature does, or at least ``drift_share`` of them when set.

Windows with fewer than ``min_rows`` records are ``"too_few"`` and not tested:
a flag on twelve rows means little. Empty windows are ``"empty"``.

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

from monitoring.drift import detectors, verdicts
from monitoring.drift.config import DriftConfig
from monitoring.drift.report import Kind
from monitoring.errors import MonitoringError
from monitoring.schema import ModelSpec
from monitoring.store import counts as timeline_counts
from monitoring.store.connection import Store
from monitoring.store.counts import Counts, Layout
from monitoring.store.reads import Source
from monitoring.store.windows import Window
from monitoring.timeline import results as timeline_store
from monitoring.timeline import stats as timeline_stats
from monitoring.timeline.report import FeatureCell, Timeline, WindowDrift, WindowStatus
from monitoring.timeline.stats import CellStats
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
) -> Timeline:
    """Compare each of ``windows`` with the reference (default: the spec's).

    Stored windows still fresh are read back; the rest are computed in
    batches of about ``BATCH_ROWS`` records and stored. ``progress(done,
    total)`` is called as windows complete (``total`` counts every window).
    ``config.detector`` does not change the per-feature tests of a timeline
    (they are always the binned ones); correction, thresholds, ``min_effect``
    and ``drift_share`` apply.

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
    fresh: list[WindowDrift] = []
    handle = store.model(model)
    spec, source = handle.spec, handle.source
    with store.connect() as con:
        ref = reference or (spec.reference.start, spec.reference.end)
        key = timeline_store.config_key(model, config, ref, min_rows)
        marks = timeline_store.watermarks(con, model, ref, windows)
        stored = timeline_store.load(con, key, windows, marks) if use_stored else {}
        todo = [w for w in windows if (w.start, w.end) not in stored]
        done = len(windows) - len(todo)
        if progress is not None:
            progress(done, len(windows))
        if todo:
            for batch in _compute(con, source, spec, config, ref, min_rows, todo):
                fresh += batch
                timeline_store.save(con, key, model, batch, marks)
                done += len(batch)
                if progress is not None:
                    progress(done, len(windows))
    by_start = {**stored, **{(w.start, w.end): w for w in fresh}}
    return Timeline(
        model=model,
        config=config,
        reference=ref,
        min_rows=min_rows,
        features=spec.features,
        windows=tuple(by_start[(w.start, w.end)] for w in windows),
        computed=len(fresh),
    )


def covariate_verdicts(
    store: Store, model: str, windows: Sequence[Window], config: DriftConfig | None = None
) -> dict[dt.datetime, bool | None]:
    """The features verdict of each window, by window start (``None``: too small or empty).

    A thin reading of :func:`run_timeline` (stored results are reused) for pages
    that show covariate drift next to something else, such as performance.
    """
    timeline = run_timeline(store, model, windows, config)
    return {w.start: w.drifted for w in timeline.windows}


def _compute(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    spec: ModelSpec,
    config: DriftConfig,
    reference: Bounds,
    min_rows: int,
    windows: Sequence[Window],
) -> Iterator[list[WindowDrift]]:
    """Compute windows batch by batch; only windows with at least ``min_rows`` are scanned.

    The reference is counted once, with the first batch that scans anything.
    """
    span = (windows[0].start, windows[-1].end)
    layout = timeline_counts.fit_layout(
        con, source, spec.numeric_features, spec.categorical_features, reference, span
    )
    ref_counts: Counts | None = None
    for batch in _batches(windows, min_rows):
        counted = [w for w in batch if w.rows >= min_rows]
        tested = {}
        if counted:
            bounds = [(w.start, w.end) for w in counted]
            counts, fresh_ref = timeline_counts.count_windows(
                con, source, layout, bounds, reference if ref_counts is None else None
            )
            if ref_counts is None:
                ref_counts = fresh_ref
            assert ref_counts is not None  # asked for with the first counted batch
            tested = _tested(counted, counts, layout, ref_counts, spec, config)
        yield [tested.get((w.start, w.end)) or _untested(w, spec) for w in batch]


def _batches(windows: Sequence[Window], min_rows: int) -> Iterator[list[Window]]:
    """Consecutive runs of windows holding about ``BATCH_ROWS`` testable records each."""
    batch: list[Window] = []
    rows = 0
    for w in windows:
        batch.append(w)
        rows += w.rows if w.rows >= min_rows else 0
        if rows >= BATCH_ROWS:
            yield batch
            batch, rows = [], 0
    if batch:
        yield batch


def _tested(
    windows: Sequence[Window],
    counts: Counts,
    layout: Layout,
    reference: Counts,
    spec: ModelSpec,
    config: DriftConfig,
) -> dict[tuple[dt.datetime, dt.datetime], WindowDrift]:
    per_feature: dict[str, list[CellStats]] = {}
    for bins in layout.numeric:
        ref = reference.numeric[bins.column]
        per_feature[bins.column] = timeline_stats.numeric_cells(bins, ref, counts)
    for column in layout.categorical:
        ref_cat = reference.categorical[column][0]
        per_feature[column] = timeline_stats.categorical_cells(column, ref_cat, counts)
    kinds = _kinds(spec)
    out = {}
    for i, w in enumerate(windows):
        stats = {f: per_feature[f][i] for f in spec.features}
        p_values = [s.p_value for s in stats.values() if s.p_value is not None]
        threshold = (
            verdicts.correction_threshold(p_values, config.correction, config.p_threshold)
            if p_values
            else None
        )
        cells = tuple(_cell(f, kinds[f], s, w.rows, threshold, config) for f, s in stats.items())
        out[(w.start, w.end)] = WindowDrift(
            w.start, w.end, w.rows, "tested", threshold, _verdict(cells, config), cells
        )
    return out


def _cell(
    feature: str,
    kind: Kind,
    s: CellStats,
    rows: int,
    threshold: float | None,
    config: DriftConfig,
) -> FeatureCell:
    missing = (rows - s.n) / rows if rows else None
    drifted = None
    if s.p_value is not None and threshold is not None:
        drifted = verdicts.column_drifted(s.p_value, s.effect, threshold, config)[1]
    return FeatureCell(
        feature, kind, s.why or "tested", s.n, missing, s.statistic, s.p_value, s.effect, drifted
    )


def _verdict(cells: Sequence[FeatureCell], config: DriftConfig) -> bool | None:
    tested = [c for c in cells if c.drifted is not None]
    return verdicts.family_drifted(sum(bool(c.drifted) for c in tested), len(tested), config)


def _untested(window: Window, spec: ModelSpec) -> WindowDrift:
    status: WindowStatus = "empty" if window.rows == 0 else "too_few"
    kinds = _kinds(spec)
    cells = tuple(
        FeatureCell(f, kinds[f], status, 0, None, None, None, None, None) for f in spec.features
    )
    return WindowDrift(window.start, window.end, window.rows, status, None, None, cells)


def _kinds(spec: ModelSpec) -> dict[str, Kind]:
    kinds: dict[str, Kind] = {c: "numeric" for c in spec.numeric_features}
    kinds.update({c: "categorical" for c in spec.categorical_features})
    return kinds
