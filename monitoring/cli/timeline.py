"""``python -m monitoring timeline``: every window against its baseline, as a table or JSON.

Each window has its start, end, rows, status (``tested``, ``too_few``,
``partial``, ``empty``) and verdict; each feature its calibrated statistic
and threshold, p-value, data-quality shares and verdict. ``--json`` prints the
document described in ``docs/timeline-json.md``, a stable format.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from monitoring.cli.options import (
    add_db_option,
    add_verdict_options,
    moment,
    positive_int,
    store_of,
    until,
)
from monitoring.drift.config import DriftConfig
from monitoring.errors import MonitoringError
from monitoring.performance.metrics import headline_metric
from monitoring.performance.realized import PerformanceResult, realized_performance
from monitoring.report.text import verdict_word
from monitoring.store.connection import Store
from monitoring.store.windows import PERIODS, WindowPlan
from monitoring.timeline.engine import DEFAULT_MIN_ROWS, run_timeline
from monitoring.timeline.ranking import FeatureRank, rank_features
from monitoring.timeline.report import Timeline, WindowDrift
from monitoring.timeutil import span_label

JSON_VERSION = 1


def add_timeline_command(commands: Any) -> argparse.ArgumentParser:
    """Register ``timeline`` on an argparse sub-parsers object; return its parser."""
    text = "Compare every window of a model with its baseline: calibrated verdicts per feature."
    sub: argparse.ArgumentParser = commands.add_parser("timeline", help=text, description=text)
    add_db_option(sub)
    sub.add_argument("--model", required=True, help="the model's name")
    size = sub.add_mutually_exclusive_group(required=True)
    size.add_argument("--period", choices=PERIODS, help="calendar windows")
    size.add_argument("--rows", type=positive_int, help="windows of N records")
    sub.add_argument("--since", type=moment, help="first day (or moment) to include")
    sub.add_argument("--until", type=until, help="last day to include")
    add_verdict_options(sub, DEFAULT_MIN_ROWS)
    sub.add_argument("--json", action="store_true", help="print the JSON document")
    sub.set_defaults(run=run)
    return sub


def run(args: argparse.Namespace) -> int:
    """Compute (or read back) the timeline and print it; errors raise :class:`MonitoringError`."""
    store = store_of(args)
    plan = WindowPlan(args.period, args.rows, args.since, args.until)
    model = store.model(args.model)
    baseline = args.baseline or model.spec.baseline
    config = DriftConfig(correction=args.correction, rule=args.rule, baseline=baseline)
    timeline = run_timeline(
        store, args.model, plan.windows(model), config, min_rows=args.min_rows, plan=plan
    )
    performance = _performance(store, args.model, plan) if model.spec.target else None
    metric = headline_metric(model.spec) if performance is not None else None
    ranking = rank_features(timeline, performance, metric)
    if args.json:
        print(json.dumps(timeline_document(timeline, plan, ranking), indent=2, allow_nan=False))
    else:
        print(render(timeline, ranking))
    return 0


def timeline_document(
    timeline: Timeline, plan: WindowPlan, ranking: tuple[FeatureRank, ...]
) -> dict[str, Any]:
    """The JSON document of ``docs/timeline-json.md`` (plain values, ISO times, no NaN)."""
    config = timeline.config
    return {
        "version": JSON_VERSION,
        "model": timeline.model,
        "windows_of": timeline.shape,
        "plan": {
            "period": plan.period,
            "rows": plan.rows,
            "start": None if plan.start is None else plan.start.isoformat(),
            "end": None if plan.end is None else plan.end.isoformat(),
        },
        "reference": {
            "start": timeline.reference[0].isoformat(),
            "end": timeline.reference[1].isoformat(),
        },
        "rule": config.rule,
        "baseline": config.baseline,
        "calibration": timeline.calibration,
        "min_rows": timeline.min_rows,
        "counts": {
            "windows": len(timeline.windows),
            "tested": len(timeline.tested_windows),
            "drifted": len(timeline.drifted_windows),
            **{s: timeline.untested().get(s, 0) for s in ("too_few", "partial", "empty")},
        },
        "ranking": [_clean(asdict(r)) for r in ranking],
        "windows": [_window(w) for w in timeline.windows],
    }


def _window(w: WindowDrift) -> dict[str, Any]:
    return {
        "start": w.start.isoformat(),
        "end": w.end.isoformat(),
        "rows": w.rows,
        "status": w.status,
        "drifted": w.drifted,
        "p_level": _clean(w.threshold),
        "drifted_features": list(w.drifted_features),
        "quality": w.quality,
        "volume": {
            "low": _clean(w.volume_low),
            "high": _clean(w.volume_high),
            "beyond": w.volume_beyond,
        },
        "features": {c.feature: {**_clean(asdict(c)), "beyond": list(c.beyond())} for c in w.cells},
    }


def render(timeline: Timeline, ranking: tuple[FeatureRank, ...]) -> str:
    """One line per window, then the ranking, as plain text."""
    counts = timeline.untested()
    lines = [
        f"{timeline.model}: {len(timeline.windows)} window(s) of one {timeline.shape}, "
        f"{len(timeline.tested_windows)} judged, {len(timeline.drifted_windows)} drifted"
        + "".join(f", {n} {status.replace('_', ' ')}" for status, n in counts.items()),
        f"  {timeline.calibration}",
    ]
    spans = [span_label(w.start, w.end) for w in timeline.windows]
    width = max(map(len, spans), default=0)
    for w, span in zip(timeline.windows, spans, strict=True):
        said = verdict_word(w.drifted, shout=True) if w.status == "tested" else w.status
        which = f" ({', '.join(w.drifted_features)})" if w.drifted_features else ""
        odd = [f"{c.feature} {'/'.join(c.beyond())}".replace("_", " ") for c in w.cells
               if c.quality]  # fmt: skip
        quality = f"; quality: {', '.join(odd)}" if odd else ""
        volume = "; unusual volume" if w.volume_beyond else ""
        lines.append(f"  {span:<{width}}  {w.rows:>9,} rows  {said}{which}"
                     f"{quality}{volume}")  # fmt: skip
    lines.append("ranking (drifted windows, largest statistic / threshold, correlation):")
    for r in ranking:
        link = (
            f", ρ = {r.correlation:+.2f} with {r.metric} change (p = {r.p_value:.2g})"
            if r.correlation is not None and r.p_value is not None
            else ""
        )
        excess = "-" if r.excess is None else f"{r.excess:.2f}×"
        lines.append(f"  {r.feature}: {r.drifted_windows} window(s), {excess}{link}")
    return "\n".join(lines)


def _performance(store: Store, model: str, plan: WindowPlan) -> PerformanceResult | None:
    try:
        return realized_performance(store, model, plan, resamples=0)
    except MonitoringError:
        return None  # no labels to correlate with; the ranking says so by its absence


def _clean(value: Any) -> Any:
    """JSON has no NaN or infinity: they become ``null``."""
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value
