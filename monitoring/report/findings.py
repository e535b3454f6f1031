"""Drift findings in plain words: one sentence per drifted feature, for a reader who is not a
statistician.

A numeric feature says where its middle went and how far that is in the
reference's own spread — ``temp: median 79.5 in July 2013 against 37.0 in the
reference (+4.7 reference SDs), outside its usual month-to-month range``; when
the middle did not move (a feature that is mostly one value), the range of
values whose share changed most. A categorical feature names the categories
whose share moved most, in percentage points. Data-quality signals beyond
their usual limits are added to the feature's sentence.

The numbers come from what a :class:`~monitoring.drift.report.ColumnDrift`
already holds (its 40-bin histogram, decile bins, category counts and effect
sizes), so a stored result has its sentences without touching the data.
Medians are read off the histogram (linear inside a bin) and rounded to what
its bins can tell. Sentences are plain text: each output escapes them its
own way (Streamlit Markdown, ``summary.md``, HTML).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from monitoring.drift.effects import Histogram
from monitoring.drift.report import ColumnDrift, DriftReport
from monitoring.store.counts import is_whole_period
from monitoring.store.windows import PERIODS
from monitoring.timeutil import span_label

FAR = 2.0  # a statistic this many times its usual limit is "far outside" the usual range
MOVES = 3  # categories named per categorical feature
MIN_POINTS = 0.1  # category moves smaller than this (in percentage points) are not named


@dataclass(frozen=True)
class Finding:
    """One drifted feature in words: ``column`` and the sentence about it (``text``, without
    the leading ``column:``)."""

    column: str
    text: str

    def sentence(self) -> str:
        """``column: text``, the whole sentence as plain text."""
        return f"{self.column}: {self.text}"


def findings(report: DriftReport, current: str | None = None) -> tuple[Finding, ...]:
    """A sentence per drifted feature, furthest beyond its usual limit first.

    ``current`` names the current window in the sentences (default: from its
    bounds, e.g. ``July 2013``, ``the week of 2013-07-01``).
    """
    where = current or window_words(report)
    rhythm = _rhythm(report) if report.config.rule == "calibrated" else ""
    drifted = sorted(
        (c for c in report.features if c.drifted),
        key=lambda c: -(c.excess if c.excess is not None else (c.effect or 0.0)),
    )
    return tuple(Finding(c.column, finding_text(c, where, rhythm)) for c in drifted)


def finding_text(column: ColumnDrift, where: str, rhythm: str) -> str:
    """The sentence about one column, after its name (see the module).

    ``rhythm`` is what the usual range spans (``month-to-month``); empty under
    the fixed rule, which has no usual range (the effect size is said instead).
    """
    quality = _quality(column)
    if column.kind == "numeric":
        text = f"{_numeric(column, where)}, {_range(column, rhythm)}."
    else:
        # Unseen categories are said once: by the data-quality part when beyond usual.
        text = f"{_range(column, rhythm)}; {_categorical(column, where, not quality)}."
    return f"{text} {quality[0].upper()}{quality[1:]}." if quality else text


def window_words(report: DriftReport) -> str:
    """The current window as a sentence names it: ``July 2013``, ``the week of 2013-07-01``,
    ``2013-07-01``, ``the uploaded slice 'x'`` or ``2013-07-01 → 2013-07-14``."""
    if report.current_slice is not None:
        return f"the uploaded slice {report.current_slice!r}"
    start, end = report.current
    period = _period(start, end)
    if period == "month":
        return f"{start:%B %Y}"
    if period == "week":
        return f"the week of {start:%Y-%m-%d}"
    if period == "day":
        return f"{start:%Y-%m-%d}"
    if period == "hour":
        return f"the hour {start:%Y-%m-%d %H:%M}"
    return span_label(start, end)


def _rhythm(report: DriftReport) -> str:
    """What the usual range is the range of: ``month-to-month`` for a calendar month …"""
    period = None if report.current_slice is not None else _period(*report.current)
    return f"{period}-to-{period}" if period else "window-to-window"


def _period(start: dt.datetime, end: dt.datetime) -> str | None:
    return next((p for p in reversed(PERIODS) if is_whole_period(p, start, end)), None)


def _numeric(column: ColumnDrift, where: str) -> str:
    histogram = column.histogram
    if histogram is None or len(histogram.edges) < 2:
        return f"its distribution moved by {_num(column.effect)} reference SDs (W/σ)"
    ref, cur = _median(histogram, "reference"), _median(histogram, "current")
    step = _resolution(histogram)
    if _rounded(ref, step) != _rounded(cur, step):
        shift = _shift_in_sds(column, cur - ref)
        return (
            f"median {_value(cur, step)} in {where} against {_value(ref, step)} in the reference"
            + (f" ({_signed(shift)} reference SDs)" if shift is not None else "")
        )
    return _moved_range(column, where)


def _moved_range(column: ColumnDrift, where: str) -> str:
    """The decile bin whose share changed most, for a feature whose median stayed put."""
    bins = column.bins or column.histogram
    assert bins is not None
    ref, cur = _shares(bins.reference), _shares(bins.current)
    i = int(np.argmax(np.abs(cur - ref)))
    low, high = bins.edges[i], bins.edges[i + 1]
    step = _resolution(bins)
    span = (
        f"at {_value(low, step)}"
        if _rounded(low, step) == _rounded(high, step)
        else f"between {_value(low, step)} and {_value(high, step)}"
    )
    return (
        f"median unchanged, but {_pct(cur[i])} of values {span} in {where} against "
        f"{_pct(ref[i])} in the reference"
    )


def _categorical(column: ColumnDrift, where: str, unseen_too: bool) -> str:
    counts = column.categories
    if counts is None or not counts.categories:
        return f"its category shares moved (Jensen–Shannon distance {_num(column.effect)})"
    ref, cur = _shares(counts.reference), _shares(counts.current)
    delta = cur - ref
    order = [int(i) for i in np.argsort(-np.abs(delta), kind="stable")]
    named = [i for i in order if abs(delta[i]) * 100 >= MIN_POINTS][:MOVES]
    seen = set(named)
    moves = [
        f"{counts.categories[i]} {_pct(ref[i])} → {_pct(cur[i])} ({_signed(100 * delta[i])} points)"
        for i in named
    ]
    text = (
        f"the largest moves in {where}: " + ", ".join(moves)
        if moves
        else f"every category's share moved by less than {MIN_POINTS:g} points in {where}"
    )
    unseen = [name for name, _ in column.unseen if name not in {counts.categories[i] for i in seen}]
    if unseen_too and column.unseen_share and unseen:
        text += (
            f"; {len(column.unseen)} categories the reference never had hold "
            f"{_pct(column.unseen_share)} of values"
        )
    return text


def _range(column: ColumnDrift, rhythm: str) -> str:
    if column.excess is None or not rhythm:  # the fixed rule: say the effect size
        name = "W/σ" if column.effect_name == "wasserstein_normed" else "Jensen–Shannon"
        return f"effect {name} {_num(column.effect)}"
    if column.excess >= FAR:
        return f"far outside its usual {rhythm} range"
    if column.excess >= 1:
        return f"outside its usual {rhythm} range"
    return f"within its usual {rhythm} range"


def _quality(column: ColumnDrift) -> str:
    parts = []
    if _beyond(column.missing_current, column.missing_limit):
        parts.append(f"{_pct(column.missing_current)} missing ({_usual(column.missing_limit)})")
    if _beyond(column.novel, column.novel_limit):
        what = "in categories the reference never had" if column.kind == "categorical" else (
            "outside the reference's range")  # fmt: skip
        parts.append(f"{_pct(column.novel)} of values {what} ({_usual(column.novel_limit)})")
    return "; ".join(parts)


def _usual(limit: float | None) -> str:
    return "usually none" if not limit or limit < 0.0005 else f"usually at most {_pct(limit)}"


def _signed(value: float) -> str:
    """``+1.0`` or ``−1.1`` (a real minus sign, as typeset)."""
    text = f"{value:+.1f}" if abs(value) >= 0.1 or value == 0 else f"{value:+.1g}"
    return text.replace("-", "−")


def _beyond(share: float | None, limit: float | None) -> bool:
    return share is not None and limit is not None and share > limit


def _median(histogram: Histogram, side: str) -> float:
    """The median of one side, linear inside the bin that holds it."""
    counts = np.asarray(getattr(histogram, side), dtype=float)
    edges = np.asarray(histogram.edges, dtype=float)
    total = counts.sum()
    if total <= 0:
        return float("nan")
    cumulative = np.cumsum(counts)
    i = int(np.searchsorted(cumulative, total / 2))
    before = cumulative[i - 1] if i else 0.0
    inside = (total / 2 - before) / counts[i] if counts[i] else 0.0
    return float(edges[i] + inside * (edges[i + 1] - edges[i]))


def _shift_in_sds(column: ColumnDrift, shift: float) -> float | None:
    """``shift`` in reference standard deviations (σ = W ÷ (W/σ)); ``None`` when unknown."""
    w, normed = column.effects.wasserstein, column.effects.wasserstein_normed
    if w is None or normed is None or w <= 0 or normed <= 0:
        return None
    return shift / (w / normed)


def _resolution(histogram: Histogram) -> float:
    """The value step the histogram can tell apart: a power of ten near its narrowest bin."""
    widths = np.diff(np.asarray(histogram.edges, dtype=float))
    widths = widths[widths > 0]
    if not len(widths):
        return 1.0
    return float(10 ** math.floor(math.log10(float(widths.min()) / 2)))


def _rounded(value: float, step: float) -> float:
    return round(value / step) * step


def _value(value: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return f"{_rounded(value, step):,.{decimals}f}"


def _shares(counts: tuple[int, ...]) -> np.ndarray:
    values = np.asarray(counts, dtype=float)
    total = values.sum()
    return values / total if total else values


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{100 * share:.1f}%"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"
