"""Dated notes on a model's timeline."""

from __future__ import annotations

import datetime as dt

import pytest

from monitoring import log_records
from monitoring.errors import ModelNotFoundError, MonitoringError
from monitoring.store.annotations import (
    MAX_TEXT,
    add_annotation,
    delete_annotation,
    list_annotations,
)
from monitoring.store.connection import Store
from tests.conftest import tiny_records, tiny_spec


@pytest.fixture
def model(store: Store) -> Store:
    log_records(tiny_records(), tiny_spec(), db=store.path)
    log_records(tiny_records(), tiny_spec(name="other"), db=store.path)
    return store


def test_add_list_in_range_and_delete(model: Store) -> None:
    deployed = add_annotation(model, "churn", dt.date(2024, 1, 3), "  model v2\n deployed ")
    add_annotation(model, "churn", dt.datetime(2024, 1, 5, 12), "upstream schema change")
    add_annotation(model, "other", dt.date(2024, 1, 3), "not churn's")
    assert deployed.text == "model v2 deployed" and deployed.at == dt.datetime(2024, 1, 3)
    assert [n.text for n in list_annotations(model, "churn")] == [
        "model v2 deployed",
        "upstream schema change",
    ]
    window = list_annotations(model, "churn", dt.datetime(2024, 1, 4), dt.datetime(2024, 1, 6))
    assert [n.text for n in window] == ["upstream schema change"]
    assert delete_annotation(model, deployed.id) is True
    assert delete_annotation(model, deployed.id) is False
    assert [n.text for n in list_annotations(model, "churn")] == ["upstream schema change"]


def test_aware_moments_become_naive_utc(model: Store) -> None:
    aware = dt.datetime(2024, 1, 3, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert add_annotation(model, "churn", aware, "x").at == dt.datetime(2024, 1, 3, 10)


@pytest.mark.parametrize(
    ("text", "message"), [("", "needs some text"), ("  \n ", "needs some text"),
                          ("x" * (MAX_TEXT + 1), f"at most {MAX_TEXT}")]
)  # fmt: skip
def test_bad_text_is_refused(model: Store, text: str, message: str) -> None:
    with pytest.raises(MonitoringError, match=message):
        add_annotation(model, "churn", dt.date(2024, 1, 1), text)
    assert list_annotations(model, "churn") == []


def test_unknown_model_is_refused(model: Store) -> None:
    with pytest.raises(ModelNotFoundError):
        add_annotation(model, "nope", dt.date(2024, 1, 1), "x")
