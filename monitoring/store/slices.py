"""Uploaded data slices stored beside a model's records.

``dw_slices`` holds one row per slice: model, name (unique per model), file
name, SHA-256 of the file, row count, time span (NULL without timestamps),
the spec columns the file lacked, time of upload and whether it is a draft.
The rows live in one table per model, ``slices:<model>``, with the spec's
columns (all nullable) plus ``_dw_slice``. A slice is written in one
transaction; deleting it removes both.

**Drafts.** A checked upload that is not (yet) saved is still compared with
the same engine, which reads windows from the database: it is written as a
*draft* (no name) and the page keeps its id. Saving a draft only names it.
A draft is deleted when its session uploads another file or is done with it,
and every new draft purges drafts older than :data:`DRAFT_TTL`, so a crash
cannot leave drafts behind for long. Drafts never appear in slice lists.

**Same content twice.** A saved slice with the same content hash is reported
(:func:`find_duplicate`); saving the same content again, under any name, is
refused with a message naming the slice that holds it, and comparing it
reuses that slice (and its stored results).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from monitoring.access import Actor
from monitoring.errors import SliceError
from monitoring.schema import ModelSpec
from monitoring.store import audit
from monitoring.store.connection import Store
from monitoring.store.reads import Source
from monitoring.store.sql import abandon, is_read_only, quote_ident
from monitoring.store.tables import SLICE_COLUMN, create_slice_table, slice_table
from monitoring.timeutil import utc_now

DRAFT_TTL = dt.timedelta(hours=6)
MAX_NAME = 120  # characters of a slice's name

_COLUMNS = (
    "id, model, name, file_name, sha256, row_count, ts_min, ts_max, missing, uploaded_at, draft"
)


@dataclass(frozen=True)
class Upload:
    """What a slice is written from: a checked file's typed rows and where they came from.

    ``records`` has exactly the spec's columns, typed as the store keeps them;
    ``missing`` names the spec columns the file lacked.
    """

    file_name: str
    sha256: str
    records: pd.DataFrame
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class SliceInfo:
    """One stored slice (``name`` is ``None`` for a draft)."""

    id: int
    model: str
    name: str | None
    file_name: str
    sha256: str
    rows: int
    ts_min: dt.datetime | None
    ts_max: dt.datetime | None
    missing: tuple[str, ...]
    uploaded_at: dt.datetime
    draft: bool

    @property
    def label(self) -> str:
        """How people see the slice: its name, or the file name for a draft."""
        return f"slice {self.name!r}" if self.name else f"upload {self.file_name!r}"

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Its time span ``[first, last]`` (half-open), or its upload instant without one."""
        start = self.ts_min or self.uploaded_at
        return start, (self.ts_max or start) + dt.timedelta(microseconds=1)


def find_duplicate(store: Store, model: str, sha256: str) -> SliceInfo | None:
    """The saved slice of ``model`` whose file had this content hash, if any."""
    found = _select(store, "model = ? AND sha256 = ? AND NOT draft", [model, sha256])
    return found[0] if found else None


def list_slices(store: Store, model: str) -> list[SliceInfo]:
    """The saved slices of ``model``, newest first."""
    return _select(store, "model = ? AND NOT draft", [model])


def get_slice(store: Store, slice_id: int) -> SliceInfo:
    """The slice (saved or draft) with this id."""
    found = _select(store, "id = ?", [slice_id])
    if not found:
        raise SliceError(f"no slice with id {slice_id} (it may have been deleted)")
    return found[0]


def write_slice(
    store: Store,
    spec: ModelSpec,
    upload: Upload,
    name: str | None = None,
    actor: Actor | None = None,
) -> SliceInfo:
    """Write an upload's checked rows in one transaction: saved as ``name``, or a draft if ``None``.

    With ``actor`` the audit log records the upload (``upload`` for a draft,
    ``save_slice`` for a named slice) in the same transaction.

    Raises
    ------
    SliceError
        The name is empty or taken, or (for a named slice) a saved slice
        already holds the same content.
    """
    name = _valid_name(name) if name is not None else None
    records = upload.records
    now = utc_now()
    with store.connect() as con:
        con.begin()
        try:
            _purge(con, now - DRAFT_TTL)
            if name is not None:
                _refuse_taken(con, spec.name, name, upload.sha256)
            table = create_slice_table(con, spec)
            slice_id = int(_scalar(con, "SELECT nextval('dw_slice_ids')", []))
            con.register("dw_incoming_slice", records)
            select = ", ".join(quote_ident(c) for c in records.columns)
            con.execute(
                f"INSERT INTO {table} ({select}, {SLICE_COLUMN}) "
                f"SELECT {select}, ? FROM dw_incoming_slice",
                [slice_id],
            )
            con.unregister("dw_incoming_slice")
            ts = quote_ident(spec.timestamp)
            ts_min, ts_max = con.execute(
                f"SELECT min({ts}), max({ts}) FROM {table} WHERE {SLICE_COLUMN} = ?", [slice_id]
            ).fetchall()[0]
            con.execute(
                f"INSERT INTO dw_slices ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    slice_id,
                    spec.name,
                    name,
                    Path(upload.file_name).name,
                    upload.sha256,
                    len(records),
                    ts_min,
                    ts_max,
                    json.dumps(list(upload.missing)),
                    now,
                    name is None,
                ],
            )
            if actor is not None:
                what = _described(name, upload.file_name, slice_id, len(records))
                audit.record(con, actor, "save_slice" if name else "upload", spec.name, what)
            con.commit()
        except BaseException:
            abandon(con)
            raise
    return get_slice(store, slice_id)


