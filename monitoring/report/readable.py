"""Tables as people read them, for ``report.html`` (the CSV files keep the raw values).

A pack's tables are long and technical: one row per window *and* metric, snake_case
headers, shares as fractions and p-values that underflow to 0. :func:`readable`
turns one into text cells: the performance table becomes one row per window with a
column per metric (value, interval and a mark when outside the band), headers are
words, shares are percentages, p-values below the float range read ``< 1e-300``,
dates are dates and empty values are empty.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from monitoring.performance.metrics import metric_info

# The columns of PerformanceResult.frame() that make it one row per window and metric.
_LONG = ("start", "end", "metric", "value", "lower", "upper", "status", "alert")
# Columns holding a share of rows (0–1), shown as percentages.
SHARES = frozenset(
    {"missing ref", "missing cur", "out of range", "unseen", "label_coverage", "label coverage"}
)
P_FLOOR = "< 1e-300"
OUTSIDE = " !"  # after a metric outside the reference band
_STATUS_WORDS = {
    "ok": "",
    "pending": "labels pending",
    "empty": "no records",
    "too_few": "too few labels",
    "undefined": "undefined (one class only)",
}


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as text cells with worded headers (see the module docstring)."""
    if all(c in frame.columns for c in _LONG):
        return _formatted(_per_window(frame))
    return _formatted(frame)


def note(frame: pd.DataFrame) -> str:
    """What the marks of :func:`readable`'s version of ``frame`` mean (empty when none)."""
    if all(c in frame.columns for c in _LONG):
        return f"{OUTSIDE.strip()} outside the reference band; in brackets the 95 % interval."
    return ""


def _per_window(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per window of a long performance table, a column per metric."""
    rows = []
    for (start, end), group in frame.groupby(["start", "end"], sort=True):
        first = group.iloc[0]
        row: dict[str, object] = {"window": _span(start, end)}
        if "rows" in group:
            row["rows"] = first["rows"]
        if "labelled" in group:
            row["labelled"] = first["labelled"]
        if "label_coverage" in group:
            row["label coverage"] = first["label_coverage"]
        if "in_reference" in group:
            row["in the reference"] = "yes" if first["in_reference"] else ""
        for _, metric in group.iterrows():
            row[metric_info(str(metric["metric"])).label] = _metric_cell(metric)
        rows.append(row)
    return pd.DataFrame(rows)


def _metric_cell(metric: pd.Series) -> str:
    """``0.461 (0.432–0.49) !``, or why there is no value (too few labels, pending)."""
    value = metric["value"]
    if _missing(value):
        status = str(metric["status"])
        word = _STATUS_WORDS.get(status, status.replace("_", " "))
        n = metric.get("n")
        return f"{word} (n={int(n):,})" if word == "too few labels" and not _missing(n) else word
    text = _number(float(value))
    if not (_missing(metric["lower"]) or _missing(metric["upper"])):
        text += f" ({_number(float(metric['lower']))}–{_number(float(metric['upper']))})"
    return text + (OUTSIDE if bool(metric["alert"]) else "")


def _formatted(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text, every header in words."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        name = str(column)
        out[_header(name)] = [_cell(name, v) for v in frame[column]]
    return out.reset_index(drop=True)


def _header(name: str) -> str:
    words = name.replace("_", " ")
    return words[:1].upper() + words[1:]


def _cell(column: str, value: object) -> str:
    if _missing(value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp | dt.datetime):
        return _moment(pd.Timestamp(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        if column in SHARES:
            return f"{100 * value:.1f} %"
        if column.lower().startswith("p-value") or column.lower() in {"p", "p value"}:
            return P_FLOOR if value == 0 else f"{value:.2g}"
        return f"{int(value):,}" if value.is_integer() and abs(value) >= 1000 else _number(value)
    if hasattr(value, "item"):  # a NumPy scalar: format it as its Python value
        return _cell(column, value.item())  # type: ignore[attr-defined]
    return str(value)


def _number(value: float) -> str:
    return f"{value:.3g}"


def _span(start: object, end: object) -> str:
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    if first.normalize() == first and last.normalize() == last:
        return f"{first:%Y-%m-%d} → {last - pd.Timedelta(days=1):%Y-%m-%d}"
    return f"{first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M}"


def _moment(moment: pd.Timestamp) -> str:
    return f"{moment:%Y-%m-%d}" if moment.normalize() == moment else f"{moment:%Y-%m-%d %H:%M}"


def _missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)
