"""Figure builders of the timeline page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

from monitoring import log_records
from monitoring.drift.online import OnlineReport
from monitoring.report.figures import heatmap
from monitoring.report.figures import timeline as figures
from monitoring.store.annotations import Annotation
from monitoring.store.connection import Store
from monitoring.store.windows import WindowPlan
from monitoring.timeline.engine import run_timeline
from monitoring.timeline.report import Timeline
from tests.unit.report.figure_checks import PALETTE_TEXT, one_measure_per_panel, text_colours
from tests.unit.timeline.timeline_data import records, spec

D = dt.datetime
WHITE, DARK = (255, 255, 255), (14, 17, 23)  # Streamlit's light and dark backgrounds


@pytest.fixture
def timeline(store: Store) -> Timeline:
    log_records(records("2024-01-01", 31), spec(), db=store.path)
    log_records(records("2024-02-01", 3, age_shift=1.0, seed=2), spec(), db=store.path)
    log_records(records("2024-02-05", 1, per_day=10, seed=3), spec(), db=store.path)
    windows = WindowPlan("day", start=dt.datetime(2024, 2, 1)).windows(store.model("churn"))
    return run_timeline(store, "churn", windows)


def test_heatmap_marks_drift_and_greys_untested_windows(timeline: Timeline) -> None:
    fig = heatmap.heatmap_figure(timeline, timeline.feature_order())
    effect, grey, marks = fig.data
    assert list(effect.y) == list(timeline.feature_order())
    assert len(effect.x) == len(timeline.windows) == 5
    drifted = sum(len(w.drifted_features) for w in timeline.windows)
    assert drifted > 0 and len(marks.x) == drifted
    untested = [j for j, w in enumerate(timeline.windows) if w.status != "tested"]
    assert untested == [3, 4]  # an empty day, then ten rows
    assert all(row[j] == 1.0 for row in grey.z for j in untested)
    assert effect.text[0][4] == "10 rows: partial, not judged"  # the last day is still filling
    assert "p = " in effect.text[0][0]


def test_share_volume_and_feature_figures(timeline: Timeline) -> None:
    share = figures.share_figure(timeline, 0.5)
    assert share.layout.shapes[0].y0 == 0.5
    assert share.data[0].y[3] is None  # nothing tested: a gap, not a zero
    volume = figures.volume_figure(timeline)
    assert list(volume.data[0].y) == [w.rows for w in timeline.windows]
    assert volume.data[0].marker.color[4] == figures.UNTESTED_BAR
    # After the reference: a window of the series, not "the" production window (orange).
    assert volume.data[0].marker.color[0] == figures.SERIES_COLOUR
    in_reference = dataclasses.replace(
        timeline, reference=(timeline.windows[0].start, timeline.windows[1].end)
    )
    colours = figures.volume_figure(in_reference).data[0].marker.color
    assert colours[0] == colours[1] == figures.REFERENCE_COLOUR
    feature = figures.feature_figure(timeline, "age")
    band, scores = feature.data
    assert len(scores.x) == 3 and all(t is not None for t in band.y)  # a calibrated usual range
    cells = [
        c for w in timeline.windows if w.status == "tested" for c in w.cells if c.feature == "age"
    ]
    assert list(scores.y) == [c.score for c in cells] and list(band.y) == [
        c.threshold for c in cells
    ]
    assert any(s.type == "rect" for s in feature.layout.shapes)  # the reference period


def test_annotations_are_drawn_with_their_text(timeline: Timeline) -> None:
    note = Annotation(1, "churn", dt.datetime(2024, 2, 2), "model v2 deployed")
    fig = figures.with_annotations(figures.share_figure(timeline, None), [note])
    assert any(a.text == "model v2 deployed" for a in fig.layout.annotations)
    assert any(s.type == "line" and s.x0 == note.at for s in fig.layout.shapes)


def test_online_and_multivariate_figures() -> None:
    start = dt.datetime(2024, 3, 1)
    stamps = tuple(start + dt.timedelta(hours=i) for i in range(5))
    statistics = (float("nan"), 0.1, 0.2, 0.9, 1.2)
    report = OnlineReport(
        "churn", "age", "cvm_online", 200.0, (2,), 50, start, stamps, statistics, (1.0,) * 5,
        5, stamps[4], 0, None,
    )  # fmt: skip
    fig = figures.online_figure(report)
    assert "ERT 200 records" in fig.layout.title.text
    assert fig.data[0].y[0] is None and fig.layout.shapes[0].x0 == stamps[4]
    mv = figures.multivariate_figure(
        [(start, 0.5, 1000), (stamps[1], 0.001, 800)], "mmd", 0.05, (start, stamps[1])
    )
    assert "1,000 rows sampled" in mv.layout.title.text
    assert [c[0] for c in mv.data[0].customdata] == [1000, 800]
    assert mv.layout.yaxis.exponentformat == "power"  # 1e-6, not "1µ"
    floored = figures.multivariate_figure([(start, 0.0, 10)], "mmd", 0.05, (start, start))
    assert floored.data[0].y[0] == figures.P_FLOOR and floored.data[0].customdata[0][1] == "< 1e-06"


def _over(colour: str, background: tuple[int, int, int]) -> float:
    """Relative luminance of an ``rgba(...)`` colour composited over ``background``."""
    r, g, b, a = (float(v) for v in colour[colour.index("(") + 1 : -1].split(","))
    mixed = [a * c + (1 - a) * bg for c, bg in zip((r, g, b), background, strict=True)]
    linear = [(v / 255 / 12.92) if v / 255 <= 0.04045 else ((v / 255 + 0.055) / 1.055) ** 2.4
              for v in mixed]  # fmt: skip
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _colour_at(z: float) -> str:
    """The heatmap scale's colour at ``z`` (0 … 1), interpolated like plotly does."""
    scale = heatmap.EXCESS_SCALE
    for (z0, c0), (z1, c1) in itertools.pairwise(scale):
        if z0 <= z <= z1:
            t = 0.0 if z1 == z0 else (z - z0) / (z1 - z0)
            p0 = [float(v) for v in c0[c0.index("(") + 1 : -1].split(",")]
            p1 = [float(v) for v in c1[c1.index("(") + 1 : -1].split(",")]
            return (
                "rgba(" + ",".join(str(a + t * (b - a)) for a, b in zip(p0, p1, strict=True)) + ")"
            )
    raise AssertionError(z)


