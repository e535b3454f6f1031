"""Checking uploaded slices: every bad input of the fixtures, and the slice's looser rules."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pandas as pd
import pytest

from monitoring.schema import ModelSpec, spec_from_dict
from monitoring.store.ingest import RecordFile
from monitoring.uploads.check import check_slice
from tests.conftest import REPO, tiny_spec

UPLOADS = REPO / "tests" / "fixtures" / "uploads"
SPEC = REPO / "data" / "specs" / "flight_delay_classifier.toml"


@pytest.fixture(scope="module")
def spec() -> ModelSpec:
    from monitoring.schema import load_spec

    return load_spec(SPEC)


def fixture(name: str) -> RecordFile:
    return RecordFile.from_path(UPLOADS / name)


def good_frame() -> pd.DataFrame:
    return pd.read_csv(UPLOADS / "good.csv", dtype=str, keep_default_na=False)


def as_csv(frame: pd.DataFrame, name: str = "slice.csv") -> RecordFile:
    return RecordFile(name, frame.to_csv(index=False).encode())


@pytest.mark.parametrize("name", ["good.csv", "good.csv.gz", "good.parquet"])
def test_good_files_are_ready_with_typed_records(spec: ModelSpec, name: str) -> None:
    check = check_slice(fixture(name), spec)
    assert check.ok, check.messages()
    assert check.rows == 300
    assert check.matched == tuple(spec.columns())
    assert check.missing == () and check.extra == ()
    assert check.records is not None
    assert list(check.records.columns) == list(spec.columns())
    assert str(check.records["temp"].dtype) == "float64"
    assert str(check.records["scheduled_departure"].dtype) == "datetime64[us]"
    assert set(check.records["is_late"].dropna()) <= {"0", "1"}
    assert "300 rows, 17 column(s) matched" in check.summary()


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("empty.csv", "the file is empty"),
        ("header_only.csv", "the file has a header but no rows"),
        ("not_csv.csv", "not a CSV file: its content is a PNG image"),
        ("latin1.csv", "not UTF-8 text (byte 0xe9"),
        ("ragged.csv", "ragged rows: 1 line(s) have fewer than 17 fields, e.g. line 5 has 15"),
    ],
)
def test_unreadable_files_are_file_problems(spec: ModelSpec, name: str, problem: str) -> None:
    check = check_slice(fixture(name), spec)
    assert not check.ok
    assert check.records is None
    assert any(problem in p for p in check.file_problems), check.file_problems
    assert check.summary().startswith(f"{UPLOADS / name}: cannot be read")
    assert check.problems_table()["column"].tolist() == ["(file)"]


def test_too_long_rows_are_ragged_too(spec: ModelSpec) -> None:
    text = (UPLOADS / "good.csv").read_text().splitlines()
    text[3] += ",surplus"
    check = check_slice(RecordFile("long.csv", "\n".join(text).encode()), spec)
    assert check.file_problems == (
        "not a readable CSV file: ragged rows: line 4 has 18 fields, earlier lines have 17",
    )


def test_text_in_a_numeric_feature_names_rows_and_values(spec: ModelSpec) -> None:
    check = check_slice(fixture("text_in_numeric.csv"), spec)
    assert not check.ok and check.records is None
    [problem] = check.column_problems
    assert (problem.column, problem.role) == ("temp", "numeric")
    assert "3 value(s) are not numbers" in problem.problem
    assert "row 3: 'warm', row 8: '32°F', row 12: 'see notes'" in problem.problem


def test_an_all_null_feature_is_a_problem_but_an_empty_target_a_note(spec: ModelSpec) -> None:
    check = check_slice(fixture("all_null.csv"), spec)
    assert [(p.column, p.role) for p in check.column_problems] == [("humid", "numeric")]
    assert "empty in every row" in check.column_problems[0].problem
    frame = good_frame().assign(is_late="")
    labelless = check_slice(as_csv(frame), spec)
    assert labelless.ok
    assert any("labels not known yet" in n for n in labelless.notes)


def test_unparseable_timestamps_are_named(spec: ModelSpec) -> None:
    frame = good_frame()
    frame.loc[4, "scheduled_departure"] = "yesterday"
    check = check_slice(as_csv(frame), spec)
    [problem] = check.column_problems
    assert problem.column == "scheduled_departure"
    assert "row 5: 'yesterday'" in problem.problem


def test_duplicated_column_names_are_refused(spec: ModelSpec) -> None:
    text = (UPLOADS / "good.csv").read_text().replace("humid,", "temp,", 1)
    check = check_slice(RecordFile("dup.csv", text.encode()), spec)
    assert check.file_problems == ("duplicated column name(s): ['temp']",)


def test_a_file_over_the_limit_is_refused_before_reading(spec: ModelSpec) -> None:
    file = fixture("good.csv")
    check = check_slice(file, spec, max_bytes=10_000)
    assert check.file_problems == (
        f"the file is {len(file.content):,} bytes, larger than the limit of 10,000 bytes",
    )
    assert check_slice(file, spec, max_bytes=len(file.content)).ok


def test_other_file_types_are_refused(spec: ModelSpec) -> None:
    check = check_slice(RecordFile("slice.xlsx", b"PK\x03\x04rest"), spec)
    assert check.file_problems == ("unsupported file type: use .csv, .csv.gz or .parquet",)
    zipped = check_slice(RecordFile("slice.csv", b"PK\x03\x04rest"), spec)
    assert "ZIP archive" in zipped.file_problems[0]
    broken = check_slice(RecordFile("slice.parquet", b"PAR1 not really"), spec)
    assert broken.file_problems[0].startswith("not a readable Parquet file")
    bad_gzip = check_slice(RecordFile("slice.csv.gz", b"\x1f\x8b not gzip"), spec)
    assert bad_gzip.file_problems[0].startswith("not a readable CSV file")


def test_missing_optional_columns_are_notes_and_no_timestamp_means_no_time_axis(
    spec: ModelSpec,
) -> None:
    frame = good_frame().drop(
        columns=["scheduled_departure", "flight_id", "predicted_late", "score_late", "is_late"]
    )
    check = check_slice(as_csv(frame), spec)
    assert check.ok
    assert not check.has_time_axis
    assert {c for c, _ in check.missing} == {
        "scheduled_departure",
        "flight_id",
        "predicted_late",
        "score_late",
        "is_late",
    }
    assert any("no time axis" in n for n in check.notes)
    assert any("output drift is not tested" in n for n in check.notes)
    assert check.records is not None
    assert check.records["scheduled_departure"].isna().all()
    assert list(check.records.columns) == list(spec.columns())


def test_a_missing_feature_needs_the_callers_consent(spec: ModelSpec) -> None:
    frame = good_frame().drop(columns=["temp", "carrier"])
    refused = check_slice(as_csv(frame), spec)
    assert not refused.ok
    assert refused.missing_features == ("temp", "carrier")
    assert [p.column for p in refused.column_problems] == ["temp", "carrier"]
    allowed = check_slice(as_csv(frame), spec, allow_missing_features=True)
    assert allowed.ok
    assert any("feature 'temp' is not in the file" in n for n in allowed.notes)
    assert allowed.records is not None and allowed.records["carrier"].isna().all()


def test_hostile_extra_column_names_are_listed_and_ignored(spec: ModelSpec) -> None:
    check = check_slice(fixture("hostile_names.csv"), spec)
    assert check.ok
    assert check.extra == ('a"; DROP TABLE dw_slices; --', "naïve;col", "温度 °C")
    assert check.records is not None and 'a"; DROP TABLE dw_slices; --' not in check.records


def test_hostile_names_in_the_spec_itself_are_checked_by_name() -> None:
    spec = tiny_spec(numeric_features=('a"; DROP TABLE x; --', "naïve;col"))
    frame = pd.DataFrame(
        {
            "ts": ["2024-01-01"] * 3,
            'a"; DROP TABLE x; --': ["1", "oops", "3"],
            "naïve;col": ["1", "2", "3"],
            "plan": ["a", "b", "a"],
            "pred": ["0", "1", "0"],
        }
    )
    check = check_slice(as_csv(frame), spec)
    [problem] = check.column_problems
    assert problem.column == 'a"; DROP TABLE x; --'
    assert "row 2: 'oops'" in problem.problem


def test_formula_cells_are_kept_as_data(spec: ModelSpec) -> None:
    check = check_slice(fixture("formula_cells.csv"), spec)
    assert check.ok
    assert check.records is not None
    carriers = set(check.records["carrier"])
    assert {'=HYPERLINK("http://example.invalid","x")', "+1+1", "-2+3", "@SUM(A1:A2)"} <= carriers


def test_parquet_types_are_checked_too(spec: ModelSpec) -> None:
    frame = pd.read_parquet(UPLOADS / "good.parquet")
    frame["temp"] = frame["temp"].astype(str)  # a text column where numbers belong
    frame.loc[1, "temp"] = "hot"
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    check = check_slice(RecordFile("bad.parquet", buffer.getvalue()), spec)
    assert [p.column for p in check.column_problems] == ["temp"]
    assert "row 2: 'hot'" in check.column_problems[0].problem


def test_gzip_of_a_ragged_csv_is_caught() -> None:
    spec = spec_from_dict(
        {
            "name": "m",
            "task": "binary",
            "timestamp": "ts",
            "prediction": "p",
            "features": {"numeric": ["x"]},
            "reference": {"start": "2024-01-01", "end": "2024-02-01"},
        }
    )
    content = gzip.compress(b"ts,x,p\n2024-01-01,1,0\n2024-01-02,2\n")
    check = check_slice(RecordFile("r.csv.gz", content), spec)
    assert "line 3 has 2" in check.file_problems[0]


def test_a_gzip_that_unpacks_past_the_limit_is_refused_unread(spec: ModelSpec) -> None:
    text = b"ts,x,p\n" + b"2024-01-01,1,0\n" * 200_000  # 3 MB of text, ~10 KB of gzip
    check = check_slice(RecordFile("r.csv.gz", gzip.compress(text)), spec, max_bytes=2**20)
    assert check.file_problems == (
        "the file decompresses to more than 1.0 MB of text, the limit for an uncompressed file",
    )
    assert check.records is None


def test_the_fixture_files_exist() -> None:
    names = {p.name for p in Path(UPLOADS).iterdir()}
    assert {"good.csv", "good.parquet", "good.csv.gz", "formula_cells.csv"} <= names
