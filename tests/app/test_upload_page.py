"""The Upload & compare page with AppTest: good file, bad files, save, delete, duplicates."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from monitoring.demo import CLASSIFIER
from monitoring.store import slices
from monitoring.store.connection import Store
from monitoring.uploads.slices import save_checked
from tests.app.conftest import shown
from tests.conftest import REPO

APP = str(REPO / "app.py")
PAGE = "pages/upload.py"
UPLOADS = REPO / "tests" / "fixtures" / "uploads"


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database, so that saved slices do not leak between tests."""
    copy = tmp_path / "driftwatch.duckdb"
    shutil.copy(demo_db, copy)
    return copy


def open_page(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("DRIFTWATCH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"model": CLASSIFIER})
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def upload(at: AppTest, name: str, content: bytes | None = None) -> AppTest:
    data = (UPLOADS / name).read_bytes() if content is None else content
    at.file_uploader(key="upload_file").set_value((name, data, "text/csv")).run()
    assert not at.exception
    return at


def slice_rows(db: Path) -> int:
    store = Store(db)
    with store.connect() as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    if f"slices:{CLASSIFIER}" not in tables:
        return 0
    return int(store.query(f'SELECT count(*) AS n FROM "slices:{CLASSIFIER}"')["n"].iloc[0])


def test_good_file_is_checked_and_compared(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(db, monkeypatch)
    assert "No saved slices yet." in [c.value for c in at.caption]
    upload(at, "good.csv")
    assert "300 rows, 17 column(s) matched" in at.success[0].value
    assert "ready to compare" in at.success[0].value
    table = at.dataframe[0].value
    assert len(table) == 12  # one row per feature, as on the Feature drift page
    assert {"temp", "carrier", "dest"} <= set(table["column"])
    assert at.metric[0].label == "Features drifted"
    assert at.metric[3].value == "300"  # current rows: the slice
    assert "upload 'good.csv' against the reference" in [h.value for h in at.subheader]
    # the unsaved upload is a draft: compared, but not listed as a saved slice
    assert slices.list_slices(Store(db), CLASSIFIER) == []


def test_bad_file_names_the_problem_and_writes_nothing(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(db, monkeypatch)
    upload(at, "text_in_numeric.csv")
    assert "cannot be compared" in at.error[0].value
    problems = at.dataframe[0].value
    assert list(problems["column"]) == ["temp"]
    assert "row 3: 'warm'" in problems["problem"].iloc[0]
    assert not at.metric  # no comparison
    assert slice_rows(db) == 0


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("empty.csv", "the file is empty"),
        ("header_only.csv", "header but no rows"),
        ("not_csv.csv", "PNG image"),
        ("latin1.csv", "not UTF-8 text"),
        ("ragged.csv", "ragged rows"),
        ("all_null.csv", "'humid' (numeric) is empty in every row"),
    ],
)
def test_every_bad_fixture_is_refused_on_the_page(
    db: Path, monkeypatch: pytest.MonkeyPatch, name: str, says: str
) -> None:
    at = open_page(db, monkeypatch)
    upload(at, name)
    shown = at.error[0].value + " ".join(
        str(v) for frame in at.dataframe for v in frame.value["problem"]
    )
    assert says in shown
    assert not at.metric
    assert slice_rows(db) == 0


def test_missing_feature_needs_confirmation(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = (UPLOADS / "good.csv").read_text().splitlines()
    header = lines[0].split(",")
    at_temp = header.index("temp")
    content = "\n".join(
        ",".join(v for i, v in enumerate(line.split(",")) if i != at_temp) for line in lines
    ).encode()
    at = open_page(db, monkeypatch)
    upload(at, "no_temp.csv", content)
    assert "feature 'temp' (numeric) is missing" in at.dataframe[0].value["problem"].iloc[0]
    assert not at.metric
    at.checkbox(key="upload_allow_missing").check().run()
    assert not at.exception
    table = at.dataframe[0].value
    row = table[table["column"] == "temp"].iloc[0]
    assert row["note"].startswith("not in the slice")


def test_save_list_duplicate_and_delete(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(db, monkeypatch)
    upload(at, "good.csv")
    at.text_input(key="upload_name").input("july batch")
    at.button[-1].click().run()  # the form's submit button
    assert not at.exception
    assert any("Saved as slice **july batch**" in s.value for s in at.success)
    saved = slices.list_slices(Store(db), CLASSIFIER)
    assert [s.name for s in saved] == ["july batch"]
    assert saved[0].rows == 300 and saved[0].file_name == "good.csv"
    assert any("**july batch**" in m.value for m in at.markdown)

    at = open_page(db, monkeypatch)  # a new session uploads the same content again
    upload(at, "good.csv")
    assert "already saved as slice **july batch**" in at.warning[0].value
    assert slice_rows(db) == 300  # compared as the saved slice: no second copy
    at.button(key=f"upload_delete_{saved[0].id}").click().run()
    assert slices.list_slices(Store(db), CLASSIFIER)  # a delete asks first
    at.button(key=f"upload_delete_{saved[0].id}_yes").click().run()
    assert not at.exception
    assert slices.list_slices(Store(db), CLASSIFIER) == []


def test_a_saved_slice_is_a_window_choice_on_the_feature_drift_page(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitoring.store.ingest import RecordFile
    from monitoring.uploads.check import check_slice

    store = Store(db)
    check = check_slice(RecordFile.from_path(UPLOADS / "good.csv"), store.model(CLASSIFIER).spec)
    saved = save_checked(store, store.model(CLASSIFIER).spec, check, "july batch")
    monkeypatch.setenv("DRIFTWATCH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"model": CLASSIFIER})
    at.run()
    at.switch_page("pages/feature_drift.py").run()
    at.selectbox(key="drift_period").set_value("saved slice").run()
    assert not at.exception
    assert at.selectbox(key="drift_slice").value == saved
    assert "slice 'july batch'" in at.info[0].value  # nothing stored yet
    at.button(key="drift_run").click().run()
    assert not at.exception
    assert at.metric[3].value == "300"
    assert len(at.dataframe[0].value) == 12


def test_a_slice_without_time_or_outputs_is_compared(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = (UPLOADS / "good.csv").read_text().splitlines()
    header = lines[0].split(",")
    gone = {header.index(c) for c in ("scheduled_departure", "predicted_late", "score_late")}
    content = "\n".join(
        ",".join(v for i, v in enumerate(line.split(",")) if i not in gone) for line in lines
    ).encode()
    at = open_page(db, monkeypatch)
    upload(at, "inputs_only.csv", content)
    assert "ready to compare" in at.success[0].value
    notes = " ".join(c.value for c in at.caption)
    assert "the slice has no time axis" in notes
    assert "output drift is not tested" in notes
    assert at.metric[3].value == "300"


def test_the_configured_upload_limit_is_enforced_with_a_message(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit import config

    lines = (UPLOADS / "good.csv").read_text().splitlines()
    big = "\n".join([lines[0], *(lines[1:] * 40)]).encode()  # about 1.4 MB
    assert len(big) > 1024 * 1024
    original = config.get_option("server.maxUploadSize")
    config.set_option("server.maxUploadSize", 1)
    try:
        at = open_page(db, monkeypatch)
        upload(at, "big.csv", big)
    finally:
        config.set_option("server.maxUploadSize", original)
    assert "larger than the limit of 1.0 MB" in at.error[0].value
    assert not at.metric
    assert slice_rows(db) == 0


@pytest.mark.parametrize(
    ("name", "rows"),
    [("good.parquet", 300), ("good.csv.gz", 300), ("hostile_names.csv", 20)],
)
def test_other_good_files_are_compared(
    db: Path, monkeypatch: pytest.MonkeyPatch, name: str, rows: int
) -> None:
    at = open_page(db, monkeypatch)
    upload(at, name)
    assert "ready to compare" in at.success[0].value
    assert at.metric[3].value == str(rows)
    if name == "hostile_names.csv":
        notes = " ".join(shown(c.value) for c in at.caption)
        assert "extra column(s) ignored: 'a\"; DROP TABLE dw_slices; --', 'naïve;col'" in notes
        assert store_intact(db)


def store_intact(db: Path) -> bool:
    return Store(db).models() == ["arrival_delay_regressor", CLASSIFIER]


def test_formula_cells_are_compared_as_categories(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(db, monkeypatch)
    upload(at, "formula_cells.csv")
    assert "ready to compare" in at.success[0].value
    at.selectbox(key="drift_feature").set_value("carrier").run()
    assert not at.exception
    stored = Store(db).query(f'SELECT DISTINCT carrier FROM "slices:{CLASSIFIER}"')["carrier"]
    assert "@SUM(A1:A2)" in set(stored)  # kept as data in the draft
    table = at.dataframe[0].value
    carrier = table[table["column"] == "carrier"].iloc[0]
    assert carrier["unseen"] not in ("", "0.0%")  # the formula-like values are new categories
