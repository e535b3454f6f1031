"""Roles in the app (AppTest, ``at.user`` as ``st.login`` would set it): who sees and does what.

A viewer browses and exports; an editor also uploads, saves slices and writes
notes; an admin also deletes, after confirming. Each refusal is proven twice:
the control is absent, and calling the view's action directly is refused.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from unittest import mock

import pytest
from streamlit.testing.v1 import AppTest

from monitoring import log_records
from monitoring.store import audit, slices
from monitoring.store.annotations import add_annotation, list_annotations
from monitoring.store.connection import Store
from monitoring.store.slices import Upload
from tests.conftest import REPO, tiny_records, tiny_spec

APP = str(REPO / "app.py")
USERS = {
    "viewer": "vera@example.org",
    "editor": "ed@example.org",
    "admin": "ada@example.org",
}
AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "test-only-0123456789abcdef",
    "client_id": "driftwatch",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small model with one saved slice and one note, and a roles file for three people."""
    path = tmp_path / "roles.duckdb"
    spec = tiny_spec()
    log_records(tiny_records(60, freq="12h"), spec, db=path)
    store = Store(path)
    records = tiny_records(20, start="2024-03-01")[list(spec.columns())]
    records[["pred", "label"]] = records[["pred", "label"]].astype(str)
    slices.write_slice(store, spec, Upload("march.csv", "cd" * 32, records), "March")
    add_annotation(store, "churn", dt.date(2024, 1, 10), "model v2 deployed")
    roles = tmp_path / "roles.toml"
    roles.write_text("[users]\n" + "".join(f'"{e}" = "{r}"\n' for r, e in USERS.items()))
    monkeypatch.setenv("DRIFTWATCH_DB", str(path))
    monkeypatch.setenv("DRIFTWATCH_ROLES", str(roles))
    return path


def signed_in(role: str | None, email: str | None = None) -> dict[str, object]:
    if role is None and email is None:
        return {"is_logged_in": False}
    return {"is_logged_in": True, "email": email or USERS[str(role)], "sub": "x"}


def open_app(user: dict[str, object], page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = user
    at.secrets["auth"] = AUTH
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error") for e in
             getattr(at, kind)]  # fmt: skip
    return "\n".join(parts + [e.value for e in at.sidebar.caption])


def labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def test_a_visitor_sees_only_the_login(db: Path) -> None:
    at = open_app(signed_in(None))
    assert labels(at) == ["Log in"]
    assert not at.title or at.title[0].value == "Driftwatch"
    assert not at.dataframe and not at.sidebar.selectbox  # not even the model names
    with mock.patch("streamlit.login") as login:
        at.button(key="auth_login_default").click().run()
    login.assert_called_once_with()


def test_a_signed_in_stranger_has_no_role_and_sees_nothing(db: Path) -> None:
    at = open_app(signed_in(None, "mallory@example.org"))
    assert "mallory@example.org, who has no role" in texts(at)
    assert labels(at) == ["Log out"] and not at.dataframe


def test_a_broken_roles_file_lets_nobody_in(db: Path, tmp_path: Path) -> None:
    (tmp_path / "roles.toml").write_text('[users]\n"ada@example.org" = "owner"\n')
    at = open_app(signed_in("admin"))
    assert "is not a role" in at.error[0].value and not at.dataframe


def test_a_viewer_browses_and_exports_but_changes_nothing(db: Path) -> None:
    at = open_app(signed_in("viewer"))
    assert at.title[0].value == "Overview" and at.dataframe
    assert "Signed in as **vera@example.org** · viewer" in texts(at)
    at.switch_page("pages/upload.py").run()
    assert not at.exception
    assert not at.get("file_uploader")
    assert "Uploading a file needs the editor role" in texts(at)
    assert "March" in texts(at) and "Delete" not in labels(at)
    at.switch_page("pages/timeline.py").run()
    assert not at.exception
    assert "Writing notes needs the editor role" in texts(at)
    assert "model v2 deployed" in texts(at)
    assert "Add note" not in labels(at) and "Delete" not in labels(at)
    at.switch_page("pages/review_pack.py").run()
    assert not at.exception and "Build review pack" in labels(at)  # exporting is browsing


def test_an_editor_uploads_saves_and_writes_notes_but_deletes_nothing(db: Path) -> None:
    at = open_app(signed_in("editor"), "pages/upload.py")
    frame = tiny_records(30, start="2024-04-01", freq="h")
    at.file_uploader(key="upload_file").set_value(
        ("april.csv", frame.to_csv(index=False).encode(), "text/csv")
    ).run()
    assert not at.exception and "ready to compare" in at.success[0].value
    at.text_input(key="upload_name").set_value("April")
    next(b for b in at.button if b.label == "Save slice").click().run()
    assert not at.exception
    assert [s.name for s in slices.list_slices(Store(db), "churn")] == ["April", "March"]
    assert "Delete" not in labels(at)
    at.switch_page("pages/timeline.py").run()
    at.text_input(key="timeline_note_text").set_value("retrained")
    next(b for b in at.button if b.label == "Add note").click().run()
    assert not at.exception
    assert [n.text for n in list_annotations(Store(db), "churn")][-1] == "retrained"
    assert "Delete" not in labels(at)
    logged = audit.entries(Store(db))
    assert list(logged["action"][:3]) == ["write_note", "save_slice", "upload"]
    assert set(logged["user"][:3]) == {"ed@example.org"} and set(logged["role"][:3]) == {"editor"}


