"""Which metrics, period, window and online column a page opens on, for the data it shows."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from monitoring import log_records
from monitoring.performance.applicable import (
    applicable_metrics,
    default_metric,
    default_window,
    online_column,
    readable_plan,
    target_stats,
)
from monitoring.performance.realized import WindowPerformance
from monitoring.schema import AlertRules
from monitoring.store.connection import Store
from monitoring.store.reads import ColumnStats
from monitoring.store.windows import Window, WindowPlan
from tests.conftest import tiny_records, tiny_spec
from tests.unit.performance.performance_data import regression_frame, regression_spec

DAY = dt.datetime(2024, 1, 1)


def test_mape_is_left_out_where_the_target_reaches_zero(store: Store) -> None:
    frame = regression_frame(days=35)  # reference: January 2024
    log_records(frame, regression_spec(), db=store.path)
    positive = target_stats(store, "price")
    assert positive is not None and positive.minimum is not None and positive.minimum > 0
    assert "mape" in applicable_metrics(regression_spec(), positive)
    crossing = ColumnStats(100, -70.0, 1272.0)
    assert applicable_metrics(regression_spec(), crossing) == ("mae", "rmse", "r2")
    assert "mape" not in applicable_metrics(regression_spec(), ColumnStats(100, 0.0, 5.0))
    assert target_stats(Store(store.path), "price") == positive
    assert applicable_metrics(tiny_spec(), None)[0] == "accuracy"  # a classifier keeps its own


def test_the_default_metric_is_the_one_the_alerts_watch() -> None:
    alerting = tiny_spec(alerts=AlertRules(band_metrics=("roc_auc",)))
    assert default_metric(alerting, applicable_metrics(alerting, None)) == "roc_auc"
    assert default_metric(tiny_spec(), applicable_metrics(tiny_spec(), None)) == "f1"
    assert default_metric(regression_spec(), ("rmse", "r2")) == "rmse"  # MAE not offered


@pytest.mark.parametrize(
    ("days", "rows", "expected"),
    [
        (365, 327_000, WindowPlan("week")),  # the demo: 53 weeks of ~6,000 rows
        (3, 10_000, WindowPlan("hour")),  # 72 hours of ~140 rows
        (120, 24_000, WindowPlan("day")),
        (365 * 50, 18_262, WindowPlan(rows=200)),  # 50 years daily: not 2,600 weeks of 7 rows
        (365 * 2, 1_000, WindowPlan(rows=100)),  # a row-count window is never under the minimum
    ],
)
def test_a_readable_period(days: int, rows: int, expected: WindowPlan) -> None:
    plan = readable_plan(DAY, DAY + dt.timedelta(days=days), rows, min_rows=100)
    assert plan == expected


def windows(labelled: list[int]) -> list[WindowPerformance]:
    return [
        WindowPerformance(
            Window(DAY + dt.timedelta(weeks=i), DAY + dt.timedelta(weeks=i + 1), 6_000, n),
            "ok" if n else "pending",
            False,
            {},
        )
        for i, n in enumerate(labelled)
    ]


def test_the_first_window_shown_has_most_of_its_labels() -> None:
    shown = windows([6_000, 5_900, 6_100, 998, 0])
    first = default_window(shown)
    assert first is not None and first.window.labelled == 6_100  # not the 998 of the newest
    assert default_window(windows([20, 30])).window.labelled == 30  # type: ignore[union-attr]
    assert default_window(windows([0, 0])).status == "pending"  # type: ignore[union-attr]
    assert default_window([]) is None


def test_the_online_column_does_not_follow_the_arrival_order(store: Store) -> None:
    frame = tiny_records(400, freq="h")
    rng = np.random.default_rng(0)
    frame["age"] = frame["ts"].dt.hour.astype(float)  # rises through every day, like dep_hour
    frame["income"] = rng.normal(1000, 100, len(frame))
    log_records(frame, tiny_spec(), db=store.path)
    assert online_column(store, "churn") == "income"
    flipped = frame.assign(age=rng.normal(40, 5, len(frame)), income=np.arange(len(frame)) * 1.0)
    other = Store(store.path.with_name("other.duckdb"))
    log_records(pd.DataFrame(flipped), tiny_spec(), db=other.path)
    assert online_column(other, "churn") == "age"
