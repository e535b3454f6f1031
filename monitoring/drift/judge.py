"""Calibrate on the reference, then judge windows: the one path of every drift verdict.

:func:`calibrate` counts the reference's atoms once (:mod:`monitoring.drift.shapes`),
cuts calibration windows of the shape, compares each with its baseline
(:mod:`monitoring.drift.sides`) and derives every feature's thresholds
(:mod:`monitoring.drift.calibration`). :func:`judge` then scores windows
against the same baseline and applies the verdict rule of
:mod:`monitoring.drift.verdicts`. The timeline judges many windows; the drift
engine judges its one current window the same way.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import duckdb
import numpy as np

from monitoring.drift import calibration, cells, scores, shapes, sides, verdicts
from monitoring.drift.calibration import ScoreLimit, ShareLimit, VolumeBand
from monitoring.drift.cells import FeatureCell
from monitoring.drift.config import Baseline, DriftConfig
from monitoring.drift.shapes import Atoms, CalibrationWindows, Shape
from monitoring.drift.sides import FeatureCounts
from monitoring.errors import MonitoringError
from monitoring.store.bins import Layout, fit_layout
from monitoring.store.connection import ModelHandle
from monitoring.store.counts import Counts, count_windows
from monitoring.store.windows import row_windows
from monitoring.timeutil import Bounds


@dataclass(frozen=True)
class Calibrated:
    """What judging windows of one shape against one baseline needs, computed once.

    ``baseline`` is the baseline in force; ``note`` says why it differs from
    the one asked for, or why no threshold could be calibrated (the fixed
    rule then applies).
    """

    shape: Shape
    baseline: Baseline
    note: str
    layout: Layout
    categories: Mapping[str, tuple[str, ...]]
    reference: Mapping[str, FeatureCounts]
    atoms: Atoms
    windows: CalibrationWindows | None
    limits: Mapping[str, ScoreLimit]
    multiplier: float
    missing: Mapping[str, ShareLimit]
    novel: Mapping[str, ShareLimit]
    volume: VolumeBand | None

    @property
    def calibrated(self) -> bool:
        return self.windows is not None

    def describe(self) -> str:
        """``calibrated on 51 reference windows of one week, against the whole reference``."""
        if self.windows is None:
            return f"not calibrated: {self.note}"
        text = f"calibrated on {self.windows.describe(self.shape)}, {self.baseline.label()}"
        return f"{text}; {self.note}" if self.note else text


@dataclass(frozen=True)
class WindowJudgement:
    """One window's cells and verdicts; ``threshold`` is the p-value level the rule used."""

    rows: int
    cells: tuple[FeatureCell, ...]
    drifted: bool | None
    threshold: float | None
    volume_low: float | None
    volume_high: float | None
    quality: bool | None


