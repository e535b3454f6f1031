import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from monitoring import log_records
from monitoring.errors import MonitoringError
from monitoring.performance.comparison import compare_with_reference
from monitoring.performance.metrics import Sample, metrics_for, point_metric
from monitoring.performance.realized import realized_performance
from monitoring.performance.records import Records, labelled_sample, load_records
from monitoring.performance.resampling import resampled_metrics
from monitoring.schema import ReferenceWindow
from monitoring.store.connection import Store
from monitoring.store.windows import WindowPlan
from tests.conftest import tiny_spec
from tests.unit.performance.performance_data import binary_frame, regression_frame, regression_spec

D = dt.datetime
JAN = ReferenceWindow(D(2024, 1, 1), D(2024, 2, 1))


@pytest.fixture
def binary(store: Store) -> Store:
    log_records(binary_frame(), tiny_spec(), db=store.path)
    return store


def sklearn_binary(frame: pd.DataFrame) -> dict[str, float]:
    y, p, s = frame["label"].astype(int), frame["pred"].astype(int), frame["score"]
    return {
        "accuracy": skm.accuracy_score(y, p),
        "precision": skm.precision_score(y, p),
        "recall": skm.recall_score(y, p),
        "f1": skm.f1_score(y, p),
        "roc_auc": skm.roc_auc_score(y, s),
        "log_loss": skm.log_loss(y, s),
        "brier": skm.brier_score_loss(y, s),
    }


def test_weekly_metrics_equal_scikit_learn_with_intervals_around_them(binary: Store) -> None:
    frame = binary_frame()
    result = realized_performance(binary, "churn", WindowPlan("week"), resamples=200)
    assert result.metrics == metrics_for(tiny_spec())
    assert len(result.windows) == 6
    for w in result.windows:
        rows = frame[(frame.ts >= w.window.start) & (frame.ts < w.window.end)]
        expected = sklearn_binary(rows)
        assert w.status == "ok" and w.label_coverage == 1.0
        for name, value in w.metrics.items():
            assert value.status == "ok" and value.n == len(rows)
            assert value.value == pytest.approx(expected[name], rel=1e-12)
            assert value.lower is not None and value.upper is not None
            assert value.lower <= value.value <= value.upper
            assert value.upper - value.lower < 0.25


def test_resampled_formulas_match_scikit_learn_on_weighted_rows() -> None:
    """The bootstrap's matrix formulas, with multiplicities, equal sklearn on repeated rows."""
    rng = np.random.default_rng(1)
    n = 300
    score = np.sort(rng.uniform(size=n).round(2))  # sorted, with ties
    y = (rng.uniform(size=n) < score).astype(np.int64)
    yhat = (score > 0.4).astype(np.int64)
    counts = rng.integers(0, 3, size=(3, n))
    counts[0] = 1
    binary = Sample("binary", y, yhat, score, ("0", "1"))
    for row in counts:
        got = resampled_metrics(binary, row[None, :], metrics_for(tiny_spec()))
        rep = np.repeat(np.arange(n), row)
        expected = sklearn_binary(
            pd.DataFrame({"label": y[rep], "pred": yhat[rep], "score": score[rep]})
        )
        for name, value in expected.items():
            assert got[name][0] == pytest.approx(value, rel=1e-9), name

    classes = rng.integers(0, 4, size=n)
    guesses = np.where(rng.uniform(size=n) < 0.6, classes, rng.integers(0, 5, size=n))
    multi = Sample("multiclass", classes, guesses, None, ("a", "b", "c", "d", "e"))
    got = resampled_metrics(multi, counts[1][None, :], ("accuracy", "precision", "recall", "f1"))
    rep = np.repeat(np.arange(n), counts[1])
    assert got["accuracy"][0] == pytest.approx(skm.accuracy_score(classes[rep], guesses[rep]))
    for name, fn in (
        ("precision", skm.precision_score),
        ("recall", skm.recall_score),
        ("f1", skm.f1_score),
    ):
        expected = fn(classes[rep], guesses[rep], average="macro", zero_division=np.nan)
        assert got[name][0] == pytest.approx(expected), name

    target = rng.normal(10, 3, n)
    target[:20] = 0.0
    regression = Sample("regression", target, target + rng.normal(0, 1, n), None)
    got = resampled_metrics(regression, counts[2][None, :], ("mae", "rmse", "mape", "r2"))
    t, p = target[rep := np.repeat(np.arange(n), counts[2])], regression.y_pred[rep]
    nonzero = t != 0
    assert got["mae"][0] == pytest.approx(skm.mean_absolute_error(t, p))
    assert got["rmse"][0] == pytest.approx(skm.root_mean_squared_error(t, p))
    assert got["mape"][0] == pytest.approx(
        skm.mean_absolute_percentage_error(t[nonzero], p[nonzero])
    )
    assert got["r2"][0] == pytest.approx(skm.r2_score(t, p))


