"""``python -m monitoring performance``: per-window performance, coverage and diagnosis.

Prints, for each window, the realized metrics with their bootstrap intervals
(``!`` marks a value outside the reference band), the label coverage, the
estimated metrics where labels are pending (binary models with scores), the
error-drift test and the diagnosis. ``--json`` prints the document described
in ``docs/performance.md`` instead.

The diagnosis takes its covariate-drift verdict per window from the drift
timeline (:func:`~monitoring.timeline.engine.covariate_verdicts`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from monitoring.cli.options import add_db_option, moment, positive_int, store_of, until
from monitoring.errors import MonitoringError
from monitoring.performance.cells import PlanCells, plan_cells
from monitoring.performance.diagnosis import WindowDiagnosis, diagnose_windows
from monitoring.performance.errors_drift import ConceptDriftResult, error_drift
from monitoring.performance.estimation import (
    ESTIMATED_METRICS,
    EstimationResult,
    estimate_performance,
    supports_estimation,
)
from monitoring.performance.metrics import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES
from monitoring.performance.realized import PerformanceResult, realized_performance
from monitoring.performance.records import require_target
from monitoring.store.connection import Store
from monitoring.store.windows import PERIODS, WindowPlan
from monitoring.timeline.engine import covariate_verdicts

JSON_VERSION = 1
T = TypeVar("T")


def add_performance_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register ``performance`` on the subparsers of ``python -m monitoring``."""
    text = "Per-window realized and estimated performance, label coverage and concept drift."
    sub = commands.add_parser("performance", help=text, description=text)
    sub.add_argument("--model", required=True, help="the model's name")
    size = sub.add_mutually_exclusive_group()
    # No default here: argparse misses a clash with --rows when the value equals the default.
    size.add_argument("--period", choices=PERIODS, help="calendar windows (default: week)")
    size.add_argument("--rows", type=positive_int, help="windows of N records instead of a period")
    sub.add_argument("--since", type=moment, help="first day (or moment) to include")
    sub.add_argument(
        "--until", type=until, help="last day to include (a date-time is an exclusive end)"
    )
    sub.add_argument(
        "--metric", action="append", dest="metrics", help="only this metric (repeatable)"
    )
    sub.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES, help="bootstrap draws")
    sub.add_argument("--confidence", type=float, default=DEFAULT_CONFIDENCE, help="interval level")
    sub.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    sub.add_argument("--json", action="store_true", help="print the JSON document")
    add_db_option(sub)
    sub.set_defaults(run=run_performance)
    return sub


def run_performance(args: argparse.Namespace) -> int:
    """Compute and print; return the exit code (errors raise :class:`MonitoringError`)."""
    store = store_of(args)
    plan = WindowPlan(args.period or "week", args.rows, args.since, args.until)
    handle = store.model(args.model)
    require_target(handle.spec)
    # A classifier's records are counted once, for all three parts below.
    cells = plan_cells(handle, plan) if handle.spec.task != "regression" else None
    windows = list(cells.windows) if cells is not None else plan.windows(handle)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="covariate-drift") as pool:
        # The drift timeline is mostly DuckDB counting, which runs outside the GIL: started
        # first, it overlaps the metrics' resampling (3M rows, daily: 11.6 → 9.6 s).
        covariate = pool.submit(
            _optional, lambda: covariate_verdicts(store, args.model, windows), "covariate drift"
        )
        realized = realized_performance(
            store,
            args.model,
            plan,
            metrics=args.metrics,
            resamples=args.resamples,
            confidence=args.confidence,
            seed=args.seed,
            cells=cells,
        )
        estimate, estimate_note = _optional(
            lambda: _estimate(store, args, plan, realized, cells), "estimation"
        )
        concept, concept_note = _optional(
            lambda: error_drift(store, args.model, plan, cells=cells), "errors"
        )
        verdicts, covariate_note = covariate.result()
    diagnoses = diagnose_windows(concept.windows, verdicts or {}) if concept is not None else ()
    document = performance_document(realized, estimate, concept, diagnoses)
    document["notes"] = [n for n in (estimate_note, concept_note, covariate_note) if n]
    if args.json:
        print(json.dumps(_finite(document), indent=2))
    else:
        print(render_table(document))
    return 0


def _estimate(
    store: Store,
    args: argparse.Namespace,
    plan: WindowPlan,
    realized: PerformanceResult,
    cells: PlanCells | None,
) -> EstimationResult | None:
    if not supports_estimation(store.model(args.model).spec):
        return None
    return estimate_performance(
        store,
        args.model,
        plan,
        metrics=[m for m in realized.metrics if m in ESTIMATED_METRICS],
        resamples=args.resamples,
        confidence=args.confidence,
        seed=args.seed,
        cells=cells,
    )


def _optional(compute: Callable[[], T], what: str) -> tuple[T | None, str]:
    """A part of the report that may be impossible (e.g. a reference without labels)."""
    try:
        return compute(), ""
    except MonitoringError as exc:
        return None, f"{what}: {exc}"


