"""Every table is created in one place, once per database file per process, never on reads."""

from pathlib import Path

import duckdb
import pytest

from monitoring.store import tables
from monitoring.store.connection import Store


def test_metadata_is_created_once_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "a.duckdb")
    assert store.models() == []  # the first connection creates the metadata
    executed: list[str] = []
    original = tables.ensure

    def spy(con: duckdb.DuckDBPyConnection, path: Path, created: bool) -> None:
        real_execute = con.execute

        class Recording:
            def execute(self, sql: str, *args: object) -> object:
                executed.append(sql)
                return real_execute(sql, *args)

        original(Recording(), path, created)  # type: ignore[arg-type]

    monkeypatch.setattr(tables, "ensure", spy)
    store.models()
    Store(tmp_path / "a.duckdb").data_version()
    assert executed == []  # later connections, even through another Store, run no DDL
    fresh = tmp_path / "b.duckdb"
    Store(fresh).models()
    ddl = [sql for sql in executed if "current_setting" not in sql]  # read-only or not
    assert len(ddl) == 1 and "CREATE TABLE IF NOT EXISTS dw_models" in ddl[0]


def test_a_file_made_again_under_the_same_name_gets_its_tables(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    assert Store(path).models() == []
    for _ in range(3):  # a deleted file's inode is often given to the next new file
        path.unlink()
        assert Store(path).models() == [] and Store(path).data_version() == 0


def test_a_cache_table_of_an_older_layout_is_made_again(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:  # a file written before calibrated timelines
        con.execute("CREATE TABLE dw_timeline_windows (key VARCHAR, rows BIGINT)")
        con.execute("INSERT INTO dw_timeline_windows VALUES ('k', 1)")
        con.execute("CREATE TABLE dw_timeline_cells (key VARCHAR, quality BOOLEAN)")
        con.execute("INSERT INTO dw_timeline_cells VALUES ('k', true)")
    store = Store(path)
    columns = store.query(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE table_name LIKE 'dw_timeline%'"
    )
    windows = set(columns[columns.table_name == "dw_timeline_windows"].column_name)
    assert "calibration" in windows and "rows" in windows
    assert store.query("SELECT count(*) AS n FROM dw_timeline_windows").n[0] == 0
    # The cells table already had the current layout's marker column: it is kept as it was.
    assert store.query("SELECT count(*) AS n FROM dw_timeline_cells").n[0] == 1
