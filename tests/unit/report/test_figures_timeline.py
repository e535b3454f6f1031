"""Figure builders of the timeline page."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from monitoring import log_records
from monitoring.drift.online import OnlineReport
from monitoring.report.figures import timeline as figures
from monitoring.store.annotations import Annotation
from monitoring.store.connection import Store
from monitoring.store.windows import WindowPlan
from monitoring.timeline.engine import run_timeline
from monitoring.timeline.report import Timeline
from tests.unit.timeline.timeline_data import records, spec


@pytest.fixture
def timeline(store: Store) -> Timeline:
    log_records(records("2024-01-01", 31), spec(), db=store.path)
    log_records(records("2024-02-01", 3, age_shift=1.0, seed=2), spec(), db=store.path)
    log_records(records("2024-02-05", 1, per_day=10, seed=3), spec(), db=store.path)
    windows = WindowPlan("day", start=dt.datetime(2024, 2, 1)).windows(store.model("churn"))
    return run_timeline(store, "churn", windows)


def test_heatmap_marks_drift_and_greys_untested_windows(timeline: Timeline) -> None:
    fig = figures.heatmap_figure(timeline, timeline.feature_order())
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
    assert volume.data[0].marker.color[4] == figures.NEUTRAL_COLOUR
    assert volume.data[0].marker.color[0] == figures.CURRENT_COLOUR  # after the reference
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
    assert list(mv.data[0].customdata) == [1000, 800]


def test_feature_figure_without_a_tested_window(timeline: Timeline) -> None:
    untested = dataclasses.replace(
        timeline, windows=tuple(w for w in timeline.windows if w.status != "tested")
    )
    band, scores = figures.feature_figure(untested, "age").data
    assert list(scores.x) == [] and "minimum effect" in band.name  # drawn empty, not raised
