"""Building review packs from the app (session keys start with ``pack_``)."""

from __future__ import annotations

import time

import streamlit as st

from monitoring.drift.config import DriftConfig
from monitoring.performance.applicable import applicable_metrics, default_metric, readable_plan
from monitoring.performance.metrics import metric_info
from monitoring.report import links
from monitoring.report.export import STATIC_FORMATS
from monitoring.report.pack import PACK_FORMATS, pack_zip
from monitoring.report.review import PACK_PARTS, drift_pack
from monitoring.report.text import slug
from monitoring.store.slices import SliceInfo, list_slices
from monitoring.store.windows import PERIODS, Window, WindowPlan
from monitoring.timeutil import Bounds, span_label
from ui import data, url
from ui.drift_question import DriftQuestion, method_choice
from ui.memo import Db
from ui.performance_view import MIN_LABELLED, ROWS_RANGE
from ui.sidebar import Selection
from ui.text import md

PART_LABELS = {
    "volume": "weekly volume",
    "features": "distributions of the most drifted features",
    "grid": "grid of drifted features",
    "outputs": "prediction and score distributions",
    "table": "drift table (CSV)",
    "performance": "performance per period vs the reference band",
}
PERIOD_KEY, METRIC_KEY = "pack_period", "pack_metric"
_BUILT_KEY = "pack_built"
SIDEBAR, SLICE = "sidebar", "slice"


def pack_bytes(
    db: Db,
    model: str,
    current: Bounds,
    reference: Bounds | None,
    config: DriftConfig,
    parts: frozenset[str] = PACK_PARTS,
    formats: tuple[str, ...] = ("png",),
    uploaded: SliceInfo | None = None,
) -> bytes:
    """The ZIP of one comparison (the drift run is computed if it is not stored)."""
    pack = drift_pack(db.store, model, current, reference, config, include=parts, uploaded=uploaded)
    return pack_zip(pack, formats)


def file_name(model: str, label: str) -> str:
    """``driftwatch_MODEL_WINDOW.zip`` with only safe characters."""
    return slug(f"driftwatch_{model}_{label}") + ".zip"


def quick_download(question: DriftQuestion) -> None:
    """A button that builds the default pack (PNG charts) when pressed, then downloads it."""
    q = question
    formats = ("png",) if data.static_problem() is None else ()
    st.download_button(
        "Review pack (ZIP)",
        lambda: pack_bytes(
            q.db, q.model, q.current, q.reference, q.config, formats=formats, uploaded=q.slice
        ),
        file_name=file_name(q.model, q.current_label),
        mime="application/zip",
        icon=":material/folder_zip:",
        on_click="ignore",
        key="drift_pack_download",
        help="Charts, the drift table as CSV, summary.md and an offline report.html",
    )


def builder(selection: Selection) -> None:
    """The pack page's form: which window, what goes in, the formats, build, download."""
    current, label, uploaded = window_choice(selection)
    left, right = st.columns(2)
    detector, correction = method_choice(left, right, "pack")
    url.seed_many("pack_parts", links.PARTS, sorted(PACK_PARTS), sorted(PACK_PARTS))
    parts = st.multiselect(
        "What goes in",
        sorted(PACK_PARTS),
        format_func=PART_LABELS.__getitem__,
        key="pack_parts",
    )
    problem = data.static_problem()
    choices = [f for f in PACK_FORMATS if not (problem and f in STATIC_FORMATS)]
    url.seed_many("pack_formats", links.FORMATS, choices, choices[:1])
    formats = st.multiselect(
        "Chart formats",
        choices,
        key="pack_formats",
        help="report.html always holds every chart, interactive",
    )
    period, metric = performance_choice(selection)
    url.publish(
        {
            links.DETECTOR: detector,
            links.CORRECTION: correction,
            links.PARTS: None if set(parts) == PACK_PARTS else ",".join(sorted(parts)),
            links.FORMATS: None if formats == choices[:1] else ",".join(formats),
            links.PERIOD: period,
            links.METRIC: metric,
        }
    )
    if problem:
        st.warning(problem)
    request = (
        selection.db,
        selection.model,
        current,
        uploaded,
        detector,
        correction,
        tuple(sorted(parts)),
        tuple(formats),
        period,
        metric,
    )
    if st.button("Build review pack", type="primary", key="pack_build"):
        started = time.monotonic()
        with st.status(f"Building the review pack of {md(label)}…") as status:
            st.write("Drift tests, charts and tables…")
            pack = data.review_pack(
                selection.db,
                selection.model,
                current,
                DriftConfig(detector, correction),
                frozenset(parts),
                uploaded,
                period,
                metric,
            )
            st.write(f"Exporting {len(pack.charts)} charts as {', '.join(formats) or 'HTML'}…")
            built_zip = pack_zip(pack, tuple(formats))
            status.update(label=f"Built in {time.monotonic() - started:.1f} s", state="complete")
        st.session_state[_BUILT_KEY] = (request, built_zip)
    built = st.session_state.get(_BUILT_KEY)
    if built and built[0] == request:
        st.download_button(
            f"Download review pack ({len(built[1]) / 1e6:.1f} MB)",
            built[1],
            file_name=file_name(selection.model, label),
            mime="application/zip",
            type="primary",
            key="pack_download",
            on_click="ignore",
        )


