"""The data version the app shows: a newer import is adopted, but not more often than
every ``REFRESH_S`` (a pipeline importing every few seconds must not make every session
compute every answer again after each import)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitoring import log_records
from monitoring.store.connection import Store
from tests.conftest import tiny_records, tiny_spec
from ui import memo


def test_a_newer_import_is_shown_once_the_shown_version_is_old_enough(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "v.duckdb")
    log_records(tiny_records(10), tiny_spec(), db=store.path)
    clock = [1000.0]
    monkeypatch.setattr(memo.time, "monotonic", lambda: clock[0])
    first = memo.current_db(store)
    assert first.version == store.data_version()

    log_records(tiny_records(10, start="2024-03-01"), tiny_spec(), db=store.path)
    clock[0] += memo.REFRESH_S - 1
    assert memo.current_db(store) == first  # shown for less than REFRESH_S: kept

    clock[0] += 1
    newer = memo.current_db(store)
    assert newer.version == store.data_version() > first.version


def test_the_first_look_at_a_file_shows_its_newest_import(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.duckdb")
    log_records(tiny_records(10), tiny_spec(), db=store.path)
    log_records(tiny_records(10, start="2024-03-01"), tiny_spec(), db=store.path)
    assert memo.current_db(store).version == store.data_version() == 2