def calibrate(
    con: duckdb.DuckDBPyConnection,
    model: ModelHandle,
    shape: Shape,
    reference: Bounds,
    baseline: Baseline,
    layout: Layout | None = None,
    groups: Sequence[Sequence[str]] | None = None,
) -> Calibrated:
    """Count the reference's atoms and calibrate every column's thresholds (see the module).

    ``layout`` says which columns and how (default: the spec's features, fitted
    on ``reference``). ``groups`` are the families judged together (features,
    outputs): the multiplier and the p-value level are set per family; by
    default all columns are one family.
    """
    spec, source = model.spec, model.source
    layout = layout or fit_layout(
        con, source, spec.numeric_features, spec.categorical_features, reference
    )
    atoms = _atoms(model, shape, reference)
    counted = count_windows(con, source, layout, atoms.bounds)
    categories = {c: _by_frequency(counted.categorical[c]) for c in layout.categorical}
    dense = sides.feature_counts(counted, layout, categories)
    blank = Calibrated(shape, baseline, "", layout, categories, dense, atoms, None, {}, math.nan,
                       {}, {}, None)  # fmt: skip
    try:
        runs = shapes.calibration_windows(atoms)
    except MonitoringError as exc:
        rates = _reference_share_limits(dense, 2 * len(dense) + 1)
        note = f"{exc}; the fixed rule (p and effect size) applies"
        return replace(blank, note=note, missing=rates[0], novel=rates[1])
    baseline, note = _feasible(baseline, shape, atoms, runs)
    season = shapes.seasons(atoms.starts, shape.period) if baseline.kind == "seasonal" else None
    stats: dict[str, np.ndarray] = {}
    missing: dict[str, ShareLimit] = {}
    novel: dict[str, ShareLimit] = {}
    signals = 2 * len(dense) + 1
    keep = np.ones(len(runs), dtype=bool)
    for feature, atom_counts in dense.items():
        current, base, full = _calibration_sides(atom_counts, runs.runs, baseline, season)
        keep &= full
        stats[feature] = cells.score(atom_counts.kind, current.counts, base)
        n = current.n
        with np.errstate(invalid="ignore", divide="ignore"):
            missing_share = (current.rows - n) / current.rows
            rest = atom_counts.counts.sum(axis=0)[None, :] - current.counts
            novel_share = sides.outside_rest(current.counts, rest, atom_counts.kind) / n
        total_rows = atom_counts.rows.sum()
        rate = float((total_rows - atom_counts.n.sum()) / total_rows) if total_rows else 0.0
        missing[feature] = calibration.share_limit(missing_share, rate, signals)
        novel_rate = float(np.nansum(novel_share * n) / max(np.nansum(n), 1))
        novel[feature] = calibration.share_limit(novel_share, novel_rate, signals)
    stats = {f: np.where(keep, v, np.nan) for f, v in stats.items()}
    ceilings = {f: scores.JS_MAX if c.kind == "categorical" else 1.0 for f, c in dense.items()}
    discrete = {b.column for b in layout.numeric if b.discrete}
    tied = {f for f, c in dense.items() if c.kind == "categorical" or f in discrete}
    limits: dict[str, ScoreLimit] = {}
    multiplier = math.nan
    for group in groups or [list(dense)]:
        family = {f: stats[f] for f in group if f in stats}
        found, used = calibration.score_limits(family, ceilings, len(family), tied)
        limits.update(found)
        multiplier = used if math.isnan(multiplier) else multiplier  # the first family's
    rows = next(iter(dense.values())).runs(runs.runs).rows if dense else np.zeros(0)
    volume = calibration.volume_band(rows, signals) if shape.rows is None else None
    return replace(blank, baseline=baseline, note=note, windows=runs, limits=limits,
                    multiplier=multiplier, missing=missing, novel=novel, volume=volume)  # fmt: skip


def _reference_share_limits(
    dense: Mapping[str, FeatureCounts], signals: int
) -> tuple[dict[str, ShareLimit], dict[str, ShareLimit]]:
    """Data-quality limits from the reference's own rates when no calibration windows exist.

    The missing share's rate is the reference's. The chance that a new value lies
    outside what N reference values hold is Good–Turing's: the share of values seen
    once (categories), or 2 / (N + 1) for a value beyond the smallest or largest of N.
    Without windows there is no spread, so the limits are the binomial ones alone.
    """
    missing: dict[str, ShareLimit] = {}
    novel: dict[str, ShareLimit] = {}
    nothing = np.zeros(0)
    for feature, counts in dense.items():
        totals, _ = counts.total()
        n, rows = float(totals.sum()), float(counts.rows.sum())
        if not n:
            continue
        missing[feature] = calibration.share_limit(nothing, (rows - n) / rows, signals)
        if counts.kind == "categorical":
            rate = max(float((totals == 1).sum()), 1.0) / n
        else:
            rate = 2 / (n + 1)
        novel[feature] = calibration.share_limit(nothing, rate, signals)
    return missing, novel


