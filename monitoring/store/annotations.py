"""Dated notes on a model's timeline ("model v2 deployed", "upstream schema change").

Notes live in ``dw_annotations`` and are drawn on every
timeline of their model. A note has a moment (naive, in the timestamp
column's time), non-empty text of at most :data:`MAX_TEXT` characters, and an
id to delete it by.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from monitoring.access import Actor
from monitoring.errors import MonitoringError
from monitoring.store import audit
from monitoring.store.connection import Store
from monitoring.store.sql import abandon
from monitoring.timeutil import naive_utc, utc_now

MAX_TEXT = 200


@dataclass(frozen=True)
class Annotation:
    """One note: when it applies (``at``) and what it says."""

    id: int
    model: str
    at: dt.datetime
    text: str


def add_annotation(
    store: Store,
    model: str,
    at: dt.datetime | dt.date,
    text: str,
    actor: Actor | None = None,
) -> Annotation:
    """Store a note on ``model`` at ``at``; a date means its midnight.

    With ``actor`` the audit log records it (``write_note``) in the same transaction.

    Raises
    ------
    MonitoringError
        Empty (or whitespace-only) text, text longer than :data:`MAX_TEXT`;
        :class:`~monitoring.errors.ModelNotFoundError` for an unknown model.
    """
    clean = " ".join(text.split())
    if not clean:
        raise MonitoringError("a note needs some text")
    if len(clean) > MAX_TEXT:
        raise MonitoringError(
            f"a note has at most {MAX_TEXT} characters; this one has {len(clean):,}"
        )
    store.model(model)  # unknown models are refused with the known ones listed
    moment = naive_utc(at)
    with store.connect() as con:
        con.begin()
        try:
            row = con.execute(
                "INSERT INTO dw_annotations VALUES (nextval('dw_annotation_ids'), ?, ?, ?, ?) "
                "RETURNING id",
                [model, moment, clean, utc_now()],
            ).fetchall()
            if actor is not None:
                audit.record(con, actor, "write_note", model, _described(moment, clean))
            con.commit()
        except BaseException:
            abandon(con)
            raise
    return Annotation(int(row[0][0]), model, moment, clean)


def list_annotations(
    store: Store, model: str, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[Annotation]:
    """The notes of ``model`` with ``start <= at < end`` (either bound optional), oldest first."""
    with store.connect() as con:
        rows = con.execute(
            "SELECT id, model, noted_at, text FROM dw_annotations WHERE model = $model "
            "AND ($start IS NULL OR noted_at >= $start) AND ($end IS NULL OR noted_at < $end) "
            "ORDER BY noted_at, id",
            {"model": model, "start": start, "end": end},
        ).fetchall()
    return [Annotation(int(i), m, at, text) for i, m, at, text in rows]


def delete_annotation(store: Store, annotation_id: int, actor: Actor | None = None) -> bool:
    """Delete a note by id; ``False`` when there was none.

    With ``actor`` the audit log records it (``delete_note``) in the same transaction.
    """
    with store.connect() as con:
        con.begin()
        try:
            gone = con.execute(
                "DELETE FROM dw_annotations WHERE id = ? RETURNING model, noted_at, text",
                [annotation_id],
            ).fetchall()
            if actor is not None:
                for model, moment, text in gone:
                    audit.record(con, actor, "delete_note", model, _described(moment, text))
            con.commit()
        except BaseException:
            abandon(con)
            raise
    return bool(gone)


def _described(moment: dt.datetime, text: str) -> str:
    """A note as the audit log names it."""
    return f"note of {moment:%Y-%m-%d %H:%M}: {text!r}"