def test_intervals_are_reproducible_and_do_not_depend_on_the_range(binary: Store) -> None:
    whole = realized_performance(binary, "churn", resamples=100, seed=7)
    again = realized_performance(binary, "churn", resamples=100, seed=7)
    later = realized_performance(
        binary, "churn", WindowPlan("week", start=D(2024, 1, 15)), resamples=100, seed=7
    )
    other = realized_performance(binary, "churn", resamples=100, seed=8)
    assert whole.windows == again.windows
    week = whole.windows[2]
    assert later.windows[0].window.start == week.window.start
    assert later.windows[0].metrics == week.metrics
    assert other.windows[2].metrics["accuracy"].lower != week.metrics["accuracy"].lower


def test_pending_partial_and_empty_windows_are_never_zero(store: Store) -> None:
    frame = binary_frame(days=35)
    frame.loc[frame.ts >= "2024-01-25", "label"] = None  # Thursday of week 4 onwards
    frame = frame[(frame.ts < "2024-01-15") | (frame.ts >= "2024-01-22")]  # week 3 empty
    log_records(frame, tiny_spec(), db=store.path)
    result = realized_performance(store, "churn", WindowPlan("week"), resamples=50)
    statuses = [(w.status, w.window.rows, w.window.labelled) for w in result.windows]
    assert [s for s, _, _ in statuses] == ["ok", "ok", "empty", "ok", "pending"]
    empty, partial, pending = result.windows[2], result.windows[3], result.windows[4]
    assert empty.label_coverage is None
    assert all(v.status == "empty" and v.value is None for v in empty.metrics.values())
    assert partial.label_coverage == pytest.approx(3 / 7)
    assert partial.metrics["accuracy"].n == partial.window.labelled
    assert pending.label_coverage == 0.0
    assert all(v.status == "pending" and v.value is None for v in pending.metrics.values())
    frame_rows = result.frame()
    assert frame_rows.loc[frame_rows.window_status == "pending", "value"].isna().all()


def test_single_class_and_small_windows_get_a_status_not_an_exception(store: Store) -> None:
    frame = binary_frame(days=14)
    second = frame.ts >= "2024-01-08"
    frame.loc[second, ["label", "pred"]] = 0  # week 2: one class, no positive predictions
    frame = pd.concat([frame, binary_frame(days=1, per_day=3, start="2024-01-15")])
    log_records(frame, tiny_spec(), db=store.path)
    result = realized_performance(store, "churn", WindowPlan("week"), resamples=50)
    one_class = result.windows[1].metrics
    assert one_class["roc_auc"].status == "undefined"
    assert "one class" in one_class["roc_auc"].reason
    assert one_class["precision"].reason == "no positive predictions"
    assert one_class["recall"].status == "undefined"
    assert one_class["accuracy"].value == 1.0
    assert one_class["log_loss"].status == "ok" and one_class["brier"].status == "ok"
    few = result.windows[2].metrics
    assert {v.status for v in few.values()} == {"too_few"}
    assert "only 3 labelled" in few["accuracy"].reason


