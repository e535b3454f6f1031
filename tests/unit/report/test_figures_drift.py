import numpy as np
import pytest

from monitoring.drift.effects import CategoryCounts, EffectSizes, Histogram, plot_histogram
from monitoring.drift.report import ColumnDrift
from monitoring.report.figures.drift import (
    category_shares,
    distribution_figure,
    grid_figure,
    result_line,
)
from monitoring.report.figures.style import CURRENT_COLOUR, REFERENCE_COLOUR
from tests.unit.report.figure_checks import (
    PALETTE_TEXT,
    one_measure_per_panel,
    overlaid_bars,
    text_colours,
)


def column(**changes: object) -> ColumnDrift:
    fields: dict[str, object] = {
        "column": "age",
        "role": "feature",
        "kind": "numeric",
        "status": "tested",
        "test": "ks",
        "note": "auto: numeric → Kolmogorov–Smirnov",
        "statistic": 0.25,
        "statistic_name": "KS D",
        "p_value": 0.001,
        "threshold": 0.01,
        "effects": EffectSizes(
            psi=0.2, jensen_shannon=0.1, wasserstein=1.0, wasserstein_normed=0.3
        ),
        "effect_name": "wasserstein_normed",
        "effect": 0.3,
        "n_reference": 100,
        "n_current": 50,
        "missing_reference": 0.0,
        "missing_current": 0.1,
        "unseen": (),
        "unseen_share": None,
        "significant": True,
        "drifted": True,
        "histogram": Histogram(
            edges=(0.0, 1.0, 2.0, 4.0), reference=(50, 30, 20), current=(10, 15, 25)
        ),
    }
    fields.update(changes)
    return ColumnDrift(**fields)  # type: ignore[arg-type]


def categorical(**changes: object) -> ColumnDrift:
    counts = CategoryCounts(
        categories=("a", "b", "c", "d", "new"),
        reference=(40, 30, 20, 10, 0),
        current=(10, 10, 10, 10, 40),
    )
    fields: dict[str, object] = {
        "kind": "categorical",
        "test": "chi2",
        "statistic_name": "chi²",
        "histogram": None,
        "categories": counts,
        "effect_name": "jensen_shannon",
        "effect": 0.4,
        "missing_reference": 0.2,
        "missing_current": 0.0,
    }
    fields.update(changes)
    return column(**fields)


def test_numeric_histogram_shares_on_shared_bins() -> None:
    fig = distribution_figure(column())
    ref, cur = fig.data
    assert (ref.name, cur.name) == ("reference", "current")
    assert ref.marker.color == REFERENCE_COLOUR and cur.marker.color == CURRENT_COLOUR
    # Side by side in each bin: the reference on the left half, current on the right.
    assert list(ref.x) == [0.0, 1.0, 2.0] and list(ref.width) == [0.5, 0.5, 1.0]
    assert list(cur.x) == [0.5, 1.5, 3.0] and list(cur.width) == [0.5, 0.5, 1.0]
    assert ref.offset == cur.offset == 0
    assert list(ref.y) == pytest.approx([0.5, 0.3, 0.2])
    assert list(cur.y) == pytest.approx([0.2, 0.3, 0.5])
    assert overlaid_bars(fig) == [] and ref.opacity is None and cur.opacity is None
    assert fig.layout.title.text == "age: reference vs current"
    assert fig.layout.xaxis.title.text == "age"
    assert fig.layout.yaxis.title.text == "share of values"
    assert "KS D = 0.25 · p = 0.001<br>W/σ = 0.3 · missing 0.0% → 10.0%" in (
        fig.layout.annotations[0].text
    )


def test_ecdf_view_is_cumulative() -> None:
    ref, _ = distribution_figure(column(), view="ecdf").data
    assert list(ref.x) == [0.0, 1.0, 2.0, 4.0]
    assert list(ref.y) == pytest.approx([0, 0.5, 0.8, 1.0])
    assert ref.line.shape == "hv"


def test_categorical_bars_keep_the_movers_and_mark_unseen_and_missing() -> None:
    labels, ref, cur, unseen = category_shares(categorical(), top=2)
    # Moves: new +0.5, a −0.195, b −0.115, c −0.035, d +0.045: the two largest keep a bar.
    assert labels == ["new (unseen)", "a", "other (3)", "(missing)"]
    # Reference: 100 non-null values are 80 % of its rows (20 % missing).
    assert ref == pytest.approx([0.0, 0.32, 0.48, 0.2])
    assert cur == pytest.approx([0.5, 0.125, 0.375, 0.0])
    assert unseen == [True, False, False, False]
    assert sum(ref) == pytest.approx(1.0) and sum(cur) == pytest.approx(1.0)
    fig = distribution_figure(categorical())
    assert fig.layout.barmode == "group"
    assert next(iter(fig.data[1].marker.pattern.shape)) == "/"  # the unseen category, first


