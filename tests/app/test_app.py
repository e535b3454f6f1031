"""The app shell, Overview and Data pages, run headless with Streamlit's AppTest."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from monitoring.demo import CLASSIFIER, REGRESSOR
from tests.conftest import REPO, tiny_records, tiny_spec

APP = str(REPO / "app.py")


@pytest.fixture
def demo_app(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("DRIFTWATCH_DB", str(demo_db))
    return AppTest.from_file(APP, default_timeout=60)


def test_overview_lists_every_model(demo_app: AppTest) -> None:
    at = demo_app.run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    table = at.dataframe[0].value
    assert table["model"].tolist() == [REGRESSOR, CLASSIFIER]
    assert set(table.columns) >= {
        "rows",
        "time range",
        "reference",
        "labelled",
        "latest week vs reference",
    }
    assert table["reference"].tolist() == ["2013-01-01 → 2013-02-28"] * 2
    assert 0.9 < table["labelled"][0] < 0.95
    assert [m.label for m in at.metric] == [
        "Records",
        "Label coverage",
        "Latest week",
        "Production window",
    ]


def test_sidebar_choice_survives_a_page_switch_and_lands_in_the_url(demo_app: AppTest) -> None:
    at = demo_app.run()
    at.sidebar.selectbox(key="sidebar_model").set_value(CLASSIFIER).run()
    assert at.query_params["model"] == CLASSIFIER
    at.sidebar.date_input(key="sidebar_window").set_value(
        (dt.date(2013, 5, 1), dt.date(2013, 5, 31))
    ).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert at.title[0].value == "Data"
    assert at.sidebar.selectbox(key="sidebar_model").value == CLASSIFIER
    assert at.query_params["from"] == "2013-05-01" and at.query_params["to"] == "2013-05-31"
    assert "2013-05-01 → 2013-05-31" in at.caption[0].value
    records = at.dataframe[0].value
    assert len(records) == 500
    assert records["scheduled_departure"].max().strftime("%Y-%m-%d") == "2013-05-31"


def test_a_link_reproduces_the_view(demo_app: AppTest) -> None:
    demo_app.query_params.update({"model": CLASSIFIER, "from": "2013-07-01", "to": "2013-07-07"})
    at = demo_app.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="sidebar_model").value == CLASSIFIER
    window = at.sidebar.date_input(key="sidebar_window").value
    assert [d.isoformat() for d in window] == ["2013-07-01", "2013-07-07"]


def test_a_bad_link_falls_back_and_says_so(demo_app: AppTest) -> None:
    demo_app.query_params.update({"model": "nope", "from": "2020-01-01", "to": "x"})
    at = demo_app.run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.sidebar.warning)
    assert "'nope' is not in this database" in warnings
    assert "not two dates" in warnings
    assert at.sidebar.selectbox(key="sidebar_model").value == REGRESSOR


def test_changing_model_resets_the_window(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitoring import log_records

    db = tmp_path / "two.duckdb"
    log_records(tiny_records(40), tiny_spec(name="a"), db=db)
    log_records(tiny_records(10, start="2025-06-01"), tiny_spec(name="b"), db=db)
    monkeypatch.setenv("DRIFTWATCH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.sidebar.selectbox(key="sidebar_model").set_value("b").run()
    assert not at.exception
    window = at.sidebar.date_input(key="sidebar_window").value
    assert [d.isoformat() for d in window] == ["2025-06-01", "2025-06-10"]


def test_an_empty_database_explains_how_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRIFTWATCH_DB", str(tmp_path / "empty.duckdb"))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "python -m monitoring import" in at.info[0].value
    at.switch_page("pages/data.py").run()
    assert not at.exception and "No models yet" in at.info[0].value


def test_empty_production_window_on_the_data_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitoring import log_records

    db = tmp_path / "gap.duckdb"
    records = tiny_records(2)
    records.loc[1, "ts"] = records.loc[0, "ts"] + pd.Timedelta(days=60)
    log_records(records, tiny_spec(), db=db)
    monkeypatch.setenv("DRIFTWATCH_DB", str(db))
    app = AppTest.from_file(APP, default_timeout=30)
    app.query_params.update({"model": "churn", "from": "2024-01-10", "to": "2024-01-20"})
    at = app.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert "No records between 2024-01-10 → 2024-01-20" in at.info[0].value


def test_first_run_builds_the_default_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import monitoring.store.connection
    from ui import data

    default = tmp_path / "data" / "driftwatch.duckdb"
    monkeypatch.delenv("DRIFTWATCH_DB", raising=False)
    monkeypatch.setattr(monitoring.store.connection, "DEFAULT_DB", default)
    store = data.store()
    assert store.path == default and default.exists()
    assert store.models() == [REGRESSOR, CLASSIFIER]


def test_formula_like_cells_are_shown_neutralised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """st.dataframe's own CSV download must not hand a spreadsheet a formula."""
    from monitoring import log_records

    db = tmp_path / "formula.duckdb"
    records = tiny_records(3).assign(plan=['=HYPERLINK("http://x")', "+1", "basic"])
    log_records(records, tiny_spec(name="@model"), db=db)
    monkeypatch.setenv("DRIFTWATCH_DB", str(db))
    app = AppTest.from_file(APP, default_timeout=30)
    app.query_params.update({"model": "@model", "from": "2024-01-01", "to": "2024-01-03"})
    at = app.run()
    assert at.dataframe[0].value["model"].tolist() == ["'@model"]
    at.switch_page("pages/data.py").run()
    assert not at.exception
    plans = at.dataframe[0].value["plan"].tolist()
    assert sorted(plans) == sorted(['\'=HYPERLINK("http://x")', "'+1", "basic"])


def test_old_drafts_of_closed_tabs_go_when_the_server_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitoring import log_records
    from monitoring.store import slices
    from monitoring.store.connection import Store
    from monitoring.store.slices import Upload

    db = tmp_path / "drafts.duckdb"
    log_records(tiny_records(10), tiny_spec(), db=db)
    store = Store(db)
    records = tiny_records(5)[list(tiny_spec().columns())].astype({"pred": str, "label": str})
    for n, age in enumerate((7, 1)):  # hours since upload: a closed tab's draft, a fresh one
        draft = slices.write_slice(store, tiny_spec(), Upload(f"{n}.csv", f"{n}" * 64, records))
        with store.connect() as con:
            con.execute(
                "UPDATE dw_slices SET uploaded_at = uploaded_at - to_hours(?) WHERE id = ?",
                [age, draft.id],
            )
    monkeypatch.setenv("DRIFTWATCH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    left = store.query("SELECT file_name FROM dw_slices WHERE draft")["file_name"].tolist()
    assert left == ["1.csv"]  # the six-hour-old one went, whoever uploaded it


def test_a_database_error_outside_the_store_is_said_in_words() -> None:
    def page() -> None:
        import duckdb

        from ui import page

        with page.errors():
            raise duckdb.TransactionException("Conflict on tuple deletion!")

    at = AppTest.from_function(page).run()
    assert not at.exception
    assert "The database could not answer this time" in at.error[0].value
    assert "Conflict" not in at.error[0].value
