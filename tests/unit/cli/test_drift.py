"""``python -m monitoring drift``: windows parsed, a readable table, a stable JSON document."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import pytest

from monitoring.cli.drift import window
from monitoring.cli.main import main
from tests.unit.drift.test_engine import FEB, HOSTILE, JAN, build, frame

ARGS = ["drift", "--model", "m", "--reference", "2024-01-01:2024-02-01", "--current"]


def test_windows_accept_dates_and_date_times() -> None:
    assert window("2024-01-01:2024-02-01") == (JAN, FEB)
    assert window("2024-01-01 06:30:2024-01-02T18:00") == (
        dt.datetime(2024, 1, 1, 6, 30),
        dt.datetime(2024, 1, 2, 18, 0),
    )
    with pytest.raises(argparse.ArgumentTypeError, match="START:END"):
        window("last week")


def test_table_shows_every_column_and_the_verdicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "d.duckdb"
    build(db, frame(300, JAN, 1), frame(300, FEB, 2, 0.8))
    assert main([*ARGS, "2024-02-01:2024-03-01", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    for text in ("column", "p-value", "effect", "missing ref", "unseen", HOSTILE, "score"):
        assert text in out
    assert "features: DRIFT (x, c)" in out and "rule: a column drifts" in out
    assert main([*ARGS, "2024-02-01:2024-03-01", "--db", str(db)]) == 0
    assert "[stored result]" in capsys.readouterr().out


def test_json_document_is_stable_and_complete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "d.duckdb"
    build(db, frame(300, JAN, 3), frame(300, FEB, 4))
    code = main([*ARGS, "2024-02-01:2024-03-01", "--db", str(db), "--json", "--correction", "fdr"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert document["schema_version"] == 2
    assert document["config"]["correction"] == "fdr"
    assert document["current"] == ["2024-02-01T00:00:00", "2024-03-01T00:00:00"]
    row = next(c for c in document["columns"] if c["column"] == "x")
    for key in ("test", "statistic", "p_value", "effect", "n_reference", "missing_current",
                "unseen_share", "drifted", "histogram", "bins"):  # fmt: skip
        assert key in row
    assert document["verdict"]["drifted"] is False and "from_store" not in document


def test_problems_exit_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "d.duckdb"
    build(db, frame(20, JAN, 5))
    assert (
        main(["drift", "--model", "nope", "--current", "2024-02-01:2024-03-01", "--db", str(db)])
        == 1
    )
    assert "no model named 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main([*ARGS, "2024-02-01:2024-03-01", "--db", str(db), "--detector", "psi"])
    assert exit_info.value.code == 2
