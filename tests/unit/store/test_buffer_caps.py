"""The buffer cap is in force only while every connection to the file asked for one."""

from __future__ import annotations

import duckdb
import pytest

from monitoring.store.connection import Store

MIB = 2**20
UNITS = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


def limit(con: duckdb.DuckDBPyConnection) -> float:
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert row is not None
    number, unit = str(row[0]).split()
    return float(number) * UNITS[unit]


@pytest.fixture
def default(store: Store) -> float:
    """DuckDB's own limit on this machine (well above the caps used here)."""
    with store.connect() as con:
        value = limit(con)
    assert value > 1024 * MIB
    return value


def test_a_capped_connection_alone_gets_its_cap(store: Store, default: float) -> None:
    with store.connect(buffer_cap=100 * MIB) as con:
        assert limit(con) == pytest.approx(100 * MIB, rel=0.05)
    with store.connect() as con:
        assert limit(con) == default


def test_an_uncapped_connection_lifts_the_cap_while_it_is_open(
    store: Store, default: float
) -> None:
    with store.connect(buffer_cap=100 * MIB) as capped:
        with store.connect() as plain:
            assert limit(plain) == default
            assert limit(capped) == default  # one instance, one limit
        assert limit(capped) == pytest.approx(100 * MIB, rel=0.05)


def test_the_largest_cap_asked_for_wins_and_can_change(store: Store) -> None:
    with store.connect(buffer_cap=100 * MIB) as small, store.connect(buffer_cap=300 * MIB):
        assert limit(small) == pytest.approx(300 * MIB, rel=0.05)
        store.cap_buffer(small, 500 * MIB)
        assert limit(small) == pytest.approx(500 * MIB, rel=0.05)
    with store.connect(buffer_cap=100 * MIB) as again:
        assert limit(again) == pytest.approx(100 * MIB, rel=0.05)


def test_stores_of_one_file_share_the_rule(store: Store, default: float) -> None:
    other = Store(store.path.parent / "." / store.path.name)  # same file, other spelling
    with store.connect(buffer_cap=100 * MIB), other.connect() as plain:
        assert limit(plain) == default
