"""Widgets and rendering of the Upload & compare page (session keys start with ``upload_``).

An upload that passes its check is compared at once. To go through the same
engine it is written as a draft slice (see :mod:`monitoring.slices`); this
session remembers the draft's id under ``upload_draft`` and deletes it when
another file is uploaded or the file is removed. Saving names the draft.

Uploading and saving need the editor role, deleting the admin role
(:mod:`monitoring.access`): the controls are shown only to those who may use
them, and the functions that write (:func:`slice_of`, :func:`save`,
:func:`remove`) check the role again themselves.
"""

from __future__ import annotations

import streamlit as st

from monitoring.drift.config import DriftConfig
from monitoring.drift.report import DriftReport
from monitoring.errors import MonitoringError
from monitoring.report import links
from monitoring.report.tables import neutralise
from monitoring.schema import ModelSpec
from monitoring.store import slices
from monitoring.store.ingest import RecordFile, stored_labels
from monitoring.store.slices import SliceInfo
from monitoring.timeutil import Bounds
from monitoring.uploads.check import SliceCheck
from monitoring.uploads.compare import compare_slice
from monitoring.uploads.slices import inspect, save_checked
from ui import auth, data, url
from ui.confirm import confirmed
from ui.memo import Db
from ui.sidebar import Selection
from ui.text import md

FILE_KEY = "upload_file"
DRAFT_KEY = "upload_draft"
BASELINES = ("reference", "window")
_MB = 1024 * 1024


def max_bytes() -> int:
    """The upload limit: ``server.maxUploadSize`` (MB) from ``.streamlit/config.toml``."""
    return int(st.get_option("server.maxUploadSize")) * _MB


def pick_file(selection: Selection) -> RecordFile | None:
    """The uploader; forgets this session's draft when the file goes away."""
    if not auth.may("upload"):
        st.info(
            "Uploading a file needs the editor role. You may browse the saved slices below "
            "and compare them on the Feature drift page."
        )
        return None
    uploaded = st.file_uploader(
        f"A CSV, CSV.gz or Parquet file of **{md(selection.model)}** records "
        f"(at most {max_bytes() // _MB} MB)",
        type=["csv", "gz", "parquet"],
        key=FILE_KEY,
    )
    if uploaded is None:
        drop_draft(selection.db)
        return None
    return RecordFile(uploaded.name, uploaded.getvalue())


def check(selection: Selection, spec: ModelSpec, file: RecordFile) -> SliceCheck:
    """Check the file, asking to confirm a comparison without missing features."""
    labels = tuple(stored_labels(selection.db.store, spec))
    args = (spec, file.name, file.sha256)
    checked = data.checked(*args, False, max_bytes(), labels, file.content)
    only_missing = len(checked.column_problems) == len(checked.missing_features)
    if not checked.ok and checked.missing_features and only_missing:
        allow = st.checkbox(
            "Compare on the other features, without "
            + ", ".join(map(md, checked.missing_features)),
            key="upload_allow_missing",
        )
        if allow:
            checked = data.checked(*args, True, max_bytes(), labels, file.content)
    return inspect(selection.db.store, checked, spec.name) if checked.ok else checked


def show_check(check: SliceCheck) -> None:
    """The summary line, notes, duplicate warning and the table of problems."""
    (st.success if check.ok else st.error)(md(check.summary()))
    for note in check.notes:
        st.caption(md(note))
    if check.duplicate_of:
        st.warning(
            f"The same file (content hash {check.sha256[:12]}…) is already saved as slice "
            f"**{md(check.duplicate_of)}**: it is compared as that slice."
        )
    if not check.ok:
        st.dataframe(neutralise(check.problems_table()), hide_index=True, width="stretch")
        st.caption("Nothing was written. Fix the file and upload it again.")


def slice_of(selection: Selection, spec: ModelSpec, check: SliceCheck) -> SliceInfo:
    """The stored slice to compare: the saved one with this content, or this session's draft."""
    store = selection.db.store
    existing = slices.find_duplicate(store, spec.name, check.sha256)
    if existing is not None:
        return existing
    held = st.session_state.get(DRAFT_KEY)
    if held is not None:
        try:
            draft = slices.get_slice(store, held)
            if draft.sha256 == check.sha256 and draft.model == spec.name:
                return draft
        except MonitoringError:
            pass  # purged meanwhile: write it again
        drop_draft(selection.db)
    actor = auth.require("upload")  # a draft is written: the upload itself
    draft = save_checked(store, spec, check, actor=actor)
    st.session_state[DRAFT_KEY] = draft.id
    return draft


