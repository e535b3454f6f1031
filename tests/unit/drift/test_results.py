"""Stored drift results: reused while the data is unchanged, recomputed once it changes."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from monitoring.drift import results
from monitoring.drift.config import DriftConfig
from monitoring.store.connection import Store
from monitoring.store.ingest import validate_records
from tests.unit.drift.test_engine import CURRENT, FEB, JAN, REFERENCE, SPEC, build, drift, frame


def stored_runs(store: Store) -> pd.DataFrame:
    return store.query("SELECT rows_current FROM dw_drift_runs WHERE model = 'm'")


def test_the_same_question_is_answered_from_storage(tmp_path: Path) -> None:
    store = build(tmp_path / "d.duckdb", frame(200, JAN, 1), frame(150, FEB, 2, 0.5))
    first = drift(store)
    second = drift(store)
    assert not first.from_store and second.from_store
    assert dataclasses.replace(second, from_store=False) == first  # rebuilt exactly
    runs = stored_runs(store)
    assert len(runs) == 1 and runs["rows_current"].iloc[0] == 150
    columns = store.query("SELECT column_name, p_value FROM dw_drift_columns ORDER BY 1")
    assert len(columns) == len(first.columns)


def test_a_new_import_in_a_window_makes_its_results_stale(tmp_path: Path) -> None:
    store = build(tmp_path / "d.duckdb", frame(200, JAN, 3), frame(150, FEB, 4))
    before = drift(store)
    late = frame(50, FEB, 5)
    store.append(SPEC, validate_records(late, SPEC, "late"), "late")
    after = drift(store)
    assert not after.from_store and after.rows_current == 200
    assert after.column("x").p_value != before.column("x").p_value
    assert drift(store).from_store  # fresh again
    assert len(stored_runs(store)) == 1  # replaced, not duplicated


def test_an_import_outside_both_windows_keeps_results_fresh(tmp_path: Path) -> None:
    store = build(tmp_path / "d.duckdb", frame(200, JAN, 6), frame(150, FEB, 7))
    drift(store)
    april = frame(30, FEB, 8).assign(ts=lambda f: f.ts + np.timedelta64(60, "D"))
    store.append(SPEC, validate_records(april, SPEC, "april"), "april")
    assert drift(store).from_store


def test_keys_differ_by_configuration_and_window() -> None:
    base = results.run_key("m", DriftConfig(), REFERENCE, CURRENT)
    assert base == results.run_key("m", DriftConfig(), REFERENCE, CURRENT)
    assert base != results.run_key("m", DriftConfig(correction="fdr"), REFERENCE, CURRENT)
    assert base != results.run_key("m", DriftConfig(), REFERENCE, (FEB, CURRENT[1].replace(day=2)))
    assert base != results.run_key("other", DriftConfig(), REFERENCE, CURRENT)


def test_documents_are_strict_json_and_round_trip(tmp_path: Path) -> None:
    ref = frame(60, JAN, 9).assign(b=["yes"] * 59 + ["no"])
    cur = frame(60, FEB, 10).assign(b="no")  # a zero cell: the odds ratio is infinite
    report = drift(build(tmp_path / "d.duckdb", ref, cur))
    assert math.isinf(report.column("b").statistic or 0.0)
    strict = results.to_document(report)
    text = json.dumps(strict, allow_nan=False)
    assert json.loads(text)["schema_version"] == results.SCHEMA_VERSION
    assert strict["columns"][report.columns.index(report.column("b"))]["statistic"] is None
    loose = json.loads(json.dumps(results.to_document(report, strict=False)))
    assert results.from_document(loose) == report