def performance_document(
    realized: PerformanceResult,
    estimate: EstimationResult | None,
    concept: ConceptDriftResult | None,
    diagnoses: Sequence[WindowDiagnosis],
) -> dict[str, Any]:
    """The JSON document of ``docs/performance.md`` (plain values, ISO times)."""
    estimated = {w.window.start: w for w in estimate.windows} if estimate else {}
    errors = {e.start: e for e in concept.windows} if concept else {}
    diagnosed = {d.start: d for d in diagnoses}
    windows = []
    for w in realized.windows:
        start = w.window.start
        alerts = {a.metric: a.direction for a in w.alerts}
        est = estimated.get(start)
        err = errors.get(start)
        diag = diagnosed.get(start)
        windows.append(
            {
                "start": start.isoformat(),
                "end": w.window.end.isoformat(),
                "rows": w.window.rows,
                "labelled": w.window.labelled,
                "label_coverage": w.label_coverage,
                "status": w.status,
                "in_reference": w.in_reference,
                "metrics": {m: v.plain() | {"alert": alerts.get(m)} for m, v in w.metrics.items()},
                "estimated": {m: v.plain() for m, v in est.metrics.items()} if est else None,
                "error_drift": None
                if err is None
                else {
                    "status": err.status,
                    "is_drift": err.is_drift,
                    "p_value": err.p_value,
                    "significant": err.significant,
                    "change": err.effect,
                    "statistic": err.statistic,
                    "n": err.n_window,
                    "window_error": err.window_error,
                },
                "diagnosis": diag.diagnosis.value if diag else "unknown",
                "covariate_drift": diag.covariate_drift if diag else None,
                "explanation": diag.explanation if diag else "",
            }
        )
    return {
        "version": JSON_VERSION,
        "model": realized.model,
        "task": realized.task,
        "period": realized.plan.period,
        "rows": realized.plan.rows,
        "reference": {
            "start": realized.reference.start.isoformat(),
            "end": realized.reference.end.isoformat(),
        },
        "bootstrap": {
            "resamples": realized.resamples,
            "confidence": realized.confidence,
            "seed": realized.seed,
        },
        "metrics": list(realized.metrics),
        "bands": {
            m: {
                "mean": b.mean,
                "std": b.std,
                "lower": b.lower,
                "upper": b.upper,
                "windows": b.windows,
                "sigmas": b.sigmas,
                "overall": b.overall,
                "reason": b.reason,
                "basis": b.basis,
            }
            for m, b in realized.bands.items()
        },
        "estimation": None
        if estimate is None
        else {"metrics": list(estimate.metrics), "assumption": estimate.assumption},
        "error_test": None
        if concept is None
        else {
            "test": concept.test,
            "detector": concept.windows[0].detector if concept.windows else None,
            "p_val": concept.p_val,
            "min_change": concept.min_change,
            "min_change_measure": concept.min_change_name,
            "min_change_basis": concept.min_change_basis,
            "n_reference": concept.n_reference,
            "reference_error": concept.reference_error,
            "error_name": "mean residual" if concept.task == "regression" else "error rate",
        },
        "windows": windows,
        "alerts": [
            {
                "metric": a.metric,
                "start": a.start.isoformat(),
                "end": a.end.isoformat(),
                "value": a.value,
                "lower": a.lower,
                "upper": a.upper,
                "direction": a.direction,
                "worse": a.worse,
                "message": a.message(),
            }
            for a in realized.alerts
        ],
    }


def render_table(document: Mapping[str, Any]) -> str:
    """The human-readable table: one line per window, one column per metric."""
    metrics: list[str] = document["metrics"]
    level = f"{document['bootstrap']['confidence']:.0%}"
    header = ["window", "rows", "labelled", *metrics, "errors", "diagnosis"]
    table = [header]
    for w in document["windows"]:
        cells = [
            _day(w["start"]),
            f"{w['rows']:,}",
            "-" if w["label_coverage"] is None else f"{w['label_coverage']:.0%}",
        ]
        for m in metrics:
            cells.append(_cell(w["metrics"][m], (w["estimated"] or {}).get(m)))
        cells.append(_errors_cell(w["error_drift"]))
        cells.append(w["diagnosis"])
        table.append(cells)
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [
        f"{document['model']} ({document['task']}): {level} bootstrap intervals, "
        f"{document['bootstrap']['resamples']} resamples; ! = outside the reference band, "
        "~ = estimated (labels pending)"
    ]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table
    ]
    for note in document.get("notes", []):
        lines.append(f"note: {note}")
    if document["estimation"]:
        lines.append(f"note: {document['estimation']['assumption']}")
    return "\n".join(lines)


def _cell(value: Mapping[str, Any], estimated: Mapping[str, Any] | None) -> str:
    if value["value"] is not None:
        text = _fmt(value["value"])
        if value["lower"] is not None:
            text += f" [{_fmt(value['lower'])}, {_fmt(value['upper'])}]"
        return text + ("!" if value["alert"] else "")
    if value["status"] == "pending" and estimated and estimated["value"] is not None:
        return f"~{_fmt(estimated['value'])}"
    return value["status"].replace("_", " ")


def _errors_cell(error: Mapping[str, Any] | None) -> str:
    if error is None:
        return "-"
    if error["status"] != "ok":
        return error["status"].replace("_", " ")
    p = error["p_value"]
    shown = "p<0.001" if p < 0.001 else f"p={p:.3f}"
    return f"{'drift' if error['is_drift'] else 'same'} ({shown})"


def _fmt(value: float) -> str:
    return f"{value:.3f}" if abs(value) < 100 else f"{value:,.0f}"


def _day(iso: str) -> str:
    moment = dt.datetime.fromisoformat(iso)
    return f"{moment:%Y-%m-%d}" if moment.time() == dt.time() else f"{moment:%Y-%m-%d %H:%M}"


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: they become ``null``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
