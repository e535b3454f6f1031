import datetime as dt
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from monitoring import log_records
from monitoring.cli.main import main
from monitoring.errors import MonitoringError
from monitoring.report.pack import report_html
from monitoring.report.review import drift_pack
from monitoring.store.connection import Store
from tests.conftest import tiny_spec

D = dt.datetime


@pytest.fixture
def hostile(store: Store) -> Store:
    """A model whose categorical feature is named like a spreadsheet formula; the plan shifts."""
    rng = pd.Series(range(120))
    frame = pd.DataFrame(
        {
            "ts": pd.date_range("2024-01-01", periods=120, freq="12h"),
            "age": (rng % 17).astype(float) + (rng >= 62) * 9.0,
            "income": (rng * 37 % 101).astype(float),
            "@plan": ["basic" if i < 62 or i % 4 else "=pro" for i in range(120)],
            "pred": [str(i % 2) for i in range(120)],
            "score": [0.2 + 0.6 * (i % 2) for i in range(120)],
            "label": [str(i % 2) for i in range(120)],
        }
    )
    log_records(frame, tiny_spec(categorical_features=("@plan",)), db=store.path)
    return store


def test_pack_holds_volume_features_outputs_and_the_table(hostile: Store) -> None:
    pack = drift_pack(hostile, "churn", (D(2024, 2, 1), D(2024, 3, 1)))
    names = [c.name for c in pack.charts]
    assert names[0] == "volume" and "feature_age" in names
    assert {"output_pred", "output_score"} <= set(names)
    assert "performance_f1_week" in names
    assert [t.name for t in pack.tables] == ["drift", "performance"]
    assert any(line.startswith("## Performance vs reference band (f1") for line in pack.summary)
    assert set(pack.tables[0].frame["column"]) == {"age", "income", "@plan", "pred", "score"}
    assert pack.title == "Drift review: churn, 2024-02-01 → 2024-02-29"
    assert "## Verdict" in pack.summary and any("features: **" in s for s in pack.summary)
    assert pack.context.reference == "2024-01-01 → 2024-01-31"
    quality = pack.summary[pack.summary.index("## Data quality (beyond the usual limits)") + 1 :]
    # February's ages are 9 higher, and "=pro" first appears then: a quarter of @plan is new.
    assert quality[0].startswith("- **age**: out of range 5") and "(usual ≤ " in quality[0]
    assert quality[1].startswith("- **@plan**: unseen 2")


def test_annotations_in_range_are_summarised(hostile: Store) -> None:
    from monitoring.store.annotations import add_annotation

    add_annotation(hostile, "churn", D(2024, 2, 10), "model v2 deployed")
    add_annotation(hostile, "churn", D(2024, 6, 1), "outside both windows")
    pack = drift_pack(hostile, "churn", (D(2024, 2, 1), D(2024, 3, 1)))
    assert "- 2024-02-10: model v2 deployed" in pack.summary
    assert not any("outside both windows" in line for line in pack.summary)


def test_parts_can_be_left_out(hostile: Store) -> None:
    pack = drift_pack(
        hostile, "churn", (D(2024, 2, 1), D(2024, 3, 1)), include=frozenset({"outputs"})
    )
    assert [c.name for c in pack.charts] == ["output_pred", "output_score"]
    assert pack.tables == ()
    with pytest.raises(MonitoringError, match=r"unknown pack part\(s\) \['logo'\]"):
        drift_pack(hostile, "churn", (D(2024, 2, 1), D(2024, 3, 1)), include=frozenset({"logo"}))


def test_a_chosen_period_and_metric_are_charted_and_tabled(hostile: Store) -> None:
    pack = drift_pack(
        hostile,
        "churn",
        (D(2024, 2, 1), D(2024, 3, 1)),
        include=frozenset({"performance"}),
        period="month",
        metric="accuracy",
    )
    assert [c.name for c in pack.charts] == ["performance_accuracy_month"]
    table = pack.tables[0]
    assert table.title == "Performance per month"
    # Monthly windows: January (the reference) and February, whatever the metric charted.
    assert sorted(set(table.frame["start"])) == [D(2024, 1, 1), D(2024, 2, 1)]
    head = pack.summary.index("## Performance vs reference band (accuracy, per month)")
    assert pack.summary[head + 2].startswith("- month of 2024-02-01: ")
    with pytest.raises(MonitoringError, match=r"metric 'mae' is not one of a binary"):
        drift_pack(hostile, "churn", (D(2024, 2, 1), D(2024, 3, 1)), metric="mae")
    with pytest.raises(MonitoringError, match=r"unknown period 'fortnight'"):
        drift_pack(hostile, "churn", (D(2024, 2, 1), D(2024, 3, 1)), period="fortnight")


def test_too_few_labels_are_not_called_pending(store: Store) -> None:
    days = pd.date_range("2024-01-01", periods=120, freq="12h")
    label: list[str | None] = [str(i % 2) for i in range(120)]
    for i, ts in enumerate(days):
        if D(2024, 2, 5) <= ts < D(2024, 2, 12) and ts.day != 5:
            label[i] = None  # the week of 5 February: only that Monday's 2 rows labelled
        if D(2024, 2, 12) <= ts < D(2024, 2, 19):
            label[i] = None  # the week of 12 February: no label yet
    frame = pd.DataFrame(
        {
            "ts": days,
            "age": [float(i % 17) for i in range(120)],
            "income": [float(i * 37 % 101) for i in range(120)],
            "plan": ["basic" if i % 3 else "pro" for i in range(120)],
            "pred": [str(i % 2) for i in range(120)],
            "score": [0.2 + 0.6 * (i % 2) for i in range(120)],
            "label": label,
        }
    )
    log_records(frame, tiny_spec(), db=store.path)
    pack = drift_pack(
        store, "churn", (D(2024, 2, 1), D(2024, 3, 1)), include=frozenset({"performance"})
    )
    weeks = {line.split(":")[0]: line for line in pack.summary if line.startswith("- week of")}
    assert "too few labels (n=2)" in weeks["- week of 2024-02-05"]
    assert "labels pending" in weeks["- week of 2024-02-12"]
    others = [line for key, line in weeks.items() if key != "- week of 2024-02-12"]
    assert others and not any("pending" in line for line in others)
    page = report_html(pack)  # the HTML report's summary says the same
    assert "week of 2024-02-05: too few labels (n=2)" in page
    assert "week of 2024-02-12: labels pending" in page


def test_export_command_writes_the_zip(hostile: Store, tmp_path: Path) -> None:
    out = tmp_path / "pack.zip"
    code = main(
        [
            "export",
            "--db",
            str(hostile.path),
            "--model",
            "churn",
            "--current",
            "2024-02-01:2024-03-01",
            "--formats",
            "html",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    archive = zipfile.ZipFile(io.BytesIO(out.read_bytes()))
    names = set(archive.namelist())
    assert {"summary.md", "report.html", "tables/drift.csv", "charts/volume.html"} <= names
    table = archive.read("tables/drift.csv").decode()
    assert "'@plan" in table and "\n@plan" not in table  # formula-like cell neutralised
    assert "# Drift review: churn" in archive.read("summary.md").decode()


def test_export_command_refuses_unknown_formats(
    hostile: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "export",
                "--db",
                str(hostile.path),
                "--model",
                "churn",
                "--current",
                "2024-02-01:2024-03-01",
                "--formats",
                "png,gif",
                "--out",
                str(tmp_path / "x.zip"),
            ]
        )
    assert exit_.value.code == 2
    assert "unknown format(s) ['gif']" in capsys.readouterr().err
