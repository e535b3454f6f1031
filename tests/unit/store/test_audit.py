"""The audit log: each change through the app, and each import, leaves one row with its change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from monitoring import log_records
from monitoring.access import Actor
from monitoring.errors import SliceError
from monitoring.store import audit, slices
from monitoring.store.annotations import add_annotation, delete_annotation
from monitoring.store.connection import Store
from monitoring.store.ingest import import_file
from monitoring.store.slices import Upload
from tests.conftest import tiny_records, tiny_spec

ADA = Actor("ada@example.org", "admin")
ED = Actor("ed@example.org", "editor")


@pytest.fixture
def model(store: Store) -> Store:
    log_records(tiny_records(20), tiny_spec(), db=store.path)
    return store


def upload(name: str = "batch.csv") -> Upload:
    records = tiny_records(5, start="2024-03-01")[list(tiny_spec().columns())]
    records["pred"] = records["pred"].astype(str)
    records["label"] = records["label"].astype(str)
    return Upload(name, "ab" * 32, records)


def rows(store: Store) -> list[tuple[str, str | None, str, str | None, str]]:
    frame = audit.entries(store)
    return list(frame[["user", "role", "action", "model", "object"]].itertuples(index=False))


def test_slices_and_notes_are_logged_with_who_did_it(model: Store) -> None:
    draft = slices.write_slice(model, tiny_spec(), upload(), actor=ED)
    slices.save_draft(model, draft.id, "March batch", ED)
    note = add_annotation(model, "churn", dt.date(2024, 1, 5), "model v2", ED)
    delete_annotation(model, note.id, ADA)
    slices.delete_slice(model, draft.id, ADA)
    logged = rows(model)[::-1]  # oldest first
    assert [(r[0], r[2]) for r in logged[1:]] == [
        ("ed@example.org", "upload"),
        ("ed@example.org", "save_slice"),
        ("ed@example.org", "write_note"),
        ("ada@example.org", "delete_note"),
        ("ada@example.org", "delete_slice"),
    ]
    assert logged[0][2] == "import"  # the fixture's log_records
    assert all(r[3] == "churn" for r in logged)
    assert logged[2][4] == f"slice 'March batch' (id {draft.id}) from file 'batch.csv', 5 rows"
    assert logged[4][4] == "note of 2024-01-05 00:00: 'model v2'"
    times = audit.entries(model)["at"]
    assert (
        times.is_monotonic_decreasing and (times <= pd.Timestamp.utcnow().tz_localize(None)).all()
    )


def test_a_refused_change_leaves_no_row(model: Store) -> None:
    slices.write_slice(model, tiny_spec(), upload(), "taken", ED)
    before = len(rows(model))
    with pytest.raises(SliceError):
        slices.write_slice(model, tiny_spec(), upload("other.csv"), "taken", ED)
    assert len(rows(model)) == before


def test_imports_name_the_account_that_ran_them(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    tiny_records(4).to_csv(path, index=False)
    import_file(store, path, tiny_spec())
    (user, role, action, model, what) = rows(store)[0]
    assert user.endswith("(command line)") and "@" in user and role is None
    assert (action, model) == ("import", "churn")
    assert what.startswith("import #") and what.endswith("records.csv', 4 rows")


def test_entries_of_one_model(model: Store) -> None:
    log_records(tiny_records(3), tiny_spec(name="other"), db=model.path)
    assert set(audit.entries(model, "other")["model"]) == {"other"}
    assert set(audit.entries(model)["model"]) == {"churn", "other"}