def test_a_rare_category_that_moved_is_not_folded_away() -> None:
    # 20 frequent categories that hold still, and a rare one that grows tenfold.
    names = (*tuple(f"c{i}" for i in range(20)), "rare")
    counts = CategoryCounts(names, (100,) * 20 + (5,), (100,) * 20 + (300,))
    labels, _, _, _ = category_shares(categorical(categories=counts, missing_reference=0.0), 5)
    assert labels[0] == "rare" and labels[-1] == "other (16)"


def test_many_unseen_categories_fold_together() -> None:
    counts = CategoryCounts(
        categories=("a", "x", "y", "z", "w"), reference=(10, 0, 0, 0, 0), current=(6, 1, 1, 1, 1)
    )
    labels, _, cur, unseen = category_shares(
        categorical(categories=counts, missing_reference=0.0), top=5
    )
    assert labels == ["a", "unseen (4)"] and unseen == [False, True]
    assert cur == pytest.approx([0.6, 0.4])


def test_an_untested_column_says_why() -> None:
    empty = column(
        status="all_missing",
        note="all values are NULL in the current window",
        p_value=None,
        statistic=None,
        histogram=None,
        drifted=None,
    )
    fig = distribution_figure(empty)
    assert len(fig.data) == 0
    texts = [a.text for a in fig.layout.annotations]
    assert "all values are NULL in the current window" in texts
    assert result_line(empty) == "not tested: all values are NULL in the current window"


def test_grid_has_one_cell_per_column_and_one_legend() -> None:
    fig = grid_figure([column(), categorical(), column(column="income")])
    assert [a.text for a in fig.layout.annotations] == [
        "age · W/σ = 0.3",
        "age · JS = 0.4",
        "income · W/σ = 0.3",
    ]
    assert len(fig.data) == 6
    assert [t.showlegend for t in fig.data] == [True, True, False, False, False, False]


def test_p_value_zero_is_printed_as_a_bound() -> None:
    assert "p < 1e-300" in result_line(column(p_value=0.0))


def test_two_outliers_do_not_squash_the_histogram() -> None:
    rng = np.random.default_rng(4)
    values = np.r_[rng.normal(0, 1, 5000), [900.0, 1000.0]]
    low, high = float(values.min()), float(values.max())
    fine, _ = np.histogram(values, bins=2000, range=(low, high))
    fig = distribution_figure(column(histogram=plot_histogram(fine, fine, low, high)))
    ref, _cur = fig.data
    assert len(ref.x) >= 10  # all the bulk's bars, not 3
    assert max(ref.x) + max(ref.width) < 10  # the outliers' wide bin is not on the axis
    assert "above" in fig.layout.annotations[0].text  # but they are counted
    assert overlaid_bars(fig) == []


def test_plot_histogram_keeps_the_whole_range_without_outliers() -> None:
    values = np.random.default_rng(5).normal(0, 1, 3000)
    fine, _ = np.histogram(values, bins=2000, range=(values.min(), values.max()))
    histogram = plot_histogram(fine, fine, float(values.min()), float(values.max()))
    assert len(histogram.edges) == 41 and sum(histogram.reference) == 3000
    assert np.allclose(np.diff(histogram.edges), np.diff(histogram.edges)[0])


def test_a_zero_inflated_column_gets_a_log_axis() -> None:
    rain = Histogram(edges=(0.0, 1.0, 2.0, 3.0), reference=(97, 2, 1), current=(90, 6, 4))
    fig = distribution_figure(column(histogram=rain))
    assert fig.layout.yaxis.type == "log" and "(log)" in fig.layout.yaxis.title.text
    assert distribution_figure(column()).layout.yaxis.type is None


def test_text_follows_the_theme_and_one_measure_per_panel() -> None:
    for fig in (
        distribution_figure(column()),
        distribution_figure(categorical()),
        distribution_figure(column(), view="ecdf"),
        grid_figure([column(), categorical()]),
    ):
        assert text_colours(fig) <= PALETTE_TEXT  # no fixed dark grey on a dark theme
        assert one_measure_per_panel(fig)
        assert overlaid_bars(fig) == []
    # The legend sits under the plot, where a narrow plot's title cannot meet it.
    assert distribution_figure(column()).layout.legend.y < 0
