"""Saved slices: one transaction, drafts, duplicates, delete, and comparison through the engine."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from monitoring import log_records
from monitoring.drift.config import DriftConfig
from monitoring.errors import SliceError
from monitoring.report.pack import table_csv
from monitoring.schema import ModelSpec
from monitoring.store import slices
from monitoring.store.connection import Store
from monitoring.store.ingest import RecordFile
from monitoring.uploads.check import SliceCheck, check_slice
from monitoring.uploads.compare import NOT_IN_SLICE, compare_file, compare_slice
from monitoring.uploads.slices import inspect, save_checked
from tests.conftest import tiny_records, tiny_spec

HOSTILE = 'a"; DROP TABLE dw_slices; --'


@pytest.fixture
def model(store: Store) -> ModelSpec:
    """A model with 60 January records (the reference) and 30 February ones."""
    spec = tiny_spec()
    log_records(tiny_records(60, start="2024-01-01", freq="12h"), spec, db=store.path)
    log_records(tiny_records(30, start="2024-02-01", freq="D"), spec, db=store.path)
    return spec


def slice_csv(
    rows: int = 40, shift: float = 0.0, name: str = "batch.csv", **drop: bool
) -> RecordFile:
    frame = tiny_records(rows, start="2024-03-01", freq="h")
    frame["age"] = frame["age"] + shift
    frame = frame.drop(columns=[c for c, gone in drop.items() if gone])
    return RecordFile(name, frame.to_csv(index=False).encode())


def checked(spec: ModelSpec, file: RecordFile, **options: bool) -> SliceCheck:
    check = check_slice(file, spec, **options)
    assert check.ok, check.messages()
    return check


def count(store: Store, sql: str) -> int:
    return int(store.query(sql).iloc[0, 0])


def test_a_saved_slice_keeps_its_metadata_and_rows(store: Store, model: ModelSpec) -> None:
    info = save_checked(store, model, checked(model, slice_csv()), "march")
    assert (info.name, info.file_name, info.rows, info.draft) == ("march", "batch.csv", 40, False)
    assert info.sha256 == slice_csv().sha256
    assert info.ts_min == dt.datetime(2024, 3, 1) and info.ts_max == dt.datetime(2024, 3, 2, 15)
    assert slices.list_slices(store, "churn") == [info]
    assert count(store, f'SELECT count(*) FROM "slices:churn" WHERE _dw_slice = {info.id}') == 40
    assert store.imports("churn")["row_count"].sum() == 90  # the model's own records untouched


def test_names_are_unique_per_model_and_same_content_is_refused(
    store: Store, model: ModelSpec
) -> None:
    save_checked(store, model, checked(model, slice_csv()), "march")
    with pytest.raises(SliceError, match="already has a slice named 'march'"):
        save_checked(store, model, checked(model, slice_csv(shift=1)), "march")
    with pytest.raises(SliceError, match="already saved as slice 'march'"):
        save_checked(store, model, checked(model, slice_csv()), "again")
    with pytest.raises(SliceError, match="needs a name"):
        save_checked(store, model, checked(model, slice_csv(shift=2)), "  ")
    assert [s.name for s in slices.list_slices(store, "churn")] == ["march"]
    assert count(store, 'SELECT count(*) FROM "slices:churn"') == 40


def test_duplicate_content_is_reported_by_hash(store: Store, model: ModelSpec) -> None:
    check = checked(model, slice_csv())
    assert inspect(store, check, "churn").duplicate_of is None
    save_checked(store, model, check, "march")
    renamed = RecordFile("other-name.csv", slice_csv().content)
    assert inspect(store, checked(model, renamed), "churn").duplicate_of == "march"


def test_a_bad_check_writes_nothing(store: Store, model: ModelSpec) -> None:
    bad = check_slice(RecordFile("x.csv", b"ts,age\n2024-01-01,old\n"), model)
    with pytest.raises(SliceError, match="nothing was written"):
        save_checked(store, model, bad, "bad")
    assert slices.list_slices(store, "churn") == []


def test_a_failing_write_rolls_back_everything(
    store: Store, model: ModelSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_checked(store, model, checked(model, slice_csv()), "march")

    def broken(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(slices, "_refuse_taken", broken)
    with pytest.raises(RuntimeError):
        save_checked(store, model, checked(model, slice_csv(shift=3)), "april")
    assert [s.name for s in slices.list_slices(store, "churn")] == ["march"]
    assert count(store, 'SELECT count(*) FROM "slices:churn"') == 40


def test_drafts_are_hidden_saved_by_naming_and_purged_when_old(
    store: Store, model: ModelSpec
) -> None:
    draft = save_checked(store, model, checked(model, slice_csv()))
    assert draft.draft and draft.name is None
    assert slices.list_slices(store, "churn") == []
    saved = slices.save_draft(store, draft.id, "kept")
    assert (saved.id, saved.name, saved.draft) == (draft.id, "kept", False)
    with pytest.raises(SliceError, match="already saved"):
        slices.save_draft(store, draft.id, "twice")
    old = save_checked(store, model, checked(model, slice_csv(shift=5)))
    store.query(
        "UPDATE dw_slices SET uploaded_at = uploaded_at - INTERVAL 7 HOUR WHERE id = ?", [old.id]
    )
    fresh = save_checked(store, model, checked(model, slice_csv(shift=6)))  # purges `old`
    with pytest.raises(SliceError, match="no slice with id"):
        slices.get_slice(store, old.id)
    assert slices.get_slice(store, fresh.id).draft
    assert slices.purge_drafts(store, dt.timedelta(0)) == 1
    assert count(store, 'SELECT count(*) FROM "slices:churn"') == 40  # only "kept" remains


def test_delete_removes_rows_and_metadata(store: Store, model: ModelSpec) -> None:
    a = save_checked(store, model, checked(model, slice_csv()), "a")
    b = save_checked(store, model, checked(model, slice_csv(shift=1)), "b")
    slices.delete_slice(store, a.id)
    assert [s.name for s in slices.list_slices(store, "churn")] == ["b"]
    assert count(store, 'SELECT count(DISTINCT _dw_slice) FROM "slices:churn"') == 1
    assert count(store, f'SELECT count(*) FROM "slices:churn" WHERE _dw_slice = {b.id}') == 40
    slices.delete_slice(store, a.id)  # already gone: nothing happens


def test_a_slice_is_compared_by_the_engine_and_stored_by_content(
    store: Store, model: ModelSpec
) -> None:
    info = save_checked(store, model, checked(model, slice_csv(shift=40)), "shifted")
    report = compare_slice(store, info, DriftConfig())
    assert report.rows_current == 40 and report.rows_reference == 60
    assert report.current_slice == "shifted"
    assert report.current == info.bounds
    assert report.column("age").drifted is True
    assert report.column("plan").status == "tested"
    again = compare_slice(store, info, DriftConfig())
    assert again.from_store and again.column("age").p_value == report.column("age").p_value
    # a draft of the same content reuses the stored result: the key is the content hash
    slices.delete_slice(store, info.id)
    draft = save_checked(store, model, checked(model, slice_csv(shift=40)))
    assert compare_slice(store, draft, DriftConfig()).from_store
    runs = store.query("SELECT count(*) AS n FROM dw_drift_runs WHERE model = 'churn'")
    assert runs["n"][0] == 1


def test_a_slice_against_a_production_window(store: Store, model: ModelSpec) -> None:
    info = save_checked(store, model, checked(model, slice_csv()), "march")
    report = compare_slice(
        store, info, DriftConfig(), (dt.datetime(2024, 2, 1), dt.datetime(2024, 3, 1))
    )
    assert report.rows_reference == 29  # February 2024 holds 29 of the 30 daily records


def test_missing_columns_show_as_not_in_the_slice(store: Store, model: ModelSpec) -> None:
    file = slice_csv(age=True, ts=True, pred=True)
    info = save_checked(store, model, checked(model, file, allow_missing_features=True))
    assert set(info.missing) == {"age", "ts", "pred"}
    assert info.ts_min is None and info.bounds[0] == info.uploaded_at
    report = compare_slice(store, info, DriftConfig())
    for column in ("age", "pred"):
        assert report.column(column).note == NOT_IN_SLICE
        assert report.column(column).drifted is None
    assert report.column("income").status == "tested"
    assert report.verdict.tested == 2


def test_compare_file_drafts_are_deleted_after_comparing(store: Store, model: ModelSpec) -> None:
    result = compare_file(store, slice_csv(), "churn", DriftConfig())
    assert result.report is not None and result.saved is None
    assert count(store, 'SELECT count(*) FROM "slices:churn"') == 0
    saved = compare_file(store, slice_csv(), "churn", DriftConfig(), save_as="kept")
    assert saved.saved is not None and saved.saved.name == "kept"
    again = compare_file(store, slice_csv(), "churn", DriftConfig())
    assert again.check.duplicate_of == "kept" and again.report is not None
    with pytest.raises(SliceError, match="already saved as slice 'kept'"):
        compare_file(store, slice_csv(), "churn", DriftConfig(), save_as="other")
    bad = compare_file(store, RecordFile("e.csv", b""), "churn", DriftConfig())
    assert bad.report is None and bad.check.file_problems == ("the file is empty",)


def test_hostile_names_pass_through_storage_and_the_engine(store: Store) -> None:
    spec = tiny_spec("odd; model", numeric_features=(HOSTILE, "naïve;col"))
    frame = tiny_records(40, freq="12h").rename(columns={"age": HOSTILE, "income": "naïve;col"})
    log_records(frame, spec, db=store.path)
    upload = frame.assign(ts=pd.date_range("2024-03-01", periods=40, freq="h"))
    upload[HOSTILE] = upload[HOSTILE] * 3
    file = RecordFile("h.csv", upload.to_csv(index=False).encode())
    info = save_checked(store, spec, checked(spec, file), 'x"; DROP TABLE dw_models; --')
    report = compare_slice(store, info, DriftConfig())
    assert report.column(HOSTILE).status == "tested"
    assert store.models() == ["odd; model"]
    assert [s.name for s in slices.list_slices(store, "odd; model")] == [info.name]


def test_formula_cells_are_stored_verbatim_and_neutralised_on_export(
    store: Store, model: ModelSpec
) -> None:
    frame = tiny_records(40, start="2024-03-01", freq="h")
    frame["plan"] = ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)"] * 10
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    file = RecordFile("formulas.parquet", buffer.getvalue())
    info = save_checked(store, model, checked(model, file), "formulas")
    stored = set(store.query('SELECT DISTINCT plan FROM "slices:churn"')["plan"])
    assert stored == {"=HYPERLINK(1)", "+1", "-2", "@SUM(A1)"}
    report = compare_slice(store, info, DriftConfig())
    counts = report.column("plan").categories
    assert counts is not None and "=HYPERLINK(1)" in counts.categories
    exported = table_csv(pd.DataFrame({"category": counts.categories})).decode()
    assert "'=HYPERLINK(1)" in exported and "\n=HYPERLINK" not in exported
    assert "'@SUM(A1)" in exported


def test_a_review_pack_of_a_slice(store: Store, model: ModelSpec) -> None:
    from monitoring.report.pack import pack_zip
    from monitoring.report.review import drift_pack

    info = save_checked(store, model, checked(model, slice_csv(shift=40)), "shifted")
    pack = drift_pack(store, "churn", info.bounds, uploaded=info)
    names = [c.name for c in pack.charts]
    assert "volume" not in names and not any(n.startswith("performance") for n in names)
    assert "feature_age" in names
    assert pack.title == "Drift review: churn, slice 'shifted'"
    assert "- current uploaded slice 'shifted': 40 rows" in pack.summary
    assert pack_zip(pack, ())[:2] == b"PK"
