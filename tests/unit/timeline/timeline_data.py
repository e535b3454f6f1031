"""Synthetic records for the timeline tests: a calm reference, then a shift in ``age``."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from monitoring.alert_spec import AlertRules
from monitoring.schema import ModelSpec
from tests.conftest import tiny_spec


def spec(name: str = "churn", **overrides: object) -> ModelSpec:
    """:func:`tiny_spec` with optional alert rules."""
    return tiny_spec(name=name, **overrides)


def records(
    start: str, days: int, per_day: int = 200, age_shift: float = 0.0, seed: int = 0
) -> pd.DataFrame:
    """``per_day`` records a day for ``days`` days; ``age`` moves by ``age_shift`` std."""
    rng = np.random.default_rng(seed)
    n = days * per_day
    ts = pd.Timestamp(start) + pd.to_timedelta(np.sort(rng.uniform(0, days * 86400, n)), "s")
    plan = rng.choice(["basic", "pro", "team"], size=n, p=[0.5, 0.3, 0.2])
    return pd.DataFrame(
        {
            "ts": ts.floor("s"),
            "age": rng.normal(40 + 10 * age_shift, 10, n),
            "income": rng.gamma(2.0, 1000.0, n),
            "plan": plan,
            "pred": rng.integers(0, 2, n),
            "score": rng.uniform(0, 1, n),
            "label": rng.integers(0, 2, n),
        }
    )


def alert_spec(**rules: object) -> ModelSpec:
    """The tiny spec with ``[alerts]`` rules."""
    return spec(alerts=AlertRules(**rules))  # type: ignore[arg-type]


JANUARY = (dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1))
