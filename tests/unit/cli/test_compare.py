"""``python -m monitoring compare``: exit codes, messages, JSON and saving."""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from monitoring.cli.compare import add_compare_command
from monitoring.demo import CLASSIFIER
from monitoring.errors import MonitoringError
from monitoring.store import slices
from monitoring.store.connection import Store
from tests.conftest import REPO

UPLOADS = REPO / "tests" / "fixtures" / "uploads"


def run(argv: Sequence[str]) -> int:
    """What ``monitoring.cli.main`` does with the command: library errors exit 1."""
    parser = argparse.ArgumentParser(prog="python -m monitoring")
    add_compare_command(parser.add_subparsers(required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except MonitoringError as exc:
        print(f"error: {exc}")
        return 1


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "driftwatch.duckdb"
    shutil.copy(demo_db, copy)
    return copy


def compare(db: Path, name: str, *extra: str) -> int:
    return run(["compare", str(UPLOADS / name), "--model", CLASSIFIER, "--db", str(db), *extra])


def test_a_good_file_is_compared_and_nothing_is_kept(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The session's demo database may already hold slices (and drafts) of the app tests.
    def slice_rows() -> int:
        table = "slices:flight_delay_classifier"
        exists = (
            Store(db)
            .query("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = ?", [table])["n"]
            .iloc[0]
        )
        return (
            int(Store(db).query(f'SELECT count(*) AS n FROM "{table}"')["n"].iloc[0])
            if exists
            else 0
        )

    saved, rows = slices.list_slices(Store(db), CLASSIFIER), slice_rows()
    assert compare(db, "good.csv.gz") == 0
    out = capsys.readouterr().out
    assert "300 rows, 17 column(s) matched" in out
    assert "features: DRIFT" in out and "dest" in out
    assert slices.list_slices(Store(db), CLASSIFIER) == saved
    assert slice_rows() == rows  # the draft was deleted again


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("text_in_numeric.csv", "column 'temp': 3 value(s) are not numbers, e.g. row 3: 'warm'"),
        ("not_csv.csv", "not a CSV file: its content is a PNG image"),
        ("empty.csv", "the file is empty"),
        ("all_null.csv", "column 'humid' (numeric) is empty in every row"),
    ],
)
def test_a_bad_file_exits_1_naming_file_column_and_problem(
    db: Path, capsys: pytest.CaptureFixture[str], name: str, says: str
) -> None:
    assert compare(db, name) == 1
    err = capsys.readouterr().err
    assert f"error: {UPLOADS / name}: " in err and says in err


def test_too_large_and_unreadable_paths_exit_1(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert compare(db, "good.csv", "--max-bytes", "1000") == 1
    assert "larger than the limit of 1,000 bytes" in capsys.readouterr().err
    assert compare(db, "no-such-file.csv") == 1
    assert "cannot read the file" in capsys.readouterr().out


def test_usage_errors_exit_2(db: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        run(["compare", str(UPLOADS / "good.csv")])  # no --model
    assert exit_.value.code == 2


def test_save_and_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compare(db, "good.parquet", "--save", "july", "--json") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["saved_as"] == "july"
    assert document["check"]["ok"] and document["check"]["rows"] == 300
    assert document["report"]["current_slice"] == "july"
    assert document["report"]["rows_current"] == 300
    assert [s.name for s in slices.list_slices(Store(db), CLASSIFIER)] == ["july"]
    assert compare(db, "good.parquet", "--save", "again") == 1  # same content
    assert "already saved as slice 'july'" in capsys.readouterr().out
    assert compare(db, "good.parquet") == 0
    assert "same content as saved slice 'july'" in capsys.readouterr().out


def test_missing_features_need_the_flag(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (UPLOADS / "good.csv").read_text().splitlines()
    drop = lines[0].split(",").index("carrier")
    path = tmp_path / "no_carrier.csv"
    path.write_text(
        "\n".join(",".join(v for i, v in enumerate(x.split(",")) if i != drop) for x in lines)
    )
    argv = ["compare", str(path), "--model", CLASSIFIER, "--db", str(db)]
    assert run(argv) == 1
    assert "feature 'carrier' (categorical) is missing" in capsys.readouterr().err
    assert run([*argv, "--allow-missing-features"]) == 0
    assert "carrier: not in the slice" in capsys.readouterr().out