def test_reference_band_and_alerts(store: Store) -> None:
    frame = binary_frame(days=49)
    bad = frame.ts >= "2024-02-12"  # last week: predictions inverted
    frame.loc[bad, "pred"] = 1 - frame.loc[bad, "pred"]
    log_records(frame, tiny_spec(), db=store.path)
    result = realized_performance(store, "churn", WindowPlan("week"), resamples=0)
    reference = [w for w in result.windows if w.in_reference]
    assert len(reference) == 4  # the weeks wholly inside January (Jan 29-31 is clipped off)
    band = result.bands["accuracy"]
    # Five reference weeks are too few for a spread: runs of a week's rows are resampled.
    assert band.windows > 20 and band.basis.startswith(f"{band.windows} resampled runs of ")
    assert "the reference holds 5 window(s) of this size" in band.basis
    january = frame[frame.ts < "2024-02-01"]
    assert band.mean == pytest.approx(skm.accuracy_score(january.label, january.pred), abs=0.01)
    assert band.lower == pytest.approx(band.mean - 3 * band.std)
    last = result.windows[-1]
    alert = next(a for a in last.alerts if a.metric == "accuracy")
    assert alert.direction == "below" and alert.worse
    assert "below the reference band" in alert.message()
    assert not any(a.metric == "roc_auc" for a in last.alerts)  # scores were left alone
    assert result.frame().query("metric == 'accuracy'")["alert"].tolist()[-1]


def test_a_band_over_enough_reference_windows_is_their_spread(store: Store) -> None:
    frame = binary_frame(days=31)
    log_records(frame, tiny_spec(), db=store.path)
    band = realized_performance(store, "churn", WindowPlan("day"), resamples=0).bands["accuracy"]
    days = [
        skm.accuracy_score(rows.label, rows.pred) for _, rows in frame.groupby(frame.ts.dt.date)
    ]
    assert band.windows == 31 and band.basis == "31 reference window(s)"
    assert band.mean == pytest.approx(np.mean(days))
    assert band.std == pytest.approx(np.std(days, ddof=1))
    assert band.upper == pytest.approx(min(1.0, band.mean + 3 * band.std))


def test_a_reference_with_fewer_than_two_windows_has_no_band(binary: Store) -> None:
    result = realized_performance(binary, "churn", WindowPlan("month"), resamples=0)
    band = result.bands["accuracy"]
    assert band.windows == 1 and band.lower is None and band.upper is None
    assert "a band needs at least 2" in band.reason
    assert band.overall == pytest.approx(band.mean)
    assert result.alerts == ()


def test_row_windows_and_metric_selection(binary: Store) -> None:
    result = realized_performance(
        binary, "churn", WindowPlan(rows=500), metrics=["accuracy", "roc_auc"], resamples=20
    )
    assert result.plan.rows == 500 and result.plan.period is None
    assert [w.window.rows for w in result.windows] == [500, 500, 500, 180]
    assert set(result.windows[0].metrics) == {"accuracy", "roc_auc"}
    with pytest.raises(MonitoringError, match=r"unknown metric 'auc'; valid metrics are"):
        realized_performance(binary, "churn", metrics=["auc"])
    with pytest.raises(MonitoringError, match=r"does not apply to model 'churn'"):
        realized_performance(binary, "churn", metrics=["mae"])


