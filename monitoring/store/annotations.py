"""Dated notes on a model's timeline ("model v2 deployed", "upstream schema change").

Notes live in ``dw_annotations`` (created on first use) and are drawn on every
timeline of their model. A note has a moment (naive, in the timestamp
column's time), non-empty text of at most :data:`MAX_TEXT` characters, and an
id to delete it by.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from monitoring.errors import MonitoringError
from monitoring.store.connection import Store

MAX_TEXT = 200
_TABLE = """
CREATE SEQUENCE IF NOT EXISTS dw_annotation_ids;
CREATE TABLE IF NOT EXISTS dw_annotations (
    id BIGINT PRIMARY KEY,
    model VARCHAR NOT NULL,
    noted_at TIMESTAMP NOT NULL,
    text VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);
"""


@dataclass(frozen=True)
class Annotation:
    """One note: when it applies (``at``) and what it says."""

    id: int
    model: str
    at: dt.datetime
    text: str


def add_annotation(store: Store, model: str, at: dt.datetime | dt.date, text: str) -> Annotation:
    """Store a note on ``model`` at ``at``; a date means its midnight.

    Raises
    ------
    MonitoringError
        Empty (or whitespace-only) text, text longer than :data:`MAX_TEXT`;
        :class:`~monitoring.errors.ModelNotFoundError` for an unknown model.
    """
    clean = " ".join(text.split())
    if not clean:
        raise MonitoringError("an annotation needs some text")
    if len(clean) > MAX_TEXT:
        raise MonitoringError(
            f"an annotation is at most {MAX_TEXT} characters; this one has {len(clean)}"
        )
    store.spec(model)  # unknown models are refused with the known ones listed
    moment = _moment(at)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    with store.connect() as con:
        con.execute(_TABLE)
        row = con.execute(
            "INSERT INTO dw_annotations VALUES (nextval('dw_annotation_ids'), ?, ?, ?, ?) "
            "RETURNING id",
            [model, moment, clean, now],
        ).fetchall()
    return Annotation(int(row[0][0]), model, moment, clean)


def list_annotations(
    store: Store, model: str, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[Annotation]:
    """The notes of ``model`` with ``start <= at < end`` (either bound optional), oldest first."""
    with store.connect() as con:
        con.execute(_TABLE)
        rows = con.execute(
            "SELECT id, model, noted_at, text FROM dw_annotations WHERE model = $model "
            "AND ($start IS NULL OR noted_at >= $start) AND ($end IS NULL OR noted_at < $end) "
            "ORDER BY noted_at, id",
            {"model": model, "start": start, "end": end},
        ).fetchall()
    return [Annotation(int(i), m, at, text) for i, m, at, text in rows]


def delete_annotation(store: Store, annotation_id: int) -> bool:
    """Delete a note by id; ``False`` when there was none."""
    with store.connect() as con:
        con.execute(_TABLE)
        gone = con.execute(
            "DELETE FROM dw_annotations WHERE id = ? RETURNING id", [annotation_id]
        ).fetchall()
    return bool(gone)


def _moment(at: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(at, dt.datetime):
        return at if at.tzinfo is None else at.astimezone(dt.UTC).replace(tzinfo=None)
    return dt.datetime(at.year, at.month, at.day)
