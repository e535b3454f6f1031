"""The Feature drift page with AppTest: run, table, feature charts, empty windows."""

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from monitoring import log_records
from monitoring.demo import CLASSIFIER
from monitoring.store.connection import Store
from monitoring.store.windows import window_count
from tests.conftest import REPO, tiny_records, tiny_spec

APP = str(REPO / "app.py")
PAGE = "pages/feature_drift.py"
APRIL = dt.datetime(2013, 4, 1)


def open_page(db: Path, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    monkeypatch.setenv("DRIFTWATCH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def titles(at: AppTest) -> list[str]:
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return [s["layout"].get("title", {}).get("text", "") for s in specs]


def test_run_shows_one_row_per_feature_and_a_chart(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(
        demo_db, monkeypatch, model=CLASSIFIER, **{"from": "2013-08-05", "to": "2013-08-18"}
    )
    assert "Press **Run drift tests**" in at.info[0].value
    at.button(key="drift_run").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 12  # the demo classifier's features
    assert set(table["column"]) >= {"temp", "carrier", "dest", "day_of_week"}
    excess = table["× limit"].str.rstrip("×").replace("", "nan").astype(float)
    assert excess.iloc[0] == excess.max()  # furthest beyond its limit first
    assert not table.isin(["None", "nan"]).any().any()  # empty cells stay empty
    assert "< 1e-300" in set(table["p-value"]) and "0" not in set(table["p-value"])
    assert {"KS D", "JS", "W/σ"} <= set(table.columns) and "effect" not in table
    drifted = int(at.metric[0].value.split(" of ")[0])
    sentences = [s for m in at.markdown for s in m.value.splitlines() if s.startswith("- **")]
    assert len(sentences) == drifted == int(table["drifted"].sum())  # one sentence each
    # numbers say where the middle went; categories which shares moved, in points
    assert all(("median" in s or " points)" in s) and "None" not in s for s in sentences)
    assert at.dataframe[1].value.columns[0] == "feature"  # the ranking over all weeks
    assert at.metric[0].label == "Features drifted"
    assert "Bonferroni" in at.caption[1].value or "Bonferroni" in " ".join(
        c.value for c in at.caption
    )
    shown = titles(at)
    assert f"{table['column'].iloc[0]}: reference vs current" in shown
    assert "predicted_late: reference vs current" in shown

    at.selectbox(key="drift_feature").set_value("carrier").run()
    assert not at.exception
    assert "carrier: reference vs current" in titles(at)
    assert at.query_params["feature"] == "carrier"


def test_stored_results_appear_without_running(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = {"from": "2013-09-02", "to": "2013-09-08"}
    at = open_page(demo_db, monkeypatch, model=CLASSIFIER, **window)
    at.button(key="drift_run").click().run()
    again = open_page(demo_db, monkeypatch, model=CLASSIFIER, feature="dest", **window)
    assert not again.info or "Press" not in again.info[0].value
    assert again.selectbox(key="drift_feature").value == "dest"
    assert any("Stored result computed" in c.value for c in again.caption)


def test_an_empty_window_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "gap.duckdb"
    records = tiny_records(40)
    records.loc[39, "ts"] = records.loc[0, "ts"] + pd.Timedelta(days=90)
    log_records(records, tiny_spec(), db=db)
    at = open_page(db, monkeypatch, model="churn", **{"from": "2024-02-15", "to": "2024-02-20"})
    at.button(key="drift_run").click().run()
    assert not at.exception
    assert "no records" in at.warning[0].value
    assert any("the current window has no rows" in i.value for i in at.info)  # beside the feature


def test_a_custom_reference_and_thresholds_travel_in_the_link(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    march = {"ref_from": "2013-03-01", "ref_to": "2013-03-31", "alpha": "0.01"}
    week = {"from": "2013-08-05", "to": "2013-08-11"}
    at = open_page(demo_db, monkeypatch, model=CLASSIFIER, **week, **march)
    reference = at.date_input(key=f"drift_reference:{CLASSIFIER}")
    assert reference.value == (dt.date(2013, 3, 1), dt.date(2013, 3, 31))
    assert at.number_input(key="drift_alpha").value == 0.01
    at.button(key="drift_run").click().run()
    assert not at.exception
    march = window_count(Store(demo_db).model(CLASSIFIER), dt.datetime(2013, 3, 1), APRIL)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Reference rows"] == f"{march.rows:,}"  # the run compared with March
    assert any(c.value.startswith("Reference 2013-03-01 → 2013-03-31 against") for c in at.caption)
    assert at.query_params["ref_from"] == "2013-03-01"
    assert at.query_params["alpha"] == "0.01"

    reference.set_value((dt.date(2013, 1, 1), dt.date(2013, 2, 28))).run()  # the spec's own
    assert "ref_from" not in at.query_params
    assert "ref_to" not in at.query_params