def test_regression_metrics_and_zero_targets_for_mape(store: Store) -> None:
    frame = regression_frame(days=14)
    frame.loc[frame.index[:25], "label"] = 0.0
    second = frame.ts >= "2024-01-08"
    frame.loc[second, "label"] = 0.0  # week 2: every target zero, constant target
    log_records(frame, regression_spec(), db=store.path)
    result = realized_performance(store, "price", WindowPlan("week"), resamples=50)
    assert result.metrics == ("mae", "rmse", "mape", "r2")
    first, zeros = result.windows[0].metrics, result.windows[1].metrics
    rows = frame[~second]
    y, p = rows.label.to_numpy(), rows.pred.to_numpy()
    assert first["mae"].value == pytest.approx(skm.mean_absolute_error(y, p))
    assert first["rmse"].value == pytest.approx(skm.root_mean_squared_error(y, p))
    assert first["r2"].value == pytest.approx(skm.r2_score(y, p))
    assert first["mape"].value == pytest.approx(
        skm.mean_absolute_percentage_error(y[y != 0], p[y != 0])
    )
    assert first["mape"].reason == "25 zero target(s) left out"
    assert zeros["mape"].status == "undefined" and zeros["mape"].reason == "every target is zero"
    assert zeros["r2"].status == "undefined"
    assert zeros["mae"].status == "ok"


def test_multiclass_metrics_are_macro_averages(store: Store) -> None:
    rng = np.random.default_rng(3)
    frame = binary_frame(days=7).drop(columns=["score"])
    truth = rng.choice(["cat", "dog", "owl"], len(frame))
    frame = frame.assign(
        label=truth, pred=np.where(rng.uniform(size=len(frame)) < 0.7, truth, "dog")
    )
    log_records(frame, tiny_spec("zoo", task="multiclass", scores=()), db=store.path)
    result = realized_performance(store, "zoo", WindowPlan("week"), resamples=50)
    metrics = result.windows[0].metrics
    assert set(metrics) == {"accuracy", "precision", "recall", "f1"}
    assert metrics["f1"].value == pytest.approx(
        skm.f1_score(frame.label, frame.pred, average="macro")
    )
    comparison = compare_with_reference(store, "zoo", D(2024, 1, 1), D(2024, 1, 8))
    assert comparison.window_confusion is not None
    assert comparison.window_confusion.labels == ("cat", "dog", "owl")
    np.testing.assert_array_equal(
        comparison.window_confusion.counts,
        skm.confusion_matrix(frame.label, frame.pred, labels=["cat", "dog", "owl"]),
    )


def test_positive_label_rule_and_text_labels(store: Store) -> None:
    frame = binary_frame(days=7)
    yes_no = {0: "no", 1: "yes"}
    frame = frame.assign(label=frame.label.map(yes_no), pred=frame.pred.map(yes_no))
    spec = tiny_spec("yesno", positive_label="yes")
    log_records(frame, spec, db=store.path)
    result = realized_performance(store, "yesno", WindowPlan("week"), resamples=0)
    expected = skm.recall_score(frame.label, frame.pred, pos_label="yes")
    assert result.windows[0].metrics["recall"].value == pytest.approx(expected)
    sample = labelled_sample(load_records(store.model("yesno"), D(2024, 1, 1), D(2024, 1, 8)))
    assert sample.classes == ("no", "yes")


def test_models_without_scores_or_target(store: Store) -> None:
    log_records(
        binary_frame(days=7).drop(columns=["score"]), tiny_spec("plain", scores=()), db=store.path
    )
    result = realized_performance(store, "plain", resamples=0)
    assert result.metrics == ("accuracy", "precision", "recall", "f1")
    log_records(
        binary_frame(days=7).drop(columns=["label"]), tiny_spec("blind", target=None), db=store.path
    )
    with pytest.raises(MonitoringError, match=r"no target column"):
        realized_performance(store, "blind")


def test_rows_without_a_score_or_prediction_are_left_out_of_what_needs_them(
    store: Store,
) -> None:
    frame = binary_frame(days=7).astype({"score": float})
    frame.loc[frame.index[:30], "score"] = np.nan
    frame.loc[frame.index[30:35], "pred"] = None
    log_records(frame, tiny_spec(), db=store.path)
    metrics = realized_performance(store, "churn", resamples=20).windows[0].metrics
    scored = frame.iloc[35:]  # rows without a prediction are left out of everything
    assert metrics["roc_auc"].value == pytest.approx(skm.roc_auc_score(scored.label, scored.score))
    assert metrics["accuracy"].n == len(frame) - 5
    assert metrics["roc_auc"].lower is not None