def judge(
    cal: Calibrated,
    counts: Counts,
    bounds: Sequence[Bounds],
    config: DriftConfig,
    judged: Sequence[int] | None = None,
) -> dict[int, WindowJudgement]:
    """Score each window of ``counts`` against its baseline and apply the verdict rule.

    ``judged`` picks the windows to judge (default: all); with a rolling
    baseline the others are context: the windows before the judged ones.
    """
    dense = sides.feature_counts(counts, cal.layout, cal.categories)
    picked = list(range(counts.windows)) if judged is None else list(judged)
    per_feature = {f: _window_cells(cal, f, c, bounds, picked, config) for f, c in dense.items()}
    out = {}
    for position, w in enumerate(picked):
        cells = tuple(per_feature[f][position] for f in dense)
        judged_cells, p_level = _verdicts(cells, config, cal)
        tested = [c for c in judged_cells if c.drifted is not None]
        drifted = verdicts.family_drifted(sum(bool(c.drifted) for c in tested), len(tested), config)
        rows = int(counts.rows[w])
        volume = cal.volume
        quality = any(bool(c.quality) for c in judged_cells) or (
            volume is not None and volume.beyond(rows)
        )
        out[w] = WindowJudgement(
            rows,
            judged_cells,
            drifted,
            p_level,
            None if volume is None else volume.low,
            None if volume is None else volume.high,
            quality if tested else None,
        )
    return out


def _window_cells(
    cal: Calibrated,
    feature: str,
    counts: FeatureCounts,
    bounds: Sequence[Bounds],
    picked: Sequence[int],
    config: DriftConfig,
) -> list[FeatureCell]:
    """One feature's cell in each picked window, before the verdict."""
    reference = cal.reference[feature]
    size = counts.counts.shape[1]
    current = counts.counts[picked]
    base = _production_base(cal, reference, counts, bounds, picked, size)
    kind = counts.kind
    score = cells.score(kind, current, base)
    statistic, p_value = cells.test(kind, current, base, score)
    layout = next((b for b in cal.layout.numeric if b.column == feature), None)
    effect = cells.effect(
        layout, cal.baseline.kind == "whole", kind, counts, base, picked, reference
    )
    n = current.sum(axis=1)
    rows = counts.rows[picked]
    novel_counts = sides.outside_support(current, layout, len(cal.categories.get(feature, ())))
    limit = cal.limits.get(feature)
    missing_limits = cal.missing[feature].limits(rows) if feature in cal.missing else None
    novel_limits = cal.novel[feature].limits(n) if feature in cal.novel else None
    out = []
    for i in range(len(picked)):
        why = cells.untestable(float(reference.n.sum()), float(n[i]), current[i], base[i])
        missing = float((rows[i] - n[i]) / rows[i]) if rows[i] else None
        novel = float(novel_counts[i] / n[i]) if n[i] else None
        missing_limit = None if missing_limits is None else float(missing_limits[i])
        novel_limit = None if novel_limits is None else float(novel_limits[i])
        quality = None
        if not why:
            quality = cells.over(missing, missing_limit) or cells.over(novel, novel_limit)
        tested = not why and math.isfinite(score[i])
        out.append(
            FeatureCell(
                feature=feature,
                kind="categorical" if kind == "categorical" else "numeric",
                status="tested" if tested else (why or "no_baseline"),
                n=int(n[i]),
                missing=missing,
                statistic=cells.finite(statistic[i]) if tested else None,
                p_value=cells.finite(p_value[i]) if tested else None,
                effect=cells.finite(effect[i]) if tested else None,
                drifted=None,
                score=cells.finite(score[i]) if tested else None,
                threshold=None if limit is None else limit.threshold,
                excess=limit.excess(float(score[i])) if tested and limit else None,
                missing_limit=missing_limit,
                novel=novel,
                novel_limit=novel_limit,
                quality=quality,
            )
        )
    return out


def _verdicts(
    window_cells: tuple[FeatureCell, ...], config: DriftConfig, cal: Calibrated
) -> tuple[tuple[FeatureCell, ...], float | None]:
    """The cells with their verdicts, and the p-value level used."""
    tested = [c for c in window_cells if c.status == "tested" and c.p_value is not None]
    if not tested:
        return window_cells, None
    calibrated = config.rule == "calibrated" and cal.calibrated
    level = verdicts.p_level(
        [c.p_value for c in tested if c.p_value is not None], config, calibrated
    )
    out = []
    for c in window_cells:
        if c.status != "tested" or c.p_value is None:
            out.append(c)
        elif calibrated and c.threshold is not None and c.score is not None:
            out.append(
                cells.with_verdict(
                    c, verdicts.calibrated_drifted(c.score, c.threshold, c.p_value, level)
                )
            )
        else:
            out.append(
                cells.with_verdict(
                    c, verdicts.column_drifted(c.p_value, c.effect, level, config)[1]
                )
            )
    return tuple(out), level


