"""Building review packs from the app (session keys start with ``pack_``)."""

from __future__ import annotations

import re
import time

import streamlit as st

from monitoring.drift.report import CORRECTIONS, DETECTOR_CHOICES, DriftConfig
from monitoring.report.export import STATIC_FORMATS
from monitoring.report.pack import PACK_FORMATS, pack_zip
from monitoring.report.review import PACK_PARTS, drift_pack
from monitoring.store.connection import Store
from monitoring.store.reads import Bounds
from monitoring.uploads.slices import SliceInfo
from ui.charts import static_problem
from ui.drift_view import CORRECTION_LABELS, DETECTOR_LABELS
from ui.sidebar import Selection

PART_LABELS = {
    "volume": "weekly volume",
    "features": "distributions of the most drifted features",
    "grid": "grid of drifted features",
    "outputs": "prediction and score distributions",
    "table": "drift table (CSV)",
    "performance": "performance per week vs the reference band",
}
_BUILT_KEY = "pack_built"


def pack_bytes(
    db: str,
    model: str,
    current: Bounds,
    reference: Bounds | None,
    config: DriftConfig,
    parts: frozenset[str] = PACK_PARTS,
    formats: tuple[str, ...] = ("png",),
    uploaded: SliceInfo | None = None,
) -> bytes:
    """The ZIP of one comparison (the drift run is computed if it is not stored)."""
    pack = drift_pack(
        Store(db), model, current, reference, config, include=parts, uploaded=uploaded
    )
    return pack_zip(pack, formats)


def file_name(model: str, label: str) -> str:
    """``driftwatch_MODEL_WINDOW.zip`` with only safe characters."""
    return re.sub(r"[^\w.-]+", "_", f"driftwatch_{model}_{label}").strip("_") + ".zip"


def quick_download(
    db: str,
    model: str,
    current: Bounds,
    reference: Bounds | None,
    config: DriftConfig,
    label: str,
    uploaded: SliceInfo | None = None,
) -> None:
    """A button that builds the default pack (PNG charts) when pressed, then downloads it."""
    formats = ("png",) if static_problem() is None else ()
    st.download_button(
        "Review pack (ZIP)",
        lambda: pack_bytes(
            db, model, current, reference, config, formats=formats, uploaded=uploaded
        ),
        file_name=file_name(model, label),
        mime="application/zip",
        icon=":material/folder_zip:",
        on_click="ignore",
        key="drift_pack_download",
        help="Charts, the drift table as CSV, summary.md and an offline report.html",
    )


def builder(selection: Selection) -> None:
    """The pack page's form: what goes in, the formats, build, download."""
    left, right = st.columns(2)
    detector = left.selectbox(
        "Detector", DETECTOR_CHOICES, key="pack_detector", format_func=DETECTOR_LABELS.__getitem__
    )
    correction = right.radio(
        "Correction",
        CORRECTIONS,
        key="pack_correction",
        horizontal=True,
        format_func=CORRECTION_LABELS.__getitem__,
    )
    parts = st.multiselect(
        "What goes in",
        sorted(PACK_PARTS),
        default=sorted(PACK_PARTS),
        format_func=PART_LABELS.__getitem__,
        key="pack_parts",
    )
    problem = static_problem()
    choices = [f for f in PACK_FORMATS if not (problem and f in STATIC_FORMATS)]
    formats = st.multiselect(
        "Chart formats",
        choices,
        default=choices[:1],
        key="pack_formats",
        help="report.html always holds every chart, interactive",
    )
    if problem:
        st.warning(problem)
    request = (
        selection.db,
        selection.version,
        selection.model,
        selection.start,
        selection.end,
        detector,
        correction,
        tuple(sorted(parts)),
        tuple(formats),
    )
    if st.button("Build review pack", type="primary", key="pack_build"):
        started = time.monotonic()
        with st.status("Building the review pack…") as status:
            data = pack_bytes(
                selection.db,
                selection.model,
                (selection.start, selection.end),
                None,
                DriftConfig(detector, correction),
                frozenset(parts),
                tuple(formats),
            )
            status.update(label=f"Built in {time.monotonic() - started:.1f} s", state="complete")
        st.session_state[_BUILT_KEY] = (request, data)
    built = st.session_state.get(_BUILT_KEY)
    if built and built[0] == request:
        st.download_button(
            f"Download review pack ({len(built[1]) / 1e6:.1f} MB)",
            built[1],
            file_name=file_name(selection.model, selection.label),
            mime="application/zip",
            type="primary",
            key="pack_download",
            on_click="ignore",
        )
