"""From a checked upload to a stored slice: duplicate detection and writing it.

The slices themselves (tables, drafts, saving, deleting) are kept by
:mod:`monitoring.store.slices`; this module connects them to the check of
:mod:`monitoring.uploads.check`.
"""

from __future__ import annotations

from dataclasses import replace

from monitoring.access import Actor
from monitoring.errors import SliceError
from monitoring.schema import ModelSpec
from monitoring.store import slices
from monitoring.store.connection import Store
from monitoring.store.slices import SliceInfo, Upload
from monitoring.uploads.check import SliceCheck


def inspect(store: Store, check: SliceCheck, model: str) -> SliceCheck:
    """``check`` with ``duplicate_of`` set when a saved slice of ``model`` has its content."""
    same = slices.find_duplicate(store, model, check.sha256)
    return replace(check, duplicate_of=same.name if same else None)


def save_checked(
    store: Store,
    spec: ModelSpec,
    check: SliceCheck,
    name: str | None = None,
    actor: Actor | None = None,
) -> SliceInfo:
    """Write a checked file as a slice: saved under ``name``, or a draft if ``None``.

    With ``actor`` the audit log records the upload in the same transaction.

    Raises
    ------
    SliceError
        The check found problems (nothing is written), or the store refused
        the name or the content (see :func:`monitoring.store.slices.write_slice`).
    """
    if not check.ok or check.records is None:
        raise SliceError(f"{check.file_name}: the file has problems; nothing was written")
    upload = Upload(
        check.file_name, check.sha256, check.records, tuple(c for c, _ in check.missing)
    )
    return slices.write_slice(store, spec, upload, name, actor)
