import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitoring.store import warm
from monitoring.store.connection import Store


@pytest.fixture
def kept(store: Store) -> Iterator[Store]:
    store.data_version()  # the file exists
    warm.keep_warm(store.path, linger=0.2, longest=0.8, gap=0.2)
    yield store
    warm.release(store.path)


def held(store: Store) -> bool:
    return warm._KEPT[store.path.resolve()].con is not None


def test_the_file_stays_open_while_busy_and_is_let_go_when_idle(kept: Store) -> None:
    kept.data_version()
    assert held(kept)
    time.sleep(0.1)
    kept.data_version()
    assert held(kept)
    time.sleep(0.5)  # past the linger
    assert not held(kept)


def test_a_busy_process_still_lets_the_file_go_for_a_gap(kept: Store) -> None:
    seen = []
    until = time.monotonic() + 1.5
    while time.monotonic() < until:
        kept.data_version()
        seen.append(held(kept))
        time.sleep(0.02)
    assert seen[0] and False in seen  # let go after `longest` although busy …
    assert True in seen[seen.index(False) :]  # … and kept again after the gap


def test_another_process_can_write_once_the_file_is_idle(kept: Store, tmp_path: Path) -> None:
    kept.data_version()
    assert held(kept)
    time.sleep(0.5)
    code = f"import duckdb; duckdb.connect({str(kept.path)!r}).execute('SELECT 1').close()"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_without_opting_in_nothing_is_kept(store: Store) -> None:
    store.data_version()
    assert store.path.resolve() not in warm._KEPT
