"""Comparing an uploaded slice with the reference (or any window) through the drift engine.

The slice is the *current* side of an ordinary drift run: the engine reads it
through :func:`monitoring.slices.slice_source`, stores the result keyed by the
file's content hash, and returns the same :class:`DriftReport` the Feature
drift page shows. Spec columns the file lacked show as "not in the slice".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from monitoring.drift.config import DriftConfig
from monitoring.drift.engine import run_configured, stored_drift
from monitoring.drift.report import ColumnDrift, DriftReport
from monitoring.store import slices
from monitoring.store.connection import Store
from monitoring.store.ingest import RecordFile, stored_labels
from monitoring.store.slices import SliceInfo
from monitoring.timeutil import Bounds
from monitoring.uploads.check import DEFAULT_MAX_BYTES, SliceCheck, check_slice
from monitoring.uploads.slices import inspect, save_checked

NOT_IN_SLICE = "not in the slice: the uploaded file has no such column"


@dataclass(frozen=True)
class SliceComparison:
    """A file's check and, when it passed, its comparison and the slice it was saved as."""

    check: SliceCheck
    report: DriftReport | None = None
    saved: SliceInfo | None = None


def compare_slice(
    store: Store,
    info: SliceInfo,
    config: DriftConfig,
    reference: Bounds | None = None,
    use_stored: bool = True,
    workers: int = 2,
) -> DriftReport:
    """Compare a stored slice (saved or draft) with ``reference`` (default: the spec's)."""
    report = run_configured(
        store,
        info.model,
        config,
        info.bounds,
        reference,
        use_stored,
        workers,
        current_source=slices.slice_source(store, info),
    )
    return _as_slice(report, info)


def stored_slice_drift(
    store: Store, info: SliceInfo, config: DriftConfig, reference: Bounds | None = None
) -> DriftReport | None:
    """The stored comparison of this slice's content, if a fresh one exists (no computing)."""
    source = slices.slice_source(store, info)
    stored = stored_drift(store, info.model, config, info.bounds, reference, source)
    return None if stored is None else _as_slice(stored, info)


def compare_file(
    store: Store,
    file: RecordFile,
    model: str,
    config: DriftConfig,
    reference: Bounds | None = None,
    save_as: str | None = None,
    allow_missing_features: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> SliceComparison:
    """Check ``file`` against ``model`` and, if it passes, compare it (the headless path).

    A file whose content is already saved is compared as that slice (and not
    saved again; ``save_as`` then raises :class:`~monitoring.errors.SliceError`).
    Otherwise it is saved under ``save_as``, or written as a draft that is
    deleted again once compared.
    """
    spec = store.model(model).spec
    labels = tuple(stored_labels(store, spec))
    check = check_slice(file, spec, allow_missing_features, max_bytes, labels)
    if not check.ok:
        return SliceComparison(check)
    check = inspect(store, check, model)
    existing = slices.find_duplicate(store, model, check.sha256)
    if existing is not None and save_as is None:
        return SliceComparison(check, compare_slice(store, existing, config, reference))
    info = save_checked(store, spec, check, save_as)
    try:
        report = compare_slice(store, info, config, reference)
    finally:
        if info.draft:
            slices.delete_slice(store, info.id)
    return SliceComparison(check, report, None if info.draft else info)


def _as_slice(report: DriftReport, info: SliceInfo) -> DriftReport:
    """The report labelled with the slice, its missing columns marked "not in the slice"."""
    columns = tuple(_not_in_slice(c) if c.column in info.missing else c for c in report.columns)
    return replace(
        report, columns=columns, current=info.bounds, current_slice=info.name or info.file_name
    )


def _not_in_slice(column: ColumnDrift) -> ColumnDrift:
    return replace(column, note=NOT_IN_SLICE)