def _production_base(
    cal: Calibrated,
    reference: FeatureCounts,
    counts: FeatureCounts,
    bounds: Sequence[Bounds],
    picked: Sequence[int],
    size: int,
) -> np.ndarray:
    """The baseline counts of each picked window (``len(picked) × size``)."""
    total = sides.align(reference.counts.sum(axis=0), size)
    if cal.baseline.kind == "seasonal":
        season = shapes.seasons(cal.atoms.starts, cal.shape.period)
        assert season is not None
        keys = np.unique(season)
        by_season = np.stack([sides.align(reference.counts[season == s].sum(axis=0), size)
                              for s in keys])  # fmt: skip
        out = []
        for w in picked:
            own = shapes.seasons(_window_atoms(cal.shape, bounds[w]), cal.shape.period)
            assert own is not None
            weights = np.array([(own == s).sum() for s in keys], dtype=np.float64)
            out.append(sides.mix(by_season, weights) if weights.sum() else np.full(size, np.nan))
        return np.stack(out)
    if cal.baseline.kind == "rolling":
        k = cal.baseline.windows
        cum = np.vstack([np.zeros((1, size)), np.cumsum(counts.counts, axis=0)])
        return np.stack([cum[w] - cum[w - k] if w >= k else np.full(size, np.nan) for w in picked])
    return np.broadcast_to(total, (len(picked), size))


def _calibration_sides(
    atoms: FeatureCounts,
    runs: Sequence[tuple[int, int]],
    baseline: Baseline,
    season: np.ndarray | None,
) -> tuple[FeatureCounts, np.ndarray, np.ndarray]:
    if baseline.kind == "seasonal" and season is not None:
        current, base = sides.seasonal_leave_one_out(atoms, runs, season)
        return current, base, np.ones(len(runs), dtype=bool)
    if baseline.kind == "rolling":
        return sides.preceding(atoms, runs, baseline.windows)
    current, base = sides.leave_one_out(atoms, runs)
    return current, base, np.ones(len(runs), dtype=bool)


def _atoms(model: ModelHandle, shape: Shape, reference: Bounds) -> Atoms:
    if shape.rows is None:
        return shapes.calendar_atoms(shape, reference)
    chunks = row_windows(model, shape.chunk_rows, *reference)
    return Atoms(shape, tuple(w.bounds for w in chunks if w.rows == shape.chunk_rows))


def _window_atoms(shape: Shape, bounds: Bounds) -> list[dt.datetime]:
    return list(shapes.calendar_atoms(shape, bounds).starts)


def _feasible(
    baseline: Baseline, shape: Shape, atoms: Atoms, runs: CalibrationWindows
) -> tuple[Baseline, str]:
    """The baseline that can be calibrated here, and why another was used instead."""
    if baseline.kind == "seasonal":
        season = shapes.seasons(atoms.starts, shape.period)
        cycle = shapes.season_cycle(shape.period)
        if season is None:
            return Baseline(), "row windows have no season; compared with the whole reference"
        per = {s: sum(1 for a, _ in runs.runs if season[a] == s) for s in np.unique(season)}
        expected = {"hour of day": 24, "weekday": 7, "month": 12}[cycle]
        if len(per) < expected or min(per.values()) < 2:
            return Baseline(), (
                f"a seasonal baseline by {cycle} needs a reference of whole cycles with at least "
                f"two {shape.label()}s per {cycle}; compared with the whole reference instead"
            )
    if baseline.kind == "rolling" and len(runs) <= baseline.windows + 2:
        return Baseline(), (
            f"too few reference windows to calibrate a rolling baseline of {baseline.windows}; "
            "compared with the whole reference instead"
        )
    return baseline, ""


def _by_frequency(per_slot: Sequence[Mapping[str, int]]) -> tuple[str, ...]:
    totals: dict[str, int] = {}
    for counts in per_slot:
        for value, n in counts.items():
            totals[value] = totals.get(value, 0) + n
    return tuple(sorted(totals, key=lambda v: (-totals[v], v)))
