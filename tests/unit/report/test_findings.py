"""Findings in plain words, on data whose truth is known: a numeric shift, a category's share."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from monitoring import log_records
from monitoring.drift.config import DriftConfig
from monitoring.drift.effects import Histogram
from monitoring.drift.engine import run_configured
from monitoring.drift.report import DriftReport
from monitoring.report.findings import finding_text, findings, window_words
from monitoring.report.tables import for_people, p_cell, report_table
from monitoring.store.connection import Store
from tests.conftest import tiny_spec
from tests.unit.report.test_figures_drift import categorical, column

WEEK = (dt.datetime(2024, 2, 5), dt.datetime(2024, 2, 12))


def month(start: str, days: int, age: float, pro: float, seed: int) -> pd.DataFrame:
    """200 rows a day: ``age`` normal around ``age`` (SD 10), ``plan`` "pro" with share ``pro``."""
    rng = np.random.default_rng(seed)
    n = days * 200
    return pd.DataFrame(
        {
            "ts": pd.Timestamp(start) + pd.to_timedelta(np.arange(n) * (86400 // 200), "s"),
            "age": rng.normal(age, 10, n),
            "income": rng.gamma(2.0, 1000.0, n),
            "plan": np.where(rng.uniform(size=n) < pro, "pro", "basic"),
            "pred": rng.integers(0, 2, n),
            "score": rng.uniform(0, 1, n),
            "label": rng.integers(0, 2, n),
        }
    )


@pytest.fixture
def shifted(store: Store) -> DriftReport:
    """January as the reference; in February age is 30 higher (3 SDs) and "pro" 50 → 80 %.
    The week of 2024-02-05 is compared, calibrated on January's weeks."""
    spec = tiny_spec()
    log_records(month("2024-01-01", 31, age=40, pro=0.5, seed=0), spec, db=store.path)
    log_records(month("2024-02-01", 29, age=70, pro=0.8, seed=1), spec, db=store.path)
    return run_configured(store, "churn", DriftConfig(), WEEK, None)


def test_one_sentence_per_drifted_feature_with_the_known_shift(shifted: DriftReport) -> None:
    found = {f.column: f for f in findings(shifted)}
    assert set(found) == {"age", "plan"}  # income did not move
    age = found["age"].sentence()
    medians = re.search(
        r"median (\d+) in the week of 2024-02-05 against (\d+) in the reference", age
    )
    assert medians is not None, age
    assert abs(int(medians[1]) - 70) <= 1 and abs(int(medians[2]) - 40) <= 1
    sds = re.search(r"\(\+(\d\.\d) reference SDs\)", age)
    assert sds is not None and 2.8 <= float(sds[1]) <= 3.2
    assert "far outside its usual week-to-week range" in age, shifted.calibration
    plan = found["plan"].text
    moved = re.search(r"pro (\d+\.\d)% → (\d+\.\d)% \(\+(\d+\.\d) points\)", plan)
    assert moved is not None, plan
    assert abs(float(moved[1]) - 50) < 2 and abs(float(moved[2]) - 80) < 2
    assert "basic" in plan and "−" in plan  # basic fell by as much, with a real minus sign
    assert "None" not in age + plan and "nan" not in age + plan


def test_the_window_is_named_as_people_say_it(shifted: DriftReport) -> None:
    assert window_words(shifted) == "the week of 2024-02-05"
    assert findings(shifted, "the new month")[0].text.count("the new month") == 1


def test_a_mostly_constant_feature_says_which_values_changed_share() -> None:
    # 90 % zeros in the reference, 60 % in the current window: the median is 0 in both.
    bins = Histogram((0.0, 0.0, 5.0, 10.0), reference=(90, 5, 5), current=(60, 20, 20))
    zero_heavy = column(histogram=bins, bins=bins, excess=3.0)
    text = finding_text(zero_heavy, "July", "month-to-month")
    assert text.startswith("median unchanged, but 60.0% of values at 0 in July against 90.0%")
    assert "far outside its usual month-to-month range" in text


def test_data_quality_joins_the_sentence_and_unseen_categories_are_said_once() -> None:
    cat = categorical(excess=1.2, novel=0.4, novel_limit=0.0, unseen=(("new", 0.4),),
                      unseen_share=0.4)  # fmt: skip
    text = finding_text(cat, "July", "week-to-week")
    assert text.startswith("outside its usual week-to-week range; the largest moves in July:")
    assert "new 0.0% → 50.0% (+50.0 points), a 40.0% → 12.5% (−27.5 points)" in text
    assert text.endswith("40.0% of values in categories the reference never had (usually none).")
    numeric = column(excess=1.5, missing_current=0.1, missing_limit=0.02)
    assert finding_text(numeric, "July", "day-to-day").endswith(
        "10.0% missing (usually at most 2.0%)."
    )


def test_the_fixed_rule_states_the_effect_instead_of_a_usual_range() -> None:
    text = finding_text(column(excess=None), "July", "")
    assert "usual" not in text and text.endswith("effect W/σ 0.30.")


def test_tables_keep_each_measure_apart_and_print_p_values_for_people(
    shifted: DriftReport,
) -> None:
    table = report_table(shifted.columns)
    age = table.set_index("column").loc["age"]
    plan = table.set_index("column").loc["plan"]
    assert age["KS D"] > 0.5 and np.isnan(age["JS"]) and age["W/σ"] > 2
    assert plan["JS"] > 0 and np.isnan(plan["KS D"]) and np.isnan(plan["W/σ"])
    shown = for_people(table)
    assert not shown.isin(["None", "nan", "NaN"]).any().any()
    assert shown.set_index("column").loc["plan", "KS D"] == ""
    assert p_cell(0.0) == "< 1e-300" and p_cell(0.0123) == "0.012" and p_cell(float("nan")) == ""
