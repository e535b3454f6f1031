"""Synthetic records shared by the performance, estimation, concept-drift and CLI tests."""

import numpy as np
import pandas as pd

from monitoring.schema import ModelSpec
from tests.conftest import tiny_spec


def binary_frame(
    days: int = 42, per_day: int = 40, start: str = "2024-01-01", seed: int = 0
) -> pd.DataFrame:
    """Records for :func:`tiny_spec`: calibrated scores, labels drawn from them, pred = s ≥ ½."""
    rng = np.random.default_rng(seed)
    n = days * per_day
    score = rng.uniform(0.02, 0.98, n).round(3)  # rounding makes ties
    return pd.DataFrame(
        {
            "ts": pd.Timestamp(start) + pd.to_timedelta(np.arange(n) * (86400 / per_day), unit="s"),
            "age": rng.normal(40, 5, n),
            "income": rng.normal(1000, 100, n),
            "plan": rng.choice(["basic", "pro"], n),
            "pred": (score >= 0.5).astype(int),
            "score": score,
            "label": (rng.uniform(size=n) < score).astype(int),
        }
    )


def regression_spec(name: str = "price", **overrides: object) -> ModelSpec:
    fields: dict[str, object] = {
        "task": "regression",
        "scores": (),
        **overrides,
    }
    return tiny_spec(name, **fields)


def regression_frame(days: int = 42, per_day: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = binary_frame(days, per_day, seed=seed).drop(columns=["score"])
    x = frame["age"].to_numpy()
    return frame.assign(pred=2 * x, label=2 * x + rng.normal(0, 3, len(frame)))
