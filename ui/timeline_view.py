"""Widgets and sections of the Timeline page (session keys start with ``timeline_``).

The timeline itself is cached twice: in DuckDB by the library (stored
windows, shared by every user and the ``check`` command) and, for reruns of
the same view, in the server's memory for every session (:func:`ui.memo.shared`)
keyed by database, data version and question, so moving a widget that does not
change the question, or opening the same view in a new tab, costs nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Sequence

import plotly.graph_objects as go
import streamlit as st

from monitoring.drift.config import (
    DriftConfig,
)
from monitoring.performance.applicable import online_column
from monitoring.performance.metrics import headline_metric
from monitoring.report import links
from monitoring.report.figures import heatmap
from monitoring.report.figures import timeline as figures
from monitoring.report.tables import RHO, neutralise, ranking_table
from monitoring.store.annotations import Annotation
from monitoring.timeline.engine import run_timeline
from monitoring.timeline.multivariate import multivariate_timeline
from monitoring.timeline.ranking import FeatureRank, rank_features
from monitoring.timeline.report import Timeline
from monitoring.timeutil import Bounds
from ui import data, memo, notes_view, url
from ui.charts import show_figure
from ui.sidebar import Selection
from ui.timeline_question import NO_MULTIVARIATE, TimelineQuestion

MULTIVARIATE_WINDOWS = 12
# Rows per window for the multivariate chart: MMD's permutations cost the square of the
# sample, and the chart compares windows with each other, so half of a drift run's 1,000
# (a detector whose own cap is smaller keeps it).
MULTIVARIATE_SAMPLE = 500
MAX_WINDOWS = 1_500


def timeline(selection: Selection, q: TimelineQuestion) -> Timeline:
    """The timeline of ``q``, with a progress bar while windows compute."""
    cut = data.windows(selection.db, selection.model, q.plan)
    if len(cut) > MAX_WINDOWS:
        st.warning(
            f"{len(cut):,} windows is more than a chart can show ({MAX_WINDOWS:,} at most): "
            "choose a longer period or a shorter date range."
        )
        st.stop()

    def compute() -> Timeline:
        bar = st.progress(0.0, text="Reading stored windows…")

        def progress(done: int, total: int) -> None:
            text = f"Comparing windows with the reference: {done} of {total}"
            bar.progress(done / max(total, 1), text=text)

        store = selection.db.store
        result = run_timeline(
            store,
            selection.model,
            cut,
            q.config,
            min_rows=q.min_rows,
            progress=progress,
            plan=q.plan,
        )
        bar.empty()
        return result

    return memo.shared(("timeline", selection.db, selection.model, q), compute)


def counts(result: Timeline) -> None:
    """How many windows there are, how many were tested and how many drifted."""
    windows_col, tested_col, drifted_col, quality_col = st.columns(4)
    windows_col.metric("Windows", f"{len(result.windows):,}")
    tested = len(result.tested_windows)
    help_text = f"Complete windows with at least {result.min_rows} rows"
    tested_col.metric("Judged", f"{tested:,}", help=help_text)
    drifted = len(result.drifted_windows)
    drifted_col.metric("Drifted", f"{drifted:,}", help="Windows where a feature drifted")
    quality = sum(bool(w.quality) for w in result.windows)
    quality_col.metric(
        "Data quality",
        f"{quality:,}",
        help="Windows with missing, new or out-of-range values, or a row count, beyond their "
        "usual range",
    )
    untested = result.untested()
    reasons = {
        "partial": "partial (cut by the range, fewer rows than usual)",
        "too_few": f"under {result.min_rows} rows",
        "empty": "empty",
    }
    said = [f"{n} {reasons[s]}" for s, n in untested.items()]
    if said:
        st.caption(f"Not judged, greyed out: {', '.join(said)}.")
    if result.calibration:
        st.caption(f"Thresholds {result.calibration}.")


def overview_charts(selection: Selection, result: Timeline, notes: list[Annotation]) -> None:
    """The heatmap, the volume and the drifted share, each with the notes and the window."""
    production = (selection.start, selection.end)
    share = data.overview(selection.db, selection.model).spec.alerts.drifted_share
    builders: dict[str, Callable[[], go.Figure]] = {
        "heatmap": lambda: heatmap.heatmap_figure(result, result.feature_order()),
        "volume": lambda: figures.volume_figure(result),
        "drifted_share": lambda: figures.share_figure(result, share),
    }
    for name, build in builders.items():
        fig = data.figure(
            (name, _view_key(selection, result), production, tuple(notes)),
            lambda build=build: figures.with_annotations(  # type: ignore[misc]
                figures.highlight(build(), production), notes
            ),
        )
        show_figure(fig, f"{selection.model}_{name}")
    st.caption(
        "A feature drifts when its statistic (KS D for numeric features, Jensen–Shannon "
        "distance for categorical ones) is beyond the range that windows of this shape show "
        "inside the reference itself, and its p-value is below α over the features tested. "
        "The colour is the statistic over that limit: 1 is the edge of the usual range."
        if result.config.rule == "calibrated"
        else "A feature drifts when its p-value is below the corrected threshold and its effect "
        f"size is at least {result.config.min_effect:g}."
    )


def ranking(selection: Selection, result: Timeline, q: TimelineQuestion) -> None:
    """Which feature to look at first: drifted windows, furthest beyond the limit, and how its
    drift goes with the model's headline metric where labels exist."""
    spec = data.overview(selection.db, selection.model).spec
    performance = (
        data.point_performance(selection.db, selection.model, q.plan) if spec.target else None
    )
    metric = headline_metric(spec) if performance is not None else None
    ranks = rank_features(result, performance, metric)
    if not ranks or not result.tested_windows:
        return
    st.subheader("Which feature first")
    show_ranking(ranks, metric, "windows")