def test_heatmap_palette_is_sequential_in_light_and_dark_themes() -> None:
    steps = [_colour_at(i / 60) for i in range(61)]
    light = [_over(c, WHITE) for c in steps]
    dark = [_over(c, DARK) for c in steps]
    # More drift, more ink: darker on white, brighter on the dark background, never back.
    assert all(b <= a for a, b in itertools.pairwise(light)) and light[-1] < 0.3
    assert all(b >= a for a, b in itertools.pairwise(dark)) and dark[-1] > 0.08
    # The usual limit is a visible step, so "beyond the usual range" reads at a glance.
    at = 1 / heatmap.EXCESS_CAP
    assert _over(_colour_at(at - 0.002), WHITE) - _over(_colour_at(at), WHITE) > 0.1


def test_heatmap_cells_are_score_over_threshold(timeline: Timeline) -> None:
    fig = heatmap.heatmap_figure(timeline, timeline.feature_order())
    effect = fig.data[0]
    for j, w in enumerate(timeline.windows):
        if w.status != "tested":
            continue
        for i, feature in enumerate(timeline.feature_order()):
            c = next(c for c in w.cells if c.feature == feature)
            assert c.score is not None and c.threshold
            expected = min(c.score / c.threshold, heatmap.EXCESS_CAP)
            assert effect.z[i][j] == pytest.approx(expected)
            assert "× its usual limit" in effect.text[i][j]
    assert effect.zmin == 0 and effect.zmax == heatmap.EXCESS_CAP


def _long(timeline: Timeline, count: int) -> Timeline:
    """``timeline``'s tested days repeated, one a day, into ``count`` windows."""
    tested = [w for w in timeline.windows if w.status == "tested"]
    start = tested[0].start
    windows = tuple(
        dataclasses.replace(
            tested[k % len(tested)],
            start=start + dt.timedelta(days=k),
            end=start + dt.timedelta(days=k + 1),
        )
        for k in range(count)
    )
    return dataclasses.replace(timeline, windows=windows)


