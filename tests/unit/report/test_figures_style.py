import datetime as dt

import plotly.io as pio

from monitoring.report.figures.style import (
    CURRENT_COLOUR,
    DRIFTED_ROW_CSS,
    NEUTRAL_COLOUR,
    REFERENCE_COLOUR,
    TEMPLATE,
    THIN_BARS,
    volume_figure,
)
from monitoring.schema import ReferenceWindow
from monitoring.store.windows import Window
from tests.unit.report.figure_checks import PALETTE_TEXT, text_colours

D = dt.datetime
WEEKS = [
    Window(
        D(2024, 1, 1) + dt.timedelta(weeks=i),
        D(2024, 1, 8) + dt.timedelta(weeks=i),
        rows=10 + i,
        labelled=10 + i - (i == 3) * 4,
    )
    for i in range(4)
]
REFERENCE = ReferenceWindow(D(2024, 1, 1), D(2024, 1, 8))


def test_volume_bars_are_coloured_by_side() -> None:
    fig = volume_figure(WEEKS, REFERENCE, (D(2024, 1, 15), D(2024, 1, 22)))
    labelled, pending = fig.data
    assert list(labelled.marker.color) == [
        REFERENCE_COLOUR,
        NEUTRAL_COLOUR,
        CURRENT_COLOUR,
        NEUTRAL_COLOUR,
    ]
    assert list(labelled.y) == [10, 11, 12, 9]
    assert list(pending.y) == [0, 0, 0, 4]
    assert pending.marker.pattern.shape == "/"
    assert fig.layout.barmode == "stack"


def test_volume_figure_is_labelled_and_self_styled() -> None:
    fig = volume_figure(WEEKS, REFERENCE)
    assert fig.layout.title.text == "Records per week"
    assert fig.layout.xaxis.title.text == "week starting"
    assert fig.layout.yaxis.title.text == "records"
    assert fig.layout.template == pio.templates[TEMPLATE]
    shapes = [s.fillcolor for s in fig.layout.shapes]
    assert shapes == [REFERENCE_COLOUR]
    assert [a.text for a in fig.layout.annotations] == ["reference"]
    assert text_colours(fig) <= PALETTE_TEXT
    assert fig.layout.xaxis.tickformatstops  # ISO dates, as in every table


def test_volume_at_thousands_of_windows_stays_solid() -> None:
    many = [
        Window(D(1970, 1, 1) + dt.timedelta(weeks=i), D(1970, 1, 8) + dt.timedelta(weeks=i),
               rows=7, labelled=5)
        for i in range(2600)
    ]  # fmt: skip
    fig = volume_figure(many, REFERENCE)
    labelled, pending = fig.data
    # Sub-pixel bars: no gaps, outlines or hatching, which would hide them; pending is a tint.
    assert len(many) > THIN_BARS and fig.layout.bargap == 0
    assert labelled.marker.line.width == 0 and pending.marker.pattern.shape is None
    assert pending.marker.color[0].startswith("rgba(")
    few = volume_figure(WEEKS, REFERENCE)
    assert few.layout.bargap == 0.15 and few.data[1].marker.pattern.shape == "/"
    assert few.data[1].marker.color == "rgba(0,0,0,0)"  # the theme's background, not white


def test_drifted_rows_are_a_translucent_tint() -> None:
    # Under the theme's own text colour: white text on an opaque pastel is unreadable.
    alpha = float(DRIFTED_ROW_CSS.rsplit(",", 1)[1].strip(" )"))
    assert DRIFTED_ROW_CSS.startswith("background-color: rgba(") and alpha <= 0.3


def test_no_windows_is_an_empty_chart_not_an_error() -> None:
    fig = volume_figure([], REFERENCE)
    assert len(fig.data) == 2 and len(fig.data[0].x) == 0
