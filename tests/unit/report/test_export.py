import datetime as dt

import plotly.graph_objects as go
import pytest

from monitoring.errors import ExportError
from monitoring.report import export
from monitoring.report.export import ChartContext, captioned, export_figure
from monitoring.report.figures.style import TEMPLATE

CONTEXT = ChartContext(
    model="churn",
    reference="2024-01-01 → 2024-02-01",
    current="2024-03-01 → 2024-03-31",
    detector="KS",
    threshold="p < 0.05 (Bonferroni)",
    reference_n=1200,
    current_n=3400,
    exported_on=dt.date(2026, 11, 25),
)


def figure() -> go.Figure:
    return go.Figure(go.Bar(x=["a", "b"], y=[1, 2], name="current"))


def test_caption_names_the_comparison() -> None:
    assert CONTEXT.caption() == (
        "<b>churn</b> · reference 2024-01-01 → 2024-02-01 (n=1,200) · "
        "current 2024-03-01 → 2024-03-31 (n=3,400)<br>"
        "detector KS, p &lt; 0.05 (Bonferroni) · exported 2026-11-25 by Driftwatch"  # shown as "<"
    )
    assert ChartContext("m", exported_on=dt.date(2026, 1, 2)).caption() == (
        "<b>m</b><br>exported 2026-01-02 by Driftwatch"
    )


def test_captioned_copies_and_sets_the_template() -> None:
    original = figure()
    out = captioned(original, CONTEXT)
    assert out.layout.annotations[0].text == CONTEXT.caption()
    assert out.layout.template == go.layout.Template(
        __import__("plotly.io", fromlist=["templates"]).templates[TEMPLATE]
    )
    assert not original.layout.annotations


def test_html_embeds_plotly_and_the_data() -> None:
    html = export_figure(figure(), "html", CONTEXT).decode()
    assert html.startswith("<!doctype html>") and "Plotly.newPlot" in html
    assert "exported 2026-11-25" in html and '"current"' in html
    assert len(html) > 1_000_000  # plotly.js itself is inside: the file opens offline


def test_unknown_format() -> None:
    with pytest.raises(ExportError, match=r"unknown export format 'gif'; valid formats are"):
        export_figure(figure(), "gif")


def test_without_chromium_static_formats_say_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(export, "static_export_problem", lambda: export.CHROMIUM_HINT)
    with pytest.raises(ExportError, match="apt-get install chromium"):
        export_figure(figure(), "png")
    assert export_figure(figure(), "html")


@pytest.mark.skipif(export.static_export_problem() is not None, reason="no Chromium here")
@pytest.mark.parametrize(
    ("fmt", "signature"), [("png", b"\x89PNG\r\n\x1a\n"), ("svg", b"<svg"), ("pdf", b"%PDF-")]
)
def test_static_formats_are_what_they_claim(fmt: str, signature: bytes) -> None:
    data = export_figure(figure(), fmt, CONTEXT)
    assert data.startswith(signature)
    if fmt == "png":  # 1100 × 450 at scale 2
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert (width, height) == (2200, 900)
    if fmt == "svg":
        assert b"exported 2026-11-25" in data
