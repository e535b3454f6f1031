"""Every generated document shows user-set names as text: review packs, exports, figures.

The hostile database (``tests/hostile.py``) plants a script tag, an image with
``onerror``, an attribute break-out into ``<svg onload>`` and Markdown links
and images in every name a user can set; each output is parsed the way its
reader would parse it (an HTML parser, an XML parser for SVG, a CommonMark
renderer for Markdown, the figure's JSON for Plotly) and must hold no markup
that came from a payload.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from monitoring.cli.main import main
from monitoring.drift.config import DriftConfig
from monitoring.drift.engine import run_configured
from monitoring.performance.comparison import compare_with_reference
from monitoring.report.escape import figure_text, html_text, markdown_text
from monitoring.report.export import ChartContext, export_figure, static_export_problem
from monitoring.report.figures import heatmap
from monitoring.report.figures import timeline as timeline_figures
from monitoring.report.figures.comparison import confusion_figure
from monitoring.report.figures.drift import distribution_figure, grid_figure
from monitoring.report.pack import pack_zip
from monitoring.report.review import drift_context, drift_pack
from monitoring.store.annotations import list_annotations
from monitoring.store.connection import Store
from monitoring.store.windows import WindowPlan
from monitoring.timeline.engine import run_timeline
from tests.hostile import (
    PAYLOAD,
    RAW,
    Hostile,
    build_hostile,
    figure_problems,
    html_problems,
    markdown_problems,
    svg_problems,
)

D = dt.datetime
FEBRUARY = (D(2024, 2, 1), D(2024, 3, 1))
STATIC = static_export_problem() is None
# A standalone chart: plotly's config, plotly.js, the figure.
STANDALONE_SCRIPTS = 3


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    return build_hostile(tmp_path_factory.mktemp("hostile") / "hostile.duckdb")


def pack_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def assert_pack_safe(files: dict[str, bytes]) -> None:
    """report.html, summary.md and every chart file hold the payloads as text only."""
    charts = [n for n in files if n.startswith("charts/")]
    html_charts = sum(1 for n in charts if n.endswith(".html")) or len(
        {n.rsplit(".", 1)[0] for n in charts}
    )
    report = files["report.html"].decode()
    assert html_problems(report, scripts=1 + html_charts) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report  # shown, not run
    summary = files["summary.md"].decode()
    assert markdown_problems(summary) == []
    assert not [raw for raw in RAW if raw in summary]
    for name in charts:
        if name.endswith(".html"):
            assert html_problems(files[name].decode(), scripts=STANDALONE_SCRIPTS) == [], name
        elif name.endswith(".svg"):
            assert svg_problems(files[name].decode()) == [], name


def test_escapes_make_every_payload_literal() -> None:
    assert html_text('"><svg onload=x>') == "&quot;&gt;&lt;svg onload=x&gt;"
    assert figure_text("<a href='x'>&") == "&lt;a href='x'&gt;&amp;"
    text = markdown_text(PAYLOAD + "\n# heading")
    assert markdown_problems(text) == []
    assert MarkdownIt("commonmark").render(text).strip() == (
        "<p>" + html_text(PAYLOAD + " # heading").replace("&#x27;", "'") + "</p>"
    )


def test_caption_escapes_the_model_and_the_labels() -> None:
    context = ChartContext(f"m {PAYLOAD}", "ref", f"slice {PAYLOAD!r}", "auto", "p < 0.01")
    assert figure_problems({"caption": context.caption()}) == []
    assert html_problems(context.caption()) == []
    assert markdown_problems(context.caption_markdown()) == []


def test_review_pack_of_time_windows(hostile: Hostile) -> None:
    store = Store(hostile.path)
    pack = drift_pack(store, hostile.spec.name, FEBRUARY)
    assert any("note" in line for line in pack.summary)  # the planted note is in the summary
    files = pack_files(pack_zip(pack, ("html", "svg") if STATIC else ("html",)))
    assert_pack_safe(files)


def test_review_pack_of_an_uploaded_slice(hostile: Hostile) -> None:
    """The Feature drift page's one-click pack of a saved slice: its name is in the label."""
    store = Store(hostile.path)
    pack = drift_pack(store, hostile.spec.name, FEBRUARY, uploaded=hostile.slice)
    assert hostile.slice.name and hostile.slice.name[1:] in pack.title
    assert_pack_safe(pack_files(pack_zip(pack, ("html",))))


def test_export_command(hostile: Hostile, tmp_path: Path) -> None:
    out = tmp_path / "pack.zip"
    code = main(
        [
            "export",
            "--db",
            str(hostile.path),
            "--model",
            hostile.spec.name,
            "--current",
            "2024-02-01:2024-03-01",
            "--formats",
            "html,svg" if STATIC else "html",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert_pack_safe(pack_files(out.read_bytes()))


def test_every_figure_holds_user_text_as_text(hostile: Hostile) -> None:
    store = Store(hostile.path)
    name = hostile.spec.name
    report = run_configured(store, name, DriftConfig(), FEBRUARY)
    windows = WindowPlan("week").windows(store.model(name))
    timeline = run_timeline(store, name, windows, DriftConfig(), min_rows=10)
    notes = list_annotations(store, name)
    feature = timeline.feature_order()[0]
    figures = [
        *(distribution_figure(c, view) for c in report.columns for view in ("histogram", "ecdf")),
        grid_figure(report.features),
        timeline_figures.with_annotations(
            heatmap.heatmap_figure(timeline, timeline.feature_order()), notes
        ),
        timeline_figures.with_annotations(
            timeline_figures.feature_figure(timeline, feature), notes
        ),
        confusion_figure(compare_with_reference(store, name, *FEBRUARY)),
    ]
    for figure in figures:
        assert figure_problems(json.loads(figure.to_json())) == []
        html = export_figure(figure, "html", drift_context(report, f"slice {PAYLOAD!r}"))
        assert html_problems(html.decode(), scripts=STANDALONE_SCRIPTS) == []
    if STATIC:
        svg = export_figure(figures[0], "svg", drift_context(report, f"slice {PAYLOAD!r}"))
        assert svg_problems(svg.decode()) == []
        text = "".join(ET.fromstring(svg.decode()).itertext())
        assert f"n {PAYLOAD}: reference vs current" in text  # the title, shown as typed