def test_an_admin_deletes_after_confirming_and_the_data_page_shows_who(db: Path) -> None:
    at = open_app(signed_in("admin"), "pages/upload.py")
    delete = next(b for b in at.button if b.label == "Delete")
    delete.click().run()
    assert "Delete slice **March** and its 20 rows?" in texts(at)
    assert slices.list_slices(Store(db), "churn")  # asked, not done
    next(b for b in at.button if b.label == "Cancel").click().run()
    assert slices.list_slices(Store(db), "churn") and "Yes, delete" not in labels(at)
    next(b for b in at.button if b.label == "Delete").click().run()
    next(b for b in at.button if b.label == "Yes, delete").click().run()
    assert not at.exception
    assert slices.list_slices(Store(db), "churn") == []
    at.switch_page("pages/timeline.py").run()
    next(b for b in at.button if b.label == "Delete").click().run()
    next(b for b in at.button if b.label == "Yes, delete").click().run()
    assert not at.exception and list_annotations(Store(db), "churn") == []
    at.switch_page("pages/data.py").run()
    assert not at.exception
    activity = next(
        d.value for d in at.dataframe if "action" in d.value.columns and "user" in d.value.columns
    )
    assert list(activity["action"][:2]) == ["delete_note", "delete_slice"]
    assert set(activity["user"][:2]) == {"ada@example.org"}
    assert "slice 'March'" in activity["object"].iloc[1]


def direct_action() -> None:
    """A page that calls a view's action itself, as a crafted request or a bug might."""
    import os

    import streamlit as st

    from monitoring.store import slices
    from monitoring.store.annotations import list_annotations
    from monitoring.store.ingest import RecordFile
    from ui import memo, notes_view, upload_view
    from ui.sidebar import Selection
    from ui.text import md  # noqa: F401  (the page's imports, as a real page has them)

    db = memo.Db(os.environ["DRIFTWATCH_DB"], 0)
    store = db.store
    info = slices.list_slices(store, "churn")[0]
    note = list_annotations(store, "churn")[0]
    spec = store.model("churn").spec
    selection = Selection(db, "churn", info.uploaded_at, info.uploaded_at)
    action = st.session_state["action"]
    if action == "remove_slice":
        upload_view.remove(db, info)
    elif action == "save_slice":
        upload_view.save(db, info, "renamed")
    elif action == "upload":
        file = RecordFile("x.csv", os.environ["UPLOAD_CSV"].encode())
        upload_view.slice_of(selection, spec, upload_view.check(selection, spec, file))
    elif action == "write_note":
        notes_view.add(selection, note.at.date(), "planted")
    elif action == "remove_note":
        notes_view.remove(selection, note)


@pytest.mark.parametrize(
    ("role", "action", "refusal"),
    [
        ("viewer", "upload", "may not upload files"),
        ("viewer", "save_slice", "may not save slices"),
        ("viewer", "write_note", "may not write notes"),
        ("viewer", "remove_slice", "may not delete slices"),
        ("viewer", "remove_note", "may not delete notes"),
        ("editor", "remove_slice", "may not delete slices"),
        ("editor", "remove_note", "may not delete notes"),
    ],
)
def test_calling_an_action_directly_is_refused(
    db: Path, monkeypatch: pytest.MonkeyPatch, role: str, action: str, refusal: str
) -> None:
    monkeypatch.setenv("UPLOAD_CSV", tiny_records(10, start="2024-05-01").to_csv(index=False))
    store = Store(db)
    before = (slices.list_slices(store, "churn"), list_annotations(store, "churn"))
    drafts = store.query("SELECT count(*) AS n FROM dw_slices")["n"][0]
    at = AppTest.from_function(direct_action, default_timeout=60)
    at.user = signed_in(role)
    at.session_state["action"] = action
    at.run()
    assert at.exception and refusal in at.exception[0].value
    assert (slices.list_slices(store, "churn"), list_annotations(store, "churn")) == before
    assert store.query("SELECT count(*) AS n FROM dw_slices")["n"][0] == drafts  # no draft either


def test_without_a_login_this_machine_may_do_everything_and_is_told(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = AppTest.from_file(APP, default_timeout=60)  # AppTest's default user: no [auth]
    at.run().switch_page("pages/upload.py").run()
    assert not at.exception
    assert "No login: local use only" in texts(at)
    assert at.get("file_uploader") and "Delete" in labels(at)


def test_a_long_paste_is_refused_with_the_real_limit(db: Path) -> None:
    """Pasting 10,000 characters used to arrive empty and read "needs a name"."""
    at = open_app(signed_in("editor"), "pages/upload.py")
    frame = tiny_records(30, start="2024-04-01", freq="h")
    at.file_uploader(key="upload_file").set_value(
        ("april.csv", frame.to_csv(index=False).encode(), "text/csv")
    ).run()
    at.text_input(key="upload_name").set_value("x" * 10_000)
    next(b for b in at.button if b.label == "Save slice").click().run()
    assert "at most 120 characters; this one has 10,000" in at.error[0].value
    at.switch_page("pages/timeline.py").run()
    at.text_input(key="timeline_note_text").set_value("y" * 10_000)
    next(b for b in at.button if b.label == "Add note").click().run()
    assert "a note has at most 200 characters; this one has 10,000" in at.error[0].value
    assert [n.text for n in list_annotations(Store(db), "churn")] == ["model v2 deployed"]
