import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitoring.cli.main import main
from tests.conftest import REPO

SPEC = REPO / "data" / "specs" / "flight_delay_classifier.toml"
HEADER = (
    "scheduled_departure,flight_id,dep_hour,distance,temp,humid,wind_speed,precip,visib,"
    "pressure,carrier,origin,dest,day_of_week,predicted_late,score_late,is_late\n"
)
ROW = (
    "2014-01-0{d} 07:00,2014-01-0{d}/UA1/EWR,7,1400,30.2,60,10.4,0,10,1012,UA,EWR,IAH,Wed,"
    "0,0.2,{y}\n"
)


def write_csv(tmp_path: Path, rows: str, name: str = "flights.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows)
    return path


def test_import_then_models(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cli.duckdb"
    path = write_csv(tmp_path, ROW.format(d=1, y=1) + ROW.format(d=2, y=""))
    assert main(["import", str(path), "--spec", str(SPEC), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "2 rows created model 'flight_delay_classifier'" in out
    assert main(["models", "--db", str(db), "--json"]) == 0
    models = json.loads(capsys.readouterr().out)
    assert models == [
        {
            "name": "flight_delay_classifier",
            "task": "binary",
            "rows": 2,
            "first": "2014-01-01T07:00:00",
            "last": "2014-01-02T07:00:00",
            "label_coverage": 0.5,
        }
    ]
    assert main(["models", "--db", str(db)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["name", "task", "rows", "first", "record", "last", "record"]
    assert table[1].startswith("flight_delay_classifier  binary  2")


def test_bad_file_exits_1_and_names_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cli.duckdb"
    path = write_csv(tmp_path, ROW.format(d=1, y=1).replace(",1400,", ",far,"), name="bad.csv")
    assert main(["import", str(path), "--spec", str(SPEC), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "bad.csv" in err and "column 'distance'" in err and "row 1: 'far'" in err
    assert main(["models", "--db", str(db)]) == 0
    assert "no models" in capsys.readouterr().out


def test_missing_spec_and_unknown_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path, ROW.format(d=1, y=1))
    assert main(["import", str(path), "--spec", str(tmp_path / "none.toml")]) == 1
    assert "spec file not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["frobnicate"])
    assert exit_.value.code == 2


def test_environment_variable_picks_the_database(tmp_path: Path) -> None:
    db = tmp_path / "env.duckdb"
    path = write_csv(tmp_path, ROW.format(d=1, y=0))
    env = {"DRIFTWATCH_DB": str(db), "PATH": ""}
    run = [sys.executable, "-m", "monitoring"]
    done = subprocess.run(
        [*run, "import", str(path), "--spec", str(SPEC)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    listed = subprocess.run(
        [*run, "models", "--json"], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(listed.stdout)[0]["rows"] == 1


def test_demo_if_missing_leaves_an_existing_database(tmp_path: Path) -> None:
    db = tmp_path / "kept.duckdb"
    db.write_bytes(b"")
    assert main(["demo", "--if-missing", "--db", str(db)]) == 0
    assert db.read_bytes() == b""
