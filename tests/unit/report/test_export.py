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


def test_a_pdf_title_is_added_as_an_incremental_update_whose_offsets_hold() -> None:
    # A minimal PDF shaped as Chromium writes them: classic table, trailer, startxref.
    body = b"%PDF-1.4\n1 0 obj\n<</Title (Kaleido-fier)>>\nendobj\n"
    root = b"2 0 obj\n<</Type /Catalog>>\nendobj\n"
    xref_at = len(body + root)
    table = f"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n{len(body):010d} 00000 n \n"
    trailer = f"trailer\n<</Size 3\n/Root 2 0 R\n/Info 1 0 R>>\nstartxref\n{xref_at}\n%%EOF\n"
    original = body + root + table.encode() + trailer.encode()
    titled = export.pdf_titled(original, "temp: reference vs current — Zürich")
    assert titled.startswith(original)
    tail = titled[len(original) :].decode()
    info_at = int(tail.split("xref\n3 1\n")[1][:10])
    assert titled[info_at:].startswith(b"3 0 obj\n<</Title <FEFF")
    hex_title = tail.split("<FEFF")[1].split(">")[0]
    assert bytes.fromhex(hex_title).decode("utf-16-be") == "temp: reference vs current — Zürich"
    new_xref = int(tail.rsplit("startxref\n", 1)[1].split()[0])
    assert titled[new_xref:].startswith(b"xref\n3 1\n")
    assert f"/Root 2 0 R /Info 3 0 R /Prev {xref_at}>>" in tail
    assert export.pdf_titled(b"%PDF-1.7 no trailer", "x") == b"%PDF-1.7 no trailer"


def test_figure_title_is_plain_text() -> None:
    fig = go.Figure(layout={"title": {"text": "<b>temp</b> &amp; wind<br><sub>July</sub>"}})
    assert export.figure_title(fig) == "temp & wind"