def performance_choice(selection: Selection) -> tuple[str, str | None]:
    """The performance part's period and metric (``None`` for a model without a target).

    They open where the Performance page does: on the finest period whose
    windows are few enough to read and hold enough labels (monthly when none
    does), and on the model's headline metric; metrics that mean nothing for
    the data are not offered.
    """
    spec = selection.db.store.model(selection.model).spec
    summary = data.overview(selection.db, selection.model)
    assert summary.first is not None and summary.last is not None  # a model has ≥ 1 row
    readable = readable_plan(
        summary.first, summary.last, summary.labelled, MIN_LABELLED, ROWS_RANGE
    )
    default_period = readable.period or PERIODS[-1]
    url.seed(PERIOD_KEY, links.PERIOD, PERIODS, default_period)
    left, right = st.columns(2)
    period: str = left.selectbox(
        "Performance windows",
        PERIODS,
        key=PERIOD_KEY,
        format_func=lambda p: f"per {p}",
        help="How the performance chart and table cut the reference and the current window",
    )
    if spec.target is None:
        return period, None
    names = applicable_metrics(spec, data.target_range(selection.db, selection.model))
    url.seed(METRIC_KEY, links.METRIC, names, default_metric(spec, names))
    metric: str = right.selectbox(
        "Performance metric",
        names,
        key=METRIC_KEY,
        format_func=lambda m: metric_info(m).label,
        help="The metric charted and summarised; the performance CSV holds them all",
    )
    return period, metric


def window_choice(selection: Selection) -> tuple[Bounds, str, SliceInfo | None]:
    """Which window the pack is about: the sidebar's, one calendar period, or a saved slice.

    Returns its bounds, its label and the slice (``None`` for a time window).
    """
    saved = list_slices(selection.db.store, selection.model)
    kinds = (SIDEBAR, *PERIODS, *((SLICE,) if saved else ()))
    kind_col, which_col = st.columns(2)
    kind = kind_col.selectbox(
        "Window",
        kinds,
        key="pack_window",
        format_func=lambda k: (
            f"the sidebar's production window ({selection.label})"
            if k == SIDEBAR
            else "a saved slice (uploaded file)"
            if k == SLICE
            else f"one {k}"
        ),
    )
    if kind == SLICE:
        chosen = which_col.selectbox(
            "Which slice",
            saved,
            key="pack_slice",
            format_func=lambda s: f"{s.name} ({s.file_name}, {s.rows:,} rows)",
        )
        assert chosen is not None
        return chosen.bounds, chosen.label, chosen
    if kind == SIDEBAR:
        return (selection.start, selection.end), selection.label, None
    windows = data.filled_windows(selection.db, selection.model, WindowPlan(kind))[::-1]
    picked: Window = which_col.selectbox(
        f"Which {kind}",
        windows,
        key=f"pack_{kind}",
        format_func=lambda w: f"{span_label(*w.bounds)} ({w.rows:,} rows)",
    )
    return picked.bounds, span_label(*picked.bounds), None
