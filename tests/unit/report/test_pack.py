import csv
import datetime as dt
import io
import zipfile

import pandas as pd
import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs

from monitoring.errors import MonitoringError
from monitoring.report import export
from monitoring.report.export import ChartContext
from monitoring.report.pack import (
    PackChart,
    PackTable,
    ReviewPack,
    pack_zip,
    report_html,
    summary_markdown,
    table_csv,
)
from monitoring.report.tables import neutralise

HOSTILE = pd.DataFrame(
    {
        "column": ['=HYPERLINK("http://x","y")', "+1+1", "-2", "@SUM(A1)", "plain", "\tx"],
        "effect": [-0.5, 0.1, 0.2, 0.3, 0.4, 0.5],
    }
)


def pack() -> ReviewPack:
    figure = go.Figure(go.Bar(x=["a", "b"], y=[1, 2], name="current"))
    return ReviewPack(
        title="Drift review: churn",
        context=ChartContext(
            "churn",
            "2024-01-01 → 2024-02-01",
            "2024-03-01 → 2024-03-31",
            "auto",
            "p < 0.004",
            100,
            200,
            dt.date(2026, 11, 25),
        ),
        summary=("## Verdict", "- **3 of 12** features drifted", "<script>alert(1)</script>"),
        charts=(
            PackChart("volume", "Records per week", figure),
            PackChart("age", "age: reference vs current", figure),
        ),
        tables=(PackTable("drift", "Drift per feature", HOSTILE),),
    )


def test_formula_cells_are_neutralised_and_numbers_kept() -> None:
    out = neutralise(HOSTILE)
    assert out["column"].tolist() == [
        '\'=HYPERLINK("http://x","y")',
        "'+1+1",
        "'-2",
        "'@SUM(A1)",
        "plain",
        "'\tx",
    ]
    assert out["effect"].tolist() == HOSTILE["effect"].tolist()
    rows = list(csv.reader(io.StringIO(table_csv(HOSTILE).decode())))
    assert rows[0] == ["column", "effect"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row[:1])
    assert rows[1][1] == "-0.5"


def test_summary_lists_the_comparison_and_files() -> None:
    text = summary_markdown(pack())
    assert text.startswith("# Drift review: churn\n")
    assert "**churn** · reference 2024-01-01 → 2024-02-01 (n=100)" in text
    assert "- `charts/volume.*`: Records per week" in text
    assert "- `tables/drift.csv`: Drift per feature" in text


def test_html_report_is_self_contained_and_escaped() -> None:
    page = report_html(pack())
    assert get_plotlyjs()[:500] in page and len(page) > 1_000_000  # plotly.js inlined once
    assert page.count(get_plotlyjs()[:500]) == 1
    assert page.count('class="plotly-graph-div"') == 2
    assert "<b>3 of 12</b> features drifted" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # summary text is escaped
    assert "'=HYPERLINK" in page and "exported 2026-11-25" in page
    assert 'src="http' not in page  # nothing loaded from the network


def test_zip_holds_every_file(monkeypatch: pytest.MonkeyPatch) -> None:
    data = pack_zip(pack(), formats=("html",))
    names = sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert names == [
        "charts/age.html",
        "charts/volume.html",
        "report.html",
        "summary.md",
        "tables/drift.csv",
    ]


def test_unknown_format_and_no_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MonitoringError, match=r"unknown pack format\(s\) \['gif'\]"):
        pack_zip(pack(), formats=("gif",))
    monkeypatch.setattr(export, "static_export_problem", lambda: export.CHROMIUM_HINT)
    with pytest.raises(MonitoringError, match="apt-get install chromium"):
        pack_zip(pack(), formats=("png",))


@pytest.mark.skipif(export.static_export_problem() is not None, reason="no Chromium here")
def test_static_charts_in_the_zip_are_what_they_claim() -> None:
    archive = zipfile.ZipFile(io.BytesIO(pack_zip(pack(), formats=("png", "svg", "pdf"))))
    assert archive.read("charts/age.png").startswith(b"\x89PNG\r\n\x1a\n")
    assert archive.read("charts/age.svg").startswith(b"<svg")
    assert archive.read("charts/age.pdf").startswith(b"%PDF-")


def test_a_chart_with_its_own_title_gets_no_second_heading() -> None:
    titled = go.Figure(go.Bar(x=["a"], y=[1]), layout={"title": {"text": "age: the chart"}})
    base = pack()
    page = report_html(
        ReviewPack(
            base.title,
            base.context,
            base.summary,
            (
                PackChart("age", "age: the chart", titled),
                PackChart("volume", "Weekly", base.charts[0].figure),
            ),
            (),
        )
    )
    assert "<h2>age: the chart</h2>" not in page  # the figure says it
    assert "<h2>Weekly</h2>" in page  # an untitled figure keeps the pack's heading


def test_html_tables_are_for_people_and_the_csv_keeps_raw_values() -> None:
    frame = pd.DataFrame({"missing_ref": [0.25], "p-value": [0.0], "n_cur": [12345]})
    base = pack()
    shown = ReviewPack(
        base.title, base.context, base.summary, (), (PackTable("drift", "Drift", frame),)
    )
    page = report_html(shown)
    assert "<th>Missing ref</th>" in page and "missing_ref" not in page
    assert "&lt; 1e-300" in page and "12,345" in page
    assert table_csv(frame).decode().splitlines()[1] == "0.25,0.0,12345"


@pytest.mark.skipif(export.static_export_problem() is not None, reason="no Chromium here")
def test_a_pdf_chart_carries_its_title_in_the_metadata() -> None:
    archive = zipfile.ZipFile(io.BytesIO(pack_zip(pack(), formats=("pdf",))))
    title = "age: reference vs current".encode("utf-16-be").hex().upper().encode()
    assert b"/Title <FEFF" + title + b">" in archive.read("charts/age.pdf")
