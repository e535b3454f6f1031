"""Every page shows user-set names as text: nothing planted in a name reaches Streamlit's Markdown.

Streamlit renders Markdown in most of its elements (text, alerts, captions,
headings, widget labels, radio options). The pages run on the hostile database
(``tests/hostile.py``) and every string an element renders as Markdown must be
free of the raw payloads: escaped, they cannot open a link, an image or markup.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from tests.app.conftest import shown
from tests.conftest import REPO
from tests.hostile import FILE, PAYLOAD, RAW, SHORT, hostile_records, hostile_spec

APP = str(REPO / "app.py")
PAGES = (
    "pages/overview.py",
    "pages/feature_drift.py",
    "pages/upload.py",
    "pages/performance.py",
    "pages/timeline.py",
    "pages/review_pack.py",
    "pages/data.py",
)
# Fields Streamlit renders as Markdown; "text" elements and select boxes' options are plain text.
MARKDOWN_FIELDS = ("body", "label", "help", "placeholder", "caption")


def markdown_strings(at: AppTest) -> Iterator[tuple[str, str]]:
    """(element type, text) of every string the page hands Streamlit's Markdown."""
    stack = [at._tree]
    while stack:
        node = stack.pop()
        stack.extend(getattr(node, "children", {}).values())
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if proto is None or kind in ("text", "plotly_chart", "arrow_data_frame", "code"):
            continue
        fields = MessageToDict(proto, preserving_proto_field_name=True)
        for name in MARKDOWN_FIELDS:
            if isinstance(fields.get(name), str):
                yield kind, fields[name]
        if kind == "radio":
            yield from ((kind, option) for option in fields.get("options", []))


def leaks(at: AppTest) -> list[tuple[str, str]]:
    return [(kind, text) for kind, text in markdown_strings(at) if any(r in text for r in RAW)]


@pytest.fixture
def app(hostile_db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("DRIFTWATCH_DB", str(hostile_db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"model": hostile_spec().name, "from": "2024-02-01", "to": "2024-02-29"})
    return at.run()


@pytest.mark.parametrize("page", PAGES)
def test_page_escapes_every_name(app: AppTest, page: str) -> None:
    at = app.switch_page(page).run()
    assert not at.exception
    assert leaks(at) == []


def test_computed_results_and_slices_escape_every_name(app: AppTest) -> None:
    at = app.switch_page("pages/feature_drift.py").run()
    at.button(key="drift_run").click().run()
    assert not at.exception and at.metric  # the comparison is shown
    assert leaks(at) == []
    at.selectbox(key="drift_period").set_value("saved slice").run()
    at.button(key="drift_run").click().run()
    assert not at.exception
    assert leaks(at) == []


def test_notes_are_listed_as_typed(app: AppTest) -> None:
    at = app.switch_page("pages/timeline.py").run()
    notes = [m.value for m in at.markdown if "2024-02-10" in m.value]
    assert len(notes) == 1 and leaks(at) == []
    # What the reader sees: the escapes and the invisible joiners are gone.
    assert shown(notes[0]).endswith(f"note {PAYLOAD}")


def test_a_hostile_link_is_escaped(hostile_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTWATCH_DB", str(hostile_db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"model": PAYLOAD, "from": PAYLOAD, "to": "x"})
    at.run()
    assert not at.exception and at.sidebar.warning
    assert leaks(at) == []


def test_an_upload_and_its_name_are_escaped(
    hostile_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "hostile.duckdb"  # a slice is saved: keep the shared one as it is
    shutil.copy(hostile_db, db)
    monkeypatch.setenv("DRIFTWATCH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"model": hostile_spec().name})
    at.run().switch_page("pages/upload.py").run()
    records = hostile_records(hostile_spec(), 50, "2024-04-01", shift=2.0)
    content = records.drop(columns=[hostile_spec().target]).to_csv(index=False).encode()
    at.file_uploader(key="upload_file").set_value((FILE, content, "text/csv")).run()
    assert not at.exception and at.success  # checked, compared
    assert leaks(at) == []
    at.text_input(key="upload_name").set_value(f"t{SHORT}")
    next(b for b in at.button if b.label == "Save slice").click().run()
    assert not at.exception and any("Saved as slice" in s.value for s in at.success)
    assert leaks(at) == []