def drop_draft(db: Db) -> None:
    """Delete this session's draft, if it still is one."""
    held = st.session_state.pop(DRAFT_KEY, None)
    if held is None:
        return
    store = db.store
    try:
        if slices.get_slice(store, held).draft:
            slices.delete_slice(store, held)
    except MonitoringError:
        pass  # already gone


def baseline(selection: Selection, spec: ModelSpec) -> tuple[Bounds, str]:
    """What the slice is compared with: the reference or the sidebar's production window."""
    url.seed("upload_baseline", links.AGAINST, BASELINES, "reference")
    choice = st.radio(
        "Compare with",
        BASELINES,
        key="upload_baseline",
        horizontal=True,
        format_func=lambda b: (
            f"the reference ({spec.reference.label()})"
            if b == "reference"
            else f"the sidebar's production window ({selection.label})"
        ),
    )
    url.publish({links.AGAINST: None if choice == "reference" else str(choice)})
    if choice == "window":
        return (selection.start, selection.end), selection.label
    return (spec.reference.start, spec.reference.end), "the reference"


def compare(db: Db, info: SliceInfo, against: Bounds) -> DriftReport:
    """The comparison, from stored results when this content was compared before."""
    with st.spinner(f"Comparing {md(info.label)} …"):
        return compare_slice(db.store, info, DriftConfig(), against)


def save_form(db: Db, info: SliceInfo) -> None:
    """Name and keep a draft; a saved slice just says so."""
    if not info.draft:
        st.caption(f"Saved as slice **{md(info.name)}** on {info.uploaded_at:%Y-%m-%d %H:%M} UTC.")
        return
    with st.form("upload_save_form"):
        # No max_chars: a longer paste would arrive cut or empty; the store names the limit.
        name = st.text_input(
            "Save this slice as", key="upload_name", help=f"At most {slices.MAX_NAME} characters"
        )
        if not st.form_submit_button("Save slice"):
            return
    try:
        saved = save(db, info, name)
    except MonitoringError as exc:
        st.error(md(str(exc)))
        return
    st.session_state.pop(DRAFT_KEY, None)
    st.success(f"Saved as slice **{md(saved.name)}** ({saved.rows:,} rows).")


def save(db: Db, info: SliceInfo, name: str) -> SliceInfo:
    """Keep the draft ``info`` as a slice named ``name`` (editors and admins; audited)."""
    actor = auth.require("save_slice")
    return slices.save_draft(db.store, info.id, name, actor)


def remove(db: Db, info: SliceInfo) -> None:
    """Delete the saved slice ``info`` and its rows (admins only; audited)."""
    actor = auth.require("delete_slice")
    slices.delete_slice(db.store, info.id, actor)


def saved_list(db: Db, model: str) -> None:
    """The model's saved slices; admins may delete one, after confirming."""
    saved = slices.list_slices(db.store, model)
    if not saved:
        st.caption("No saved slices yet.")
        return
    deletes = auth.may("delete_slice")
    for info in saved:
        text, button = st.columns([5, 1], vertical_alignment="center")
        span = f"{info.ts_min:%Y-%m-%d} → {info.ts_max:%Y-%m-%d}" if info.ts_min else "no time axis"
        text.markdown(
            f"**{md(info.name)}** — file {md(info.file_name)}, {info.rows:,} rows, {span}, "
            f"uploaded {info.uploaded_at:%Y-%m-%d %H:%M} UTC, sha256 `{info.sha256[:12]}…`"
        )
        question = (
            f"Delete slice **{md(info.name)}** and its {info.rows:,} rows? Stored comparisons "
            "of it stay, the slice itself cannot be brought back."
        )
        if deletes and confirmed(button, f"upload_delete_{info.id}", "Delete", question):
            remove(db, info)
            st.toast(f"Deleted slice {md(info.name)}")
            st.rerun()
