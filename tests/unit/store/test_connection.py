import datetime as dt

import pytest

from monitoring import log_records
from monitoring.errors import ModelNotFoundError, StoreError
from monitoring.store.connection import Store, default_db_path
from monitoring.store.overview import model_overview
from monitoring.store.sql import quote_ident
from monitoring.store.windows import calendar_windows, row_windows, window_records
from tests.conftest import REPO, tiny_records, tiny_spec

METADATA_TABLES = [
    "dw_alert_deliveries",
    "dw_alerts",
    "dw_annotations",
    "dw_audit",
    "dw_check_runs",
    "dw_drift_columns",
    "dw_drift_runs",
    "dw_imports",
    "dw_models",
    "dw_silences",
    "dw_slices",
    "dw_timeline_cells",
    "dw_timeline_windows",
]

HOSTILE = 'a"; DROP TABLE dw_models; --'


def test_quote_ident_doubles_quotes() -> None:
    assert quote_ident("plain") == '"plain"'
    assert quote_ident('say "hi"') == '"say ""hi"""'
    assert quote_ident(HOSTILE) == '"a""; DROP TABLE dw_models; --"'


@pytest.mark.parametrize(
    "name", [HOSTILE, "naïve café ☕", "with spaces", "semi;colon", "'single'", 'x" --']
)
def test_hostile_names_pass_through_import_and_queries(store: Store, name: str) -> None:
    spec = tiny_spec(
        name=name,
        timestamp=f"{name} ts",
        numeric_features=(name, "income"),
        categorical_features=(f"{name}!",),
    )
    records = tiny_records(40, freq="D").rename(
        columns={"ts": f"{name} ts", "age": name, "plan": f"{name}!"}
    )
    log_records(records, spec, db=store.path)
    log_records(records, spec, db=store.path)
    assert store.models() == [name]
    assert store.model(name).spec == spec
    overview = model_overview(store.model(name))
    assert overview.rows == 80
    windows = calendar_windows(
        store.model(name), "week", dt.datetime(2024, 1, 1), dt.datetime(2024, 3, 1)
    )
    assert sum(w.rows for w in windows) == 80
    assert (
        sum(
            w.rows
            for w in row_windows(
                store.model(name), 7, dt.datetime(2024, 1, 1), dt.datetime(2025, 1, 1)
            )
        )
        == 80
    )
    newest = window_records(
        store.model(name), dt.datetime(2024, 1, 1), dt.datetime(2025, 1, 1), limit=3
    )
    assert list(newest.columns)[:2] == [f"{name} ts", name]
    # Nothing was dropped or injected: the metadata tables are intact.
    tables = store.query("SELECT table_name FROM duckdb_tables() ORDER BY 1")["table_name"].tolist()
    assert tables == sorted([*METADATA_TABLES, f"records:{name}"])


def test_unknown_model_lists_the_known_ones(store: Store) -> None:
    log_records(tiny_records(2), tiny_spec(), db=store.path)
    with pytest.raises(
        ModelNotFoundError, match=r"no model named 'nope' .* known models: \['churn'\]"
    ):
        store.model("nope")


def test_data_version_grows_with_imports(store: Store) -> None:
    assert store.data_version() == 0
    log_records(tiny_records(2), tiny_spec(), db=store.path)
    first = store.data_version()
    log_records(tiny_records(2), tiny_spec(), db=store.path)
    assert store.data_version() > first > 0


def test_default_db_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRIFTWATCH_DB", raising=False)
    assert default_db_path() == REPO / "data" / "driftwatch.duckdb"
    monkeypatch.setenv("DRIFTWATCH_DB", "/tmp/elsewhere.duckdb")
    assert str(default_db_path()) == "/tmp/elsewhere.duckdb"


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path) -> None:
    path = tmp_path / "not.duckdb"
    path.write_text("hello")
    with pytest.raises(StoreError, match="cannot open the database"):
        Store(path).models()