def show_ranking(ranks: Sequence[FeatureRank], metric: str | None, windows: str) -> None:
    """The ranking table of :func:`~monitoring.report.tables.ranking_table` and what its
    columns mean; ``windows`` names them on this page ("windows", "weeks")."""
    st.dataframe(
        neutralise(ranking_table(ranks, metric)),
        hide_index=True,
        column_config={
            "largest × limit": st.column_config.NumberColumn(format="%.2f×"),
            RHO: st.column_config.NumberColumn(format="%+.2f"),
            "p (ρ)": st.column_config.NumberColumn(format="%.2g"),
        },
    )
    why = (
        f"ρ: Spearman's correlation, over the judged {windows}, between the feature's drift "
        f"statistic and how far {metric} is from its reference value; p (ρ) says whether it is "
        "more than chance."
        if metric
        else "The model has no labels: there is no performance to correlate the drift with."
    )
    st.caption(f"Most drifted {windows} first, then the furthest beyond the usual limit. {why}")


def feature_chart(selection: Selection, result: Timeline, notes: list[Annotation]) -> None:
    """A feature picker and that feature's p-value and effect over time."""
    order = result.feature_order()
    url.seed("timeline_feature", links.FEATURE, order, order[0])
    feature = st.selectbox("Feature", order, key="timeline_feature")
    url.publish({links.FEATURE: feature})
    fig = data.figure(
        ("feature", _view_key(selection, result), feature, tuple(notes)),
        lambda: figures.with_annotations(figures.feature_figure(result, feature), notes),
    )
    show_figure(fig, f"{selection.model}_{feature}")


def notes_section(selection: Selection, notes: list[Annotation]) -> None:
    """The model's notes and, for those whose role allows it, adding and deleting them."""
    notes_view.section(selection, notes)