def save_draft(store: Store, slice_id: int, name: str, actor: Actor | None = None) -> SliceInfo:
    """Keep a draft as a saved slice named ``name`` (same refusals as :func:`write_slice`).

    With ``actor`` the audit log records it (``save_slice``) in the same transaction.
    """
    name = _valid_name(name)
    draft = get_slice(store, slice_id)
    if not draft.draft:
        raise SliceError(f"{draft.label} is already saved")
    with store.connect() as con:
        con.begin()
        try:
            _refuse_taken(con, draft.model, name, draft.sha256)
            con.execute(
                "UPDATE dw_slices SET name = ?, draft = false WHERE id = ?", [name, slice_id]
            )
            if actor is not None:
                what = _described(name, draft.file_name, slice_id, draft.rows)
                audit.record(con, actor, "save_slice", draft.model, what)
            con.commit()
        except BaseException:
            abandon(con)
            raise
    return get_slice(store, slice_id)


def delete_slice(store: Store, slice_id: int, actor: Actor | None = None) -> None:
    """Delete a slice's rows and its metadata row in one transaction (unknown ids: no-op).

    With ``actor`` the audit log records the deletion (``delete_slice``) in the
    same transaction.
    """
    with store.connect() as con:
        con.begin()
        try:
            if actor is not None:
                for model, name, file_name, rows in con.execute(
                    "SELECT model, name, file_name, row_count FROM dw_slices WHERE id = ?",
                    [slice_id],
                ).fetchall():
                    what = _described(name, file_name, slice_id, rows)
                    audit.record(con, actor, "delete_slice", model, what)
            _delete(con, [slice_id])
            con.commit()
        except BaseException:
            abandon(con)
            raise


def purge_drafts(store: Store, older_than: dt.timedelta = DRAFT_TTL) -> int:
    """Delete drafts uploaded more than ``older_than`` ago; returns how many.

    A read-only file keeps its drafts (0 purged): it can still be shown.
    """
    with store.connect() as con:
        con.begin()
        try:
            count = _purge(con, utc_now() - older_than)
            con.commit()
        except duckdb.InvalidInputException as exc:
            abandon(con)
            if not is_read_only(exc):
                raise
            return 0
        except BaseException:
            abandon(con)
            raise
    return count


def slice_source(store: Store, info: SliceInfo) -> Source:
    """The engine's view of the slice: its model's slice table where ``_dw_slice`` is its id."""
    return Source(
        table=quote_ident(slice_table(info.model)),
        timestamp=store.model(info.model).timestamp,
        predicate=f"{SLICE_COLUMN} = $slice",
        bind=(("slice", info.id),),
        identity=info.sha256,
    )


def _refuse_taken(con: duckdb.DuckDBPyConnection, model: str, name: str, sha256: str) -> None:
    rows = con.execute(
        "SELECT name, sha256 = ? FROM dw_slices WHERE model = ? AND NOT draft "
        "AND (name = ? OR sha256 = ?)",
        [sha256, model, name, sha256],
    ).fetchall()
    for existing, same_content in rows:
        if same_content:
            raise SliceError(
                f"this file's content is already saved as slice {existing!r} of {model!r}"
            )
        raise SliceError(f"model {model!r} already has a slice named {name!r}")


def _purge(con: duckdb.DuckDBPyConnection, before: dt.datetime) -> int:
    ids = [
        int(r[0])
        for r in con.execute(
            "SELECT id FROM dw_slices WHERE draft AND uploaded_at <= ?", [before]
        ).fetchall()
    ]
    _delete(con, ids)
    return len(ids)


def _delete(con: duckdb.DuckDBPyConnection, ids: list[int]) -> None:
    if not ids:
        return
    models = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT model FROM dw_slices WHERE list_contains(?, id)", [ids]
        ).fetchall()
    ]
    for model in models:
        con.execute(
            f"DELETE FROM {quote_ident(slice_table(model))} WHERE list_contains(?, {SLICE_COLUMN})",
            [ids],
        )
    con.execute("DELETE FROM dw_slices WHERE list_contains(?, id)", [ids])


def _select(store: Store, where: str, params: list[Any]) -> list[SliceInfo]:
    with store.connect() as con:
        rows = con.execute(
            f"SELECT {_COLUMNS} FROM dw_slices WHERE {where} ORDER BY uploaded_at DESC, id DESC",
            params,
        ).fetchall()
    return [
        SliceInfo(
            id=int(r[0]),
            model=r[1],
            name=r[2],
            file_name=r[3],
            sha256=r[4],
            rows=int(r[5]),
            ts_min=r[6],
            ts_max=r[7],
            missing=tuple(json.loads(r[8])),
            uploaded_at=r[9],
            draft=bool(r[10]),
        )
        for r in rows
    ]


def _described(name: str | None, file_name: str, slice_id: int, rows: int) -> str:
    """A slice as the audit log names it."""
    what = f"slice {name!r}" if name else "draft"
    return f"{what} (id {slice_id}) from file {Path(file_name).name!r}, {rows:,} rows"


def _valid_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise SliceError("a slice needs a name")
    if len(cleaned) > MAX_NAME:
        raise SliceError(
            f"a slice name has at most {MAX_NAME} characters; this one has {len(cleaned):,}"
        )
    return cleaned


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> Any:
    return con.execute(sql, params).fetchall()[0][0]
