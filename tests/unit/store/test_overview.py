import datetime as dt

import pandas as pd

from monitoring import log_records
from monitoring.store.connection import Store
from monitoring.store.overview import all_overviews, model_overview, overview_table
from tests.conftest import tiny_records, tiny_spec


def test_overview_counts(store: Store) -> None:
    # 62 daily records from 2024-01-01: 31 in the January reference, 31 after.
    records = tiny_records(62)
    records.loc[records.index[-10:], "label"] = None
    log_records(records, tiny_spec(), db=store.path)
    overview = model_overview(store.model("churn"))
    assert overview.rows == 62
    assert overview.first == dt.datetime(2024, 1, 1)
    assert overview.last == dt.datetime(2024, 3, 2)
    assert overview.reference_rows == 31
    assert overview.label_coverage == 52 / 62
    assert overview.latest_week_rows == 7
    assert overview.reference_weekly_rows == 7.0
    assert overview.latest_week_ratio == 1.0
    row = overview_table([overview]).iloc[0]
    assert row["time range"] == "2024-01-01 → 2024-03-02"
    assert row["latest week vs reference"] == "7 vs 7 (+0%)"


def test_a_model_without_reference_rows(store: Store) -> None:
    log_records(tiny_records(3, start="2024-06-01"), tiny_spec(), db=store.path)
    overview = model_overview(store.model("churn"))
    assert overview.reference_rows == 0 and overview.latest_week_ratio is None
    assert overview.as_row()["latest week vs reference"] == "3 (no reference rows)"


def test_no_target_no_coverage(store: Store) -> None:
    spec = tiny_spec(target=None)
    log_records(tiny_records(3).drop(columns="label"), spec, db=store.path)
    assert model_overview(store.model("churn")).label_coverage is None


def test_all_overviews_sorted(store: Store) -> None:
    for name in ("b", "a"):
        log_records(tiny_records(2), tiny_spec(name=name), db=store.path)
    assert [o.spec.name for o in all_overviews(store)] == ["a", "b"]
    assert isinstance(overview_table(all_overviews(store)), pd.DataFrame)
