"""Shared fixtures: tiny specs and stores, and one demo database per test session."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from monitoring.demo import build_demo
from monitoring.schema import ModelSpec, ReferenceWindow
from monitoring.store.connection import Store

REPO = Path(__file__).resolve().parent.parent


def tiny_spec(name: str = "churn", **overrides: object) -> ModelSpec:
    """A binary model with two numeric and one categorical feature; reference = January 2024."""
    fields: dict[str, object] = {
        "name": name,
        "task": "binary",
        "timestamp": "ts",
        "prediction": "pred",
        "scores": ("score",),
        "target": "label",
        "numeric_features": ("age", "income"),
        "categorical_features": ("plan",),
        "reference": ReferenceWindow(dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1)),
    }
    fields.update(overrides)
    return ModelSpec(**fields)  # type: ignore[arg-type]


def tiny_records(rows: int = 6, start: str = "2024-01-01", freq: str = "D") -> pd.DataFrame:
    """``rows`` records matching :func:`tiny_spec`, one per ``freq`` from ``start``."""
    return pd.DataFrame(
        {
            "ts": pd.date_range(start, periods=rows, freq=freq),
            "age": [30.0 + i for i in range(rows)],
            "income": [1000.0 * (i + 1) for i in range(rows)],
            "plan": [["basic", "pro"][i % 2] for i in range(rows)],
            "pred": [i % 2 for i in range(rows)],
            "score": [0.1 + 0.8 * (i % 2) for i in range(rows)],
            "label": [i % 2 for i in range(rows)],
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "test.duckdb")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full demo database, built once for the whole test session (about 10 s)."""
    path = tmp_path_factory.mktemp("demo") / "driftwatch.duckdb"
    build_demo(path)
    return path


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small database whose every user-set name carries markup (see ``tests/hostile.py``)."""
    from tests.hostile import build_hostile

    return build_hostile(tmp_path_factory.mktemp("hostile") / "hostile.duckdb").path