def multivariate_chart(selection: Selection, result: Timeline, q: TimelineQuestion) -> None:
    """The multivariate detector's p-value on the newest tested windows, when one is chosen."""
    if q.multivariate == NO_MULTIVARIATE:
        return
    bounds = _tested_bounds(result)
    name = q.multivariate.upper()

    def compute() -> list[tuple[dt.datetime, float | None, int]]:
        bar = st.progress(0.0, text=f"{name} on the last {len(bounds)} tested windows…")

        def progress(done: int, total: int) -> None:
            bar.progress(done / max(total, 1), text=f"{name}: {done} of {total} windows tested")

        own = DriftConfig(q.multivariate).cap or MULTIVARIATE_SAMPLE  # context MMD's is 300
        config = DriftConfig(q.multivariate, sample_cap=min(own, MULTIVARIATE_SAMPLE))
        found = multivariate_timeline(
            selection.db.store, selection.model, bounds, q.multivariate, config, progress
        )
        bar.empty()
        return [p.as_tuple() for p in found]

    key = ("multivariate", selection.db, selection.model, q.multivariate, bounds)
    points = memo.shared(key, compute)
    show_figure(
        figures.multivariate_figure(points, q.multivariate, q.config.p_threshold, result.reference),
        f"{selection.model}_multivariate",
    )


def online_section(selection: Selection) -> None:
    """The online detector, record by record after the reference, on demand.

    It opens on a column whose values do not follow the order records arrive
    in (:func:`~monitoring.performance.applicable.online_column`); a link's
    ``online=COLUMN`` opens it running on that column.
    """
    numeric = data.overview(selection.db, selection.model).spec.numeric_features
    if not numeric:
        return
    url.seed("timeline_online_column", links.ONLINE, numeric, _online_default(selection))
    url.seed_flag("timeline_online_run", links.ONLINE, lambda v: v in numeric)
    running = bool(st.session_state["timeline_online_run"])
    # A key keeps the expander's own state: without one, drawing the result under the toggle
    # made it a new element, which Streamlit draws collapsed.
    with st.expander(
        "Online detector (record by record after the reference)",
        expanded=running,
        key="timeline_online_open",
    ):
        column = st.selectbox("Column", numeric, key="timeline_online_column")
        running = st.toggle("Run the online detector", key="timeline_online_run")
        url.publish({links.ONLINE: str(column) if running else None})
        st.caption(
            "It reads the records after the reference one at a time and stops at the first "
            "detection. ERT (expected run time): without drift, a false alarm comes on average "
            "once every that many records."
        )
        if running:
            with st.spinner("Streaming records through the online detector…"):
                report = data.online(selection.db, selection.model, column)
            show_figure(figures.online_figure(report), f"{selection.model}_online_{column}")


def _view_key(selection: Selection, result: Timeline) -> Hashable:
    """What a timeline's figures depend on besides the window and notes shown: the database
    version, the model and the question (its windows, rule, baseline and minimum rows)."""
    return (selection.db, selection.model, result.config, result.min_rows, _cut(result))


def _cut(result: Timeline) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    return tuple((w.start, w.end) for w in result.windows)


def _online_default(selection: Selection) -> str:
    """The online detector's first column, found once per session, database version and
    model (it reads the reference in time order)."""
    key = ("timeline_online", selection.db, selection.model)
    memo: dict[object, str | None] = st.session_state.setdefault("timeline_memo", {})
    if key not in memo:
        memo.clear()  # one model at a time: the memo stays small
        memo[key] = online_column(selection.db.store, selection.model)
    spec = data.overview(selection.db, selection.model).spec
    return memo[key] or spec.numeric_features[0]


def _tested_bounds(result: Timeline) -> tuple[Bounds, ...]:
    """The newest tested windows the multivariate detector runs on."""
    return tuple((w.start, w.end) for w in result.tested_windows[-MULTIVARIATE_WINDOWS:])


# A widget inside a fragment reruns only that section, not the page: the feature picker
# redraws one chart, the online detector's controls only their expander.
feature_section = st.fragment(feature_chart)
online_fragment = st.fragment(online_section)
