import datetime as dt

import pandas as pd

from monitoring.report.readable import P_FLOOR, note, readable


def long_performance() -> pd.DataFrame:
    """Two weekly windows × two metrics in PerformanceResult.frame()'s shape."""
    rows = []
    weeks = [(dt.datetime(2013, 7, 1), 6000, "ok"), (dt.datetime(2013, 7, 8), 12, "ok")]
    for start, labelled, status in weeks:
        for metric, value in (("accuracy", 0.8123), ("f1", 0.4567)):
            few = labelled < 100
            rows.append(
                {
                    "start": start,
                    "end": start + dt.timedelta(days=7),
                    "rows": labelled,
                    "labelled": labelled,
                    "label_coverage": 1.0,
                    "window_status": status,
                    "in_reference": False,
                    "metric": metric,
                    "value": None if few else value,
                    "lower": None if few else value - 0.01,
                    "upper": None if few else value + 0.01,
                    "n": labelled,
                    "status": "too_few" if few else "ok",
                    "reason": "",
                    "band_lower": 0.7,
                    "band_upper": 0.9,
                    "alert": metric == "f1" and not few,
                }
            )
    return pd.DataFrame(rows)


def test_a_long_performance_table_becomes_one_row_per_window() -> None:
    shown = readable(long_performance())
    assert list(shown.columns) == [
        "Window",
        "Rows",
        "Labelled",
        "Label coverage",
        "In the reference",
        "Accuracy",
        "F1 score",
    ]
    first, second = shown.to_dict("records")
    assert first["Window"] == "2013-07-01 → 2013-07-07"
    assert first["Accuracy"] == "0.812 (0.802–0.822)"
    assert first["F1 score"] == "0.457 (0.447–0.467) !"
    assert first["Rows"] == "6,000" and first["Label coverage"] == "100.0 %"
    # a week with a few labels says so: it is not "labels pending"
    assert second["Accuracy"] == "too few labels (n=12)"
    assert "outside the reference band" in note(long_performance())


def test_generic_tables_get_words_for_headers_and_readable_cells() -> None:
    frame = pd.DataFrame(
        {
            "column": ["temp", "dest"],
            "drifted": [True, False],
            "p-value": [0.0, 0.01234],
            "missing ref": [0.0016, float("nan")],
            "n_ref": [50009, 7],
            "effect": [5.18085, None],
        }
    )
    shown = readable(frame)
    assert list(shown.columns) == ["Column", "Drifted", "P-value", "Missing ref", "N ref", "Effect"]
    assert shown.iloc[0].tolist() == ["temp", "yes", P_FLOOR, "0.2 %", "50,009", "5.18"]
    assert shown.iloc[1].tolist() == ["dest", "no", "0.012", "", "7", ""]
    assert note(frame) == ""
