"""Import is as strict as upload: size limits, cells, NUL bytes, encodings, labels, timestamps,
nested values, duplicates, and the warnings the command prints."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from monitoring import log_records
from monitoring.cli.main import main
from monitoring.errors import ValidationError
from monitoring.store.connection import Store
from monitoring.store.files import MAX_CELL_CHARS, RecordFile, read_records
from monitoring.store.ingest import import_file, validate_records
from monitoring.uploads.check import check_slice
from tests.conftest import tiny_records, tiny_spec

HEADER = "ts,age,income,plan,pred,score,label\n"


def rows(n: int, start: int = 1) -> str:
    return "".join(
        f"2024-01-{start + i:02d},{30 + i},1000,basic,{i % 2},0.5,{i % 2}\n" for i in range(n)
    )


def problems_of(text: str | bytes, name: str = "r.csv") -> list[str]:
    content = text.encode() if isinstance(text, str) else text
    with pytest.raises(ValidationError) as err:
        validate_records(read_records(RecordFile(name, content)), tiny_spec(), name)
    return err.value.problems


def import_cli(tmp_path: Path, path: Path, *extra: str) -> int:
    spec = tmp_path / "churn.toml"
    if not spec.exists():
        spec.write_text(
            'name = "churn"\ntask = "binary"\ntimestamp = "ts"\nprediction = "pred"\n'
            'scores = ["score"]\ntarget = "label"\n'
            '[features]\nnumeric = ["age", "income"]\ncategorical = ["plan"]\n'
            "[reference]\nstart = 2024-01-01\nend = 2024-02-01\n"
        )
    db = tmp_path / "cli.duckdb"
    return main(["import", str(path), "--spec", str(spec), "--db", str(db), *extra])


# --------------------------------------------------------------------------- size


def test_import_limits_what_a_gzip_unpacks_to(tmp_path: Path, capsys) -> None:
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress((HEADER + rows(20) * 5_000).encode()))  # 4 MB of text
    assert bomb.stat().st_size < 100_000
    assert import_cli(tmp_path, bomb, "--max-bytes", "1000000") == 1
    err = capsys.readouterr().err
    assert "decompresses to more than 1,000,000 bytes of text" in err
    assert "Traceback" not in err
    assert not Store(tmp_path / "cli.duckdb").models()


def test_import_limits_the_file_and_parquet_data(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_text(HEADER + rows(20))
    with pytest.raises(ValidationError, match="larger than the limit of 500 bytes"):
        import_file(Store(tmp_path / "x.duckdb"), big, tiny_spec(), max_bytes=500)
    buffer = io.BytesIO()
    frame = tiny_records(20_000).assign(plan=[f"{i:06d}" * 10 for i in range(20_000)])
    frame.to_parquet(buffer, compression="zstd")
    data = buffer.getvalue()
    with pytest.raises(ValidationError, match="of data uncompressed, more than the limit"):
        read_records(RecordFile("r.parquet", data), max_bytes=len(data) * 2)


def test_the_default_limit_is_the_upload_pages(tmp_path: Path) -> None:
    from monitoring.store.files import MAX_FILE_BYTES
    from monitoring.uploads.check import DEFAULT_MAX_BYTES

    assert MAX_FILE_BYTES == DEFAULT_MAX_BYTES == 200 * 1024 * 1024


# --------------------------------------------------------------------------- cells and bytes


def test_a_cell_over_128_kib_is_refused_naming_its_row(tmp_path: Path, capsys) -> None:
    text = HEADER + rows(3) + f"2024-01-09,1,1,{'x' * (MAX_CELL_CHARS + 1)},0,0.5,0\n"
    assert problems_of(text) == [
        "row 4 (line 5): a cell is longer than 131,072 characters, the limit for one value"
    ]
    path = tmp_path / "long.csv"
    path.write_text(text)
    assert import_cli(tmp_path, path) == 1
    err = capsys.readouterr().err
    assert "row 4 (line 5): a cell is longer" in err and "Traceback" not in err
    check = check_slice(RecordFile("long.csv", text.encode()), tiny_spec())
    assert "row 4 (line 5)" in check.file_problems[0]


def test_a_long_value_from_a_dataframe_is_refused(store: Store) -> None:
    frame = tiny_records(3).assign(plan=["a", "b" * (MAX_CELL_CHARS + 1), "c"])
    with pytest.raises(ValidationError, match=r"column 'plan': 1 value\(s\) are longer than"):
        log_records(frame, tiny_spec(), db=store.path)


def test_nul_bytes_are_refused_not_cut(store: Store) -> None:
    text = (HEADER + rows(2) + "2024-01-05,1,1,D\x00L,0,0.5,0\n").encode()
    assert problems_of(text) == ["not a CSV file: line 4 holds binary data (a NUL byte)"]
    frame = tiny_records(3).assign(plan=["basic", "D\x00L", "pro"])
    with pytest.raises(ValidationError, match=r"column 'plan': 1 value\(s\) hold a NUL character"):
        log_records(frame, tiny_spec(), db=store.path)
    assert not store.models()  # nothing written, no 'D' stored


@pytest.mark.parametrize(
    ("encoding", "named"),
    [
        ("utf-16", "UTF-16 (little-endian) text; save it as UTF-8"),
        ("utf-16-be", "UTF-16 (big-endian) text without a byte-order mark"),
        ("utf-16-le", "UTF-16 (little-endian) text without a byte-order mark"),
        ("utf-32", "UTF-32 (little-endian) text"),
    ],
)
def test_utf16_and_utf32_are_named(encoding: str, named: str) -> None:
    content = (HEADER + rows(3)).encode(encoding)
    assert any(named in p for p in problems_of(content))
    upload = check_slice(RecordFile("r.csv", content), tiny_spec())
    assert named in upload.file_problems[0]
    gz = check_slice(RecordFile("r.csv.gz", gzip.compress(content)), tiny_spec())
    assert named in gz.file_problems[0]


# --------------------------------------------------------------------------- labels


def test_binary_labels_outside_the_models_two_are_refused_naming_rows(store: Store) -> None:
    frame = tiny_records(6).assign(label=["0", "1", "2", "1", "-1", "0"])
    with pytest.raises(ValidationError) as err:
        log_records(frame, tiny_spec(), db=store.path)
    assert err.value.problems == [
        "column 'label' (target): 2 value(s) are not one of the model's two labels '1' "
        "(positive) and '0', e.g. row 3: '2', row 5: '-1'"
    ]


def test_the_stored_labels_bind_later_imports(store: Store) -> None:
    spec = tiny_spec(positive_label="yes")
    log_records(
        tiny_records(4).assign(pred=["yes", "no"] * 2, label=["no"] * 4), spec, db=store.path
    )
    later = tiny_records(4, start="2024-01-10").assign(pred=["yes", "maybe"] * 2, label=["yes"] * 4)
    with pytest.raises(ValidationError, match=r"labels 'yes' \(positive\) and 'no', e\.g\. row 2"):
        log_records(later, spec, db=store.path)
    upload = check_slice(
        RecordFile("s.csv", later.to_csv(index=False).encode()), spec, labels=("no", "yes")
    )
    assert [p.column for p in upload.column_problems] == ["pred"]


def test_a_missing_positive_label_gets_a_hint(store: Store) -> None:
    frame = tiny_records(4).assign(pred=["yes", "no"] * 2, label=["yes", "no"] * 2)
    with pytest.raises(ValidationError, match="set positive_label in the spec"):
        log_records(frame, tiny_spec(), db=store.path)


# --------------------------------------------------------------------------- timestamps


def test_mixed_timestamp_formats_are_refused() -> None:
    text = HEADER + rows(3) + "03/04/2024,1,1,basic,0,0.5,0\n"
    assert problems_of(text) == [
        "column 'ts' (timestamp): 1 value(s) are in another format than the ISO 8601 dates of "
        "the other rows, e.g. row 4: '03/04/2024'; write every timestamp in one format (ISO "
        "8601: 2024-04-03 12:30:00)"
    ]


def test_an_ambiguous_day_month_order_is_refused_not_guessed() -> None:
    text = HEADER + "03/04/2024,1,1,basic,0,0.5,0\n05/06/2024,1,1,basic,1,0.5,1\n"
    (problem,) = problems_of(text)
    assert "can be read day-first or month-first (e.g. row 1: '03/04/2024')" in problem


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("13/04/2024", "03/05/2024", ["2024-04-13", "2024-05-03"]),  # day first: the 13th says so
        ("04/13/2024", "05/03/2024", ["2024-04-13", "2024-05-03"]),  # month first
        ("2024-04-13", "2024-05-03T10:00:00+00:00", ["2024-04-13", "2024-05-03"]),  # ISO 8601
    ],
)
def test_one_format_per_file_is_read(first: str, second: str, expected: list[str]) -> None:
    text = HEADER + f"{first},1,1,basic,0,0.5,0\n{second},1,1,basic,1,0.5,1\n"
    frame = validate_records(read_records(RecordFile("r.csv", text.encode())), tiny_spec(), "r")
    assert [f"{t:%Y-%m-%d}" for t in frame["ts"]] == expected


def test_a_value_off_the_files_format_is_named() -> None:
    text = HEADER + "13/04/2024,1,1,basic,0,0.5,0\n13.05.2024,1,1,basic,1,0.5,1\n"
    (problem,) = problems_of(text)
    assert "do not match the format of row 1 ('13/04/2024', %d/%m/%Y)" in problem
    assert "row 2: '13.05.2024'" in problem


# --------------------------------------------------------------------------- nested values


def test_a_nested_parquet_column_is_refused(tmp_path: Path) -> None:
    frame = tiny_records(3)
    table = pa.Table.from_pandas(frame).set_column(
        3, "plan", pa.array([{"tier": "basic"}, {"tier": "pro"}, {"tier": "pro"}])
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    with pytest.raises(ValidationError) as err:
        validate_records(
            read_records(RecordFile("n.parquet", buffer.getvalue())), tiny_spec(), "n.parquet"
        )
    assert err.value.problems == [
        "column 'plan': 3 value(s) are nested (lists, structs or maps), e.g. row 1: "
        "\"{'tier': 'basic'}\", row 2: \"{'tier': 'pro'}\", row 3: \"{'tier': 'pro'}\"; a cell "
        "must hold one value"
    ]


def test_a_list_in_a_dataframe_is_refused(store: Store) -> None:
    frame = tiny_records(3).assign(plan=["basic", ["a", "b"], "pro"])
    with pytest.raises(ValidationError, match=r"column 'plan': 1 value\(s\) are nested"):
        log_records(frame, tiny_spec(), db=store.path)


# --------------------------------------------------------------------------- warnings


def test_the_import_command_prints_its_warnings(tmp_path: Path, capsys) -> None:
    first = tmp_path / "january.csv"
    first.write_text(HEADER + rows(20))
    assert import_cli(tmp_path, first) == 0
    capsys.readouterr()
    one = tmp_path / "one.csv"
    one.write_text(HEADER + "2024-02-01,1,1,enterprise,0,0.5,\n")
    assert import_cli(tmp_path, one) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "warning: the file has a single row: a drift test needs many rows per window",
        "warning: target 'label' is empty in every row (labels not known yet)",
        "warning: categorical feature 'plan': 1 categories the reference (2024-01-01 → "
        "2024-01-31) never saw, in 1 rows, e.g. 'enterprise'",
    ]


def test_a_categorical_with_thousands_of_values_is_warned_about(store: Store) -> None:
    frame = tiny_records(2_000, freq="min").assign(plan=[f"id-{i}" for i in range(2_000)])
    result = log_records(frame, tiny_spec(), db=store.path)
    assert result.rows == 2_000  # imported: only a warning
    assert result.warnings == (
        "categorical feature 'plan' has 2,000 distinct values in 2,000 rows: more like an id or "
        "free text than a category; its drift tests and charts will say little",
    )


# --------------------------------------------------------------------------- duplicates


def test_the_same_file_twice_is_refused_unless_allowed(tmp_path: Path, capsys) -> None:
    path = tmp_path / "batch.csv"
    path.write_text(HEADER + rows(5))
    assert import_cli(tmp_path, path) == 0
    assert import_cli(tmp_path, path) == 1
    err = capsys.readouterr().err
    assert "was imported into 'churn' before: import #1" in err
    assert "--allow-duplicate" in err
    store = Store(tmp_path / "cli.duckdb")
    assert store.imports("churn")["row_count"].tolist() == [5]
    copy = tmp_path / "copy.csv"
    copy.write_text(path.read_text())  # another name, the same content
    assert import_cli(tmp_path, copy) == 1
    assert import_cli(tmp_path, copy, "--allow-duplicate") == 0
    assert store.imports("churn")["row_count"].tolist() == [5, 5]


def test_a_batch_id_is_logged_once(store: Store) -> None:
    log_records(tiny_records(4), tiny_spec(), db=store.path, batch_id="2024-01-01 run")
    with pytest.raises(ValidationError, match="batch '2024-01-01 run' was logged into 'churn'"):
        log_records(tiny_records(4), tiny_spec(), db=store.path, batch_id="2024-01-01 run")
    log_records(tiny_records(4, start="2024-01-05"), tiny_spec(), db=store.path, batch_id="next")
    log = store.imports("churn")
    assert log["batch_id"].tolist() == ["next", "2024-01-01 run"]


def test_an_older_database_gains_the_batch_column(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:  # dw_imports as it was before batch ids
        con.execute(
            "CREATE TABLE dw_imports (id BIGINT PRIMARY KEY, model VARCHAR NOT NULL, "
            "source VARCHAR NOT NULL, content_hash VARCHAR, row_count BIGINT NOT NULL, "
            "ts_min TIMESTAMP, ts_max TIMESTAMP, imported_at TIMESTAMP NOT NULL)"
        )
    log_records(tiny_records(3), tiny_spec(), db=path, batch_id="b1")
    assert Store(path).imports("churn")["batch_id"].tolist() == ["b1"]


def test_a_dataframe_round_trips_its_types(store: Store) -> None:
    result = log_records(tiny_records(6), tiny_spec(), db=store.path)
    assert result.warnings == () and result.rows == 6
    stored = store.query(f"SELECT plan, pred FROM {store.model('churn').table}")
    assert stored["plan"].tolist()[:2] == ["basic", "pro"]
    assert isinstance(stored, pd.DataFrame)
