"""A streamed import says what the whole file would say, stores what a frame would store,
and counts rows as the file does, however the file is cut into batches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from monitoring import log_records
from monitoring.errors import ValidationError
from monitoring.store import files, importer
from monitoring.store.connection import Store
from monitoring.store.ingest import RecordFile, import_file, read_records, validate_records
from tests.conftest import tiny_records, tiny_spec

BATCH = 4  # rows per batch in these tests: every file spans several batches


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "BATCH_ROWS", BATCH)


def parquet(tmp_path: Path, frame: pd.DataFrame | pa.Table, name: str = "r.parquet") -> Path:
    path = tmp_path / name
    table = (
        frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    )
    pq.write_table(table, path, row_group_size=5)  # row groups that do not line up with batches
    return path


def import_problems(store: Store, path: Path) -> list[str]:
    with pytest.raises(ValidationError) as err:
        import_file(store, path, tiny_spec())
    assert not store.models()  # nothing written
    return err.value.problems


def frame_problems(frame: pd.DataFrame) -> list[str]:
    with pytest.raises(ValidationError) as err:
        validate_records(frame, tiny_spec(), "frame")
    return err.value.problems


def stored(store: Store) -> pd.DataFrame:
    table = store.model("churn").table
    return store.query(f"SELECT * EXCLUDE (_dw_import) FROM {table} ORDER BY ts")


def with_cells(frame: pd.DataFrame, column: str, cells: dict[int, object]) -> pd.DataFrame:
    values = frame[column].astype(object).tolist()
    for row, value in cells.items():
        values[row - 1] = value
    return frame.assign(**{column: values})


BAD = {
    "score outside [0, 1]": ("score", {6: 1.5, 11: -0.2, 13: 2.0, 14: 3.0}),
    "infinite": ("age", {7: float("inf"), 12: float("-inf")}),
    "not numbers": ("income", {3: "lots", 10: "many"}),
    "NUL in text": ("plan", {5: "D\x00L", 9: "x\x00"}),
    "labels outside the two": ("label", {2: 2, 8: -1, 15: 2, 16: 7}),
    "missing timestamps": ("ts", {4: None, 13: None}),
}


@pytest.mark.parametrize("case", list(BAD))
def test_problems_across_batches_are_counted_and_shown_as_for_the_whole_file(
    tmp_path: Path, store: Store, case: str
) -> None:
    column, cells = BAD[case]
    frame = tiny_records(18)
    if case == "not numbers":  # a Parquet column holds one type: numbers as text here
        frame = frame.assign(**{column: frame[column].astype(str)})
    frame = with_cells(frame, column, cells)
    expected = frame_problems(frame)
    assert any("row" in p for p in expected)  # the rows are named
    assert import_problems(store, parquet(tmp_path, frame)) == expected
    csv = tmp_path / "r.csv"
    frame.to_csv(csv, index=False)
    assert import_problems(store, csv) == file_problems(csv)


def file_problems(path: Path) -> list[str]:
    """What reading and validating the whole file at once says."""
    with pytest.raises(ValidationError) as err:
        validate_records(read_records(RecordFile.from_path(path)), tiny_spec(), str(path))
    return err.value.problems


def test_row_numbers_are_the_files_in_every_batch(tmp_path: Path, store: Store) -> None:
    frame = with_cells(tiny_records(20), "score", {3: 1.5, 9: 1.5, 18: 1.5})
    (problem,) = import_problems(store, parquet(tmp_path, frame))
    assert problem == (
        "column 'score' (score): 3 probability value(s) outside [0, 1], "
        "e.g. row 3: 1.5, row 9: 1.5, row 18: 1.5"
    )


def test_a_nested_column_is_refused_in_every_batch(tmp_path: Path, store: Store) -> None:
    table = pa.Table.from_pandas(tiny_records(10), preserve_index=False)
    nested = pa.array([{"a": i} for i in range(10)])
    table = table.set_column(table.schema.get_field_index("plan"), "plan", nested)
    path = parquet(tmp_path, table)
    (problem,) = import_problems(store, path)
    assert problem.startswith("column 'plan': 10 value(s) are nested (lists, structs or maps)")
    assert [problem] == file_problems(path)


def test_a_day_month_order_is_settled_by_a_later_batch(tmp_path: Path, store: Store) -> None:
    days = [f"{d:02d}/03/2024" for d in range(1, 11)] + ["25/03/2024"]  # only row 11 settles it
    frame = tiny_records(11).assign(ts=days)
    result = import_file(store, parquet(tmp_path, frame), tiny_spec())
    assert result.rows == 11
    assert stored(store)["ts"].dt.day.tolist() == [*range(1, 11), 25]


def test_a_day_month_order_nothing_settles_is_refused(tmp_path: Path, store: Store) -> None:
    frame = tiny_records(10).assign(ts=[f"{d:02d}/03/2024" for d in range(1, 11)])
    assert import_problems(store, parquet(tmp_path, frame)) == frame_problems(frame)


def test_iso_dates_then_another_format_in_a_later_batch(tmp_path: Path, store: Store) -> None:
    ts = [f"2024-01-{d:02d}" for d in range(1, 9)] + ["03/01/2024 10:00", "2024-01-10"]
    frame = tiny_records(10).assign(ts=ts)
    (problem,) = import_problems(store, parquet(tmp_path, frame))
    assert problem == frame_problems(frame)[0]
    assert "1 value(s) are in another format" in problem and "row 9: '03/01/2024 10:00'" in problem


def test_the_negative_label_is_the_files_commonest_over_all_batches(
    tmp_path: Path, store: Store
) -> None:
    # Batch 1 holds only "no"; the file's commonest other label is "0" (rows 5-18).
    labels = ["no"] * 4 + ["0", "1"] * 7
    frame = tiny_records(18).assign(pred=labels, label=labels)
    problems = import_problems(store, parquet(tmp_path, frame))
    assert problems == frame_problems(frame)
    assert "'1' (positive) and '0', e.g. row 1: 'no', row 2: 'no', row 3: 'no'" in problems[0]


def test_a_parquet_file_is_stored_as_a_frame_would_be(tmp_path: Path) -> None:
    n = 13
    frame = tiny_records(n).assign(
        ts=pd.date_range("2024-01-01", periods=n, freq="h", tz="Europe/Paris"),
        age=[np.nan if i % 5 == 0 else 30.0 + i for i in range(n)],
        income=pd.array([None if i % 4 == 0 else 1000 * i for i in range(n)], dtype="Int64"),
        plan=pd.Categorical(["basic", "pro", None][i % 3] for i in range(n)),
        pred=[str(i % 2) for i in range(n)],
    )
    streamed, framed = Store(tmp_path / "a.duckdb"), Store(tmp_path / "b.duckdb")
    import_file(streamed, parquet(tmp_path, frame), tiny_spec())
    log_records(frame, tiny_spec(), db=framed.path)
    pd.testing.assert_frame_equal(stored(streamed), stored(framed))
    assert stored(streamed)["age"].isna().sum() == 3  # NaN stored as missing, not as NaN


def test_types_duckdb_cannot_cast_are_typed_batch_by_batch(tmp_path: Path) -> None:
    n = 11  # float labels (1.0 → '1') and text dates take the batch path
    frame = tiny_records(n).assign(
        label=[float(i % 2) if i != 4 else np.nan for i in range(n)],
        ts=[f"2024-01-{d:02d}T10:00:00+01:00" for d in range(1, n + 1)],
    )
    streamed, framed = Store(tmp_path / "a.duckdb"), Store(tmp_path / "b.duckdb")
    import_file(streamed, parquet(tmp_path, frame), tiny_spec())
    log_records(frame, tiny_spec(), db=framed.path)
    pd.testing.assert_frame_equal(stored(streamed), stored(framed))
    assert stored(streamed)["label"].tolist()[:2] == ["0", "1"]


def test_warnings_are_counted_over_the_whole_file(tmp_path: Path, store: Store) -> None:
    import_file(store, parquet(tmp_path, tiny_records(30), "jan.parquet"), tiny_spec())
    later = tiny_records(400, start="2024-02-01", freq="h").assign(
        plan=[f"p{i}" for i in range(400)], label=None
    )
    result = import_file(store, parquet(tmp_path, later, "feb.parquet"), tiny_spec())
    assert result.warnings == (
        "target 'label' is empty in every row (labels not known yet)",
        "categorical feature 'plan' has 400 distinct values in 400 rows: more like an id or "
        "free text than a category; its drift tests and charts will say little",
        "categorical feature 'plan': 400 categories the reference (2024-01-01 → 2024-01-31) "
        "never saw, in 400 rows, e.g. 'p0', 'p1', 'p10'",
    )


def test_a_missing_column_lists_what_the_file_has_as_pandas_reads_it(
    tmp_path: Path, store: Store
) -> None:
    path = tmp_path / "indexed.parquet"
    tiny_records(9).drop(columns="income").set_index("age").to_parquet(path)  # age: the index
    problems = import_problems(store, path)
    assert problems == file_problems(path)
    assert problems[0].startswith("missing column(s) 'age' (numeric), 'income' (numeric)")


def test_usual_parquet_types_are_appended_by_duckdbs_reader(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    original = importer._insert_parquet

    def spy(*args: object) -> None:
        calls.append(args)
        original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(importer, "_insert_parquet", spy)
    import_file(store, parquet(tmp_path, tiny_records(9)), tiny_spec())
    assert len(calls) == 1 and len(stored(store)) == 9
    text_dates = tiny_records(9).assign(ts=[f"2024-01-0{d}" for d in range(1, 10)])
    import_file(
        Store(tmp_path / "b.duckdb"), parquet(tmp_path, text_dates, "t.parquet"), tiny_spec()
    )
    assert len(calls) == 1  # text dates are parsed in Python, batch by batch
