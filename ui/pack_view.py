"""Building review packs from the app (session keys start with ``pack_``)."""

from __future__ import annotations

import time

import streamlit as st

from monitoring.drift.config import DriftConfig
from monitoring.report import links
from monitoring.report.export import STATIC_FORMATS
from monitoring.report.pack import PACK_FORMATS, pack_zip
from monitoring.report.review import PACK_PARTS, drift_pack
from monitoring.report.text import slug
from monitoring.store.slices import SliceInfo
from monitoring.timeutil import Bounds
from ui import data, url
from ui.drift_view import DriftQuestion, method_choice
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
    db: data.Db,
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
    """The pack page's form: what goes in, the formats, build, download."""
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
    url.publish(
        {
            links.DETECTOR: detector,
            links.CORRECTION: correction,
            links.PARTS: None if set(parts) == PACK_PARTS else ",".join(sorted(parts)),
            links.FORMATS: None if formats == choices[:1] else ",".join(formats),
        }
    )
    if problem:
        st.warning(problem)
    request = (
        selection.db,
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
            built_zip = pack_bytes(
                selection.db,
                selection.model,
                (selection.start, selection.end),
                None,
                DriftConfig(detector, correction),
                frozenset(parts),
                tuple(formats),
            )
            status.update(label=f"Built in {time.monotonic() - started:.1f} s", state="complete")
        st.session_state[_BUILT_KEY] = (request, built_zip)
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