def test_hostile_column_names_are_quoted(store: Store) -> None:
    spec = tiny_spec('x"; DROP TABLE dw_models; --', target='la"bel', scores=('sc"ore',))
    frame = binary_frame(days=7).rename(columns={"label": 'la"bel', "score": 'sc"ore'})
    log_records(frame, spec, db=store.path)
    result = realized_performance(store, spec.name, resamples=0)
    assert result.windows[0].metrics["roc_auc"].value == pytest.approx(
        skm.roc_auc_score(frame['la"bel'], frame['sc"ore'])
    )
    assert store.models() == [spec.name]


def test_a_model_without_records_in_range_gives_no_windows(binary: Store) -> None:
    result = realized_performance(
        binary, "churn", WindowPlan("week", start=D(2030, 1, 1), end=D(2030, 2, 1))
    )
    assert all(w.status == "empty" for w in result.windows)
    assert (
        realized_performance(
            binary, "churn", WindowPlan("week", start=D(2030, 1, 1), end=D(2029, 1, 1))
        ).windows
        == ()
    )


def test_compare_with_reference_for_a_binary_and_a_regression_model(
    binary: Store, store: Store
) -> None:
    frame = binary_frame()
    comparison = compare_with_reference(binary, "churn", D(2024, 2, 5), D(2024, 2, 12))
    window = frame[(frame.ts >= "2024-02-05") & (frame.ts < "2024-02-12")]
    reference = frame[frame.ts < "2024-02-01"]
    assert comparison.window_n == len(window) and comparison.reference_n == len(reference)
    assert comparison.window_confusion is not None and comparison.reference_confusion is not None
    assert comparison.window_confusion.labels == ("0", "1")
    np.testing.assert_array_equal(
        comparison.reference_confusion.counts, skm.confusion_matrix(reference.label, reference.pred)
    )
    assert comparison.window_confusion.normalised().sum(axis=1) == pytest.approx([1, 1])
    curve = comparison.window_reliability
    assert curve is not None and curve.n == len(window) and len(curve.counts) == 10
    ok = curve.counts > 0
    assert np.all(np.abs(curve.observed[ok] - curve.mean_score[ok]) < 0.25)  # calibrated scores

    log_records(regression_frame(), regression_spec(), db=binary.path)
    residuals = compare_with_reference(binary, "price", D(2024, 2, 5), D(2024, 2, 12)).residuals
    assert residuals is not None
    assert residuals.window_n == len(window) and residuals.reference_n == len(reference)
    width = np.diff(residuals.edges)
    assert (residuals.reference_density * width).sum() == pytest.approx(0.99, abs=0.01)
    assert residuals.window_mean == pytest.approx(0.0, abs=0.5)


def test_compare_a_window_without_labels(store: Store) -> None:
    log_records(binary_frame(days=7).assign(label=None), tiny_spec(), db=store.path)
    comparison = compare_with_reference(store, "churn", D(2024, 1, 1), D(2024, 1, 8))
    assert comparison.window_n == 0 and comparison.window_confusion is not None
    assert comparison.window_confusion.counts.sum() == 0
    assert comparison.window_reliability is not None and comparison.window_reliability.n == 0


def test_point_metric_reports_why_not(binary: Store) -> None:
    empty = Sample("regression", np.array([3.0]), np.array([2.0]), None)
    assert point_metric(empty, "r2") == (None, "fewer than two distinct targets")
    assert point_metric(empty, "mae") == (1.0, "")
    records = load_records(binary.model("churn"), D(2024, 1, 1), D(2024, 3, 1))
    assert isinstance(records, Records) and records.covers(D(2024, 1, 1), D(2024, 2, 1))
    assert not records.between(D(2024, 1, 1), D(2024, 1, 2)).covers(D(2024, 1, 1), D(2024, 2, 1))
