import datetime as dt

import plotly.io as pio

from monitoring.report.figures.style import (
    CURRENT_COLOUR,
    NEUTRAL_COLOUR,
    REFERENCE_COLOUR,
    TEMPLATE,
    volume_figure,
)
from monitoring.schema import ReferenceWindow
from monitoring.store.windows import Window

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


def test_no_windows_is_an_empty_chart_not_an_error() -> None:
    fig = volume_figure([], REFERENCE)
    assert len(fig.data) == 2 and len(fig.data[0].x) == 0