def test_a_long_heatmap_merges_windows_into_readable_columns(timeline: Timeline) -> None:
    long = _long(timeline, 700)
    fig = heatmap.heatmap_figure(long, long.feature_order())
    effect, grey = fig.data[:2]
    columns = len(effect.x)
    # At most MAX_COLUMNS columns: over a 500-px plot (an 800-px screen) each is >= 2 px.
    assert columns <= heatmap.MAX_COLUMNS and 500 / heatmap.MAX_COLUMNS >= 2
    assert columns == -(-700 // -(-700 // heatmap.MAX_COLUMNS))
    assert effect.xgap == 0 and grey.xgap == 0  # no 1-px gaps eating the cells
    assert len(fig.data) == 2  # no ✕ marks merging into bars: the colour says it
    # A merged column shows the worst of its windows.
    size = -(-700 // heatmap.MAX_COLUMNS)
    first = [w for w in long.windows[:size]]
    worst = max(
        min(c.excess, heatmap.EXCESS_CAP) for w in first for c in w.cells
        if c.feature == long.feature_order()[0] and c.excess is not None
    )  # fmt: skip
    assert effect.z[0][0] == pytest.approx(worst)
    assert f"({size} windows)" in effect.text[0][0]
    short = heatmap.heatmap_figure(timeline, timeline.feature_order())
    assert short.data[0].xgap == 1 and len(short.data[0].x) == len(timeline.windows)


def test_long_volume_bars_touch(timeline: Timeline) -> None:
    volume = figures.volume_figure(_long(timeline, 2600))
    assert volume.layout.bargap == 0 and volume.data[0].marker.line.width == 0
    assert figures.volume_figure(timeline).layout.bargap == 0.1
    # The production window's bars turn orange: a shade behind solid bars would be hidden.
    fig = figures.highlight(figures.volume_figure(timeline), (D(2024, 2, 2), D(2024, 2, 3)))
    colours = list(fig.data[0].marker.color)
    assert colours[1] == figures.CURRENT_COLOUR and colours[0] == figures.SERIES_COLOUR


def test_labels_never_share_a_place(timeline: Timeline) -> None:
    notes = [Annotation(k, "churn", timeline.windows[-1].start, f"note {k}") for k in range(3)]
    fig = figures.share_figure(timeline, 0.5)
    figures.highlight(fig, (timeline.windows[-2].start, timeline.windows[-1].end))
    figures.with_annotations(fig, notes)
    above = [a for a in fig.layout.annotations if a.text in ("reference", "production window")]
    inside = [a for a in fig.layout.annotations if a.text.startswith("note")]
    # Shaded periods are labelled above the plot, notes inside it, each note on its own line.
    assert len(above) == 2 and all(a.y == 1 and a.yanchor == "bottom" for a in above)
    assert all(a.yanchor == "top" and a.y <= 1 for a in inside)
    assert len({a.y for a in inside}) == 3
    assert {a.xanchor for a in above} == {"left", "right"}
    assert fig.layout.xaxis.tickformatstops  # ISO dates on the axis


def test_every_timeline_figure_has_one_measure_and_theme_text(timeline: Timeline) -> None:
    start = dt.datetime(2024, 3, 1)
    for fig in (
        heatmap.heatmap_figure(timeline, timeline.feature_order()),
        figures.share_figure(timeline, 0.5),
        figures.feature_figure(timeline, "age"),
        figures.volume_figure(timeline),
        figures.multivariate_figure([(start, 0.5, 10)], "mmd", 0.05, (start, start)),
    ):
        assert one_measure_per_panel(fig)
        assert text_colours(fig) <= PALETTE_TEXT
    feature = figures.feature_figure(timeline, "age")
    assert [t.name for t in feature.data] == ["usual range", "KS D"]  # no p-value axis


def test_feature_figure_without_a_tested_window(timeline: Timeline) -> None:
    untested = dataclasses.replace(
        timeline, windows=tuple(w for w in timeline.windows if w.status != "tested")
    )
    band, scores = figures.feature_figure(untested, "age").data
    assert list(scores.x) == [] and "minimum effect" in band.name  # drawn empty, not raised
