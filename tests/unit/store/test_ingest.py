import gzip
import io
from pathlib import Path

import pandas as pd
import pytest

from monitoring import log_records
from monitoring.errors import StoreError, ValidationError
from monitoring.store.connection import Store
from monitoring.store.ingest import (
    RecordFile,
    import_file,
    read_records,
    validate_records,
)
from tests.conftest import tiny_records, tiny_spec

GOOD_CSV = (
    "ts,age,income,plan,pred,score,label,comment\n"
    "2024-01-01 10:00,31,1000,basic,0,0.2,0,hello\n"
    "2024-01-02T11:30:00,42.5,,pro,1,0.9,,\n"
    "2024-01-03,NA,3000,pro,1,0.7,1,x\n"
)


def csv(text: str, name: str = "records.csv") -> RecordFile:
    return RecordFile(name, text.encode())


def problems(file: RecordFile) -> list[str]:
    with pytest.raises(ValidationError) as err:
        validate_records(read_records(file), tiny_spec(), file.name)
    return err.value.problems


def table_rows(store: Store) -> int:
    if not store.models():
        return 0
    return int(store.query(f"SELECT count(*) AS n FROM {store.model('churn').table}")["n"][0])


def test_good_csv_is_typed_for_the_store() -> None:
    frame = validate_records(read_records(csv(GOOD_CSV)), tiny_spec(), "records.csv")
    assert list(frame.columns) == list(tiny_spec().columns())
    assert frame["ts"].tolist() == [
        pd.Timestamp("2024-01-01 10:00"),
        pd.Timestamp("2024-01-02 11:30"),
        pd.Timestamp("2024-01-03"),
    ]
    assert frame["age"].tolist()[:2] == [31.0, 42.5] and pd.isna(frame["age"][2])
    assert frame["label"].tolist() == ["0", None, "1"]
    assert frame["pred"].tolist() == ["0", "1", "1"]
    assert "comment" not in frame.columns  # columns the spec does not name are left out


def test_gzip_and_parquet_read_like_csv(tmp_path: Path) -> None:
    gz = RecordFile("records.csv.gz", gzip.compress(GOOD_CSV.encode()))
    assert read_records(gz).shape == (3, 8)
    buffer = io.BytesIO()
    tiny_records(4).to_parquet(buffer)
    frame = read_records(RecordFile("records.parquet", buffer.getvalue()))
    assert validate_records(frame, tiny_spec(), "records.parquet")["plan"].tolist()[:2] == [
        "basic",
        "pro",
    ]


def test_aware_timestamps_become_utc() -> None:
    text = GOOD_CSV.replace("2024-01-01 10:00", "2024-01-01T10:00:00+02:00")
    frame = validate_records(read_records(csv(text)), tiny_spec(), "r.csv")
    assert frame["ts"][0] == pd.Timestamp("2024-01-01 08:00")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"ts,age\n", "header but no rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "holds binary data (a NUL byte)"),
        ("ts,äge\n1,2\n".encode("latin-1"), "not UTF-8 text"),
        (b"a,b\n1,2\n3,4,5,6\n", "not a readable CSV file"),
        (b"ts,ts,age\n1,2,3\n", "duplicated column name(s): ['ts']"),
    ],
)
def test_unreadable_files_are_named(content: bytes, expected: str) -> None:
    with pytest.raises(ValidationError) as err:
        read_records(RecordFile("bad.csv", content))
    assert expected in str(err.value)
    assert "bad.csv" in str(err.value)


def test_unknown_extension_and_bad_parquet() -> None:
    with pytest.raises(ValidationError, match="unsupported file type"):
        read_records(RecordFile("records.xlsx", b"x"))
    with pytest.raises(ValidationError, match="not a readable Parquet file"):
        read_records(RecordFile("records.parquet", b"not parquet"))


def test_every_problem_is_listed_with_rows_and_values() -> None:
    text = (
        "ts,age,income,plan,pred,score\n"
        "2024-01-01,31,abc,basic,0,0.2\n"
        "yesterday,32,1000,pro,1,1.5\n"
        "2024-01-03,33,inf,pro,1,0.5\n"
    )
    found = problems(csv(text))
    assert len(found) == 3
    assert (
        "column 'ts' (timestamp): 1 value(s) are missing or not dates, e.g. row 2: 'yesterday'"
        in found
    )
    assert "column 'income': 1 value(s) are not numbers, e.g. row 1: 'abc'" in found
    assert (
        "column 'score' (score): 1 probability value(s) outside [0, 1], e.g. row 2: '1.5'" in found
    )


def test_infinity_is_refused() -> None:
    frame = tiny_records(3).assign(income=[1.0, float("inf"), 2.0])
    with pytest.raises(ValidationError, match=r"column 'income': infinite value\(s\), e.g. row 2"):
        validate_records(frame, tiny_spec(), "frame")


def test_missing_columns_are_named_but_a_missing_target_is_allowed() -> None:
    found = problems(csv("ts,age,plan\n2024-01-01,1,a\n"))
    assert found == [
        "missing column(s) 'income' (numeric), 'pred' (prediction), 'score' (score); "
        "the file has ['ts', 'age', 'plan']"
    ]
    frame = validate_records(tiny_records(2).drop(columns="label"), tiny_spec(), "frame")
    assert frame["label"].isna().all()


def test_empty_frame_is_refused() -> None:
    with pytest.raises(ValidationError, match="no rows"):
        validate_records(tiny_records(0), tiny_spec(), "frame")


def test_import_appends_and_logs(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    path.write_text(GOOD_CSV)
    first = import_file(store, path, tiny_spec())
    second = import_file(store, path, tiny_spec(), allow_duplicate=True)
    assert (first.rows, first.created_model, second.created_model) == (3, True, False)
    assert table_rows(store) == 6
    log = store.imports("churn")
    assert log["row_count"].tolist() == [3, 3]
    assert log["source"].tolist() == [str(path)] * 2
    assert len(log["content_hash"][0]) == 64
    assert second.import_id > first.import_id


def test_failed_import_writes_nothing(store: Store, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV)
    import_file(store, good, tiny_spec())
    before = (table_rows(store), len(store.imports("churn")), store.data_version())
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD_CSV.replace("42.5", "forty"))
    with pytest.raises(ValidationError, match=r"bad\.csv"):
        import_file(store, bad, tiny_spec())
    assert (table_rows(store), len(store.imports("churn")), store.data_version()) == before


def test_a_spec_that_changes_columns_is_refused(store: Store) -> None:
    log_records(tiny_records(3), tiny_spec(), db=store.path)
    changed = tiny_spec(numeric_features=("age",))
    with pytest.raises(StoreError, match="already registered with other columns"):
        log_records(tiny_records(3), changed, db=store.path)
    assert table_rows(store) == 3


def test_a_new_reference_window_updates_the_spec(store: Store) -> None:
    log_records(tiny_records(3), tiny_spec(), db=store.path)
    moved = tiny_spec(description="v2")
    log_records(tiny_records(3), moved, db=store.path)
    assert store.model("churn").spec.description == "v2"


def test_log_records_by_model_name(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    log_records(tiny_records(2), tiny_spec(), db=store.path)
    monkeypatch.setenv("DRIFTWATCH_DB", str(store.path))
    result = log_records(tiny_records(4, start="2024-03-01"), "churn")
    assert result.rows == 4
    assert table_rows(store) == 6
