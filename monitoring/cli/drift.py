"""``python -m monitoring drift``: one drift comparison, as a table or a JSON document.

Windows are ``START:END`` with ISO dates or date-times (``2013-07-01:2013-08-01``,
``2013-07-01 06:00:2013-07-01 18:00``), half-open. Without ``--reference`` the
model's own reference window is used. The JSON document is described in
``docs/drift-json.md``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from monitoring.cli.options import add_db_option, store_of, window
from monitoring.drift.config import CORRECTIONS, DEFAULT_MIN_EFFECT, DETECTOR_CHOICES
from monitoring.drift.engine import run_drift
from monitoring.drift.report import EFFECT_LABELS, DriftReport
from monitoring.drift.results import to_document
from monitoring.report.text import share, verdict_word
from monitoring.timeutil import span_label


def add_drift_command(commands: Any) -> argparse.ArgumentParser:
    """Register ``drift`` on an argparse sub-parsers object; return its parser."""
    text = "Compare a window of a model's records with its reference, column by column."
    sub: argparse.ArgumentParser = commands.add_parser("drift", help=text, description=text)
    add_db_option(sub)
    sub.add_argument("--model", required=True, help="the model's name")
    sub.add_argument(
        "--reference", type=window, help="START:END (default: the model's reference window)"
    )
    sub.add_argument("--current", type=window, required=True, help="START:END of the window")
    sub.add_argument("--detector", choices=DETECTOR_CHOICES, default="auto")
    sub.add_argument("--correction", choices=CORRECTIONS, default="bonferroni")
    sub.add_argument("--p-threshold", type=float, default=0.05, help="α (default 0.05)")
    sub.add_argument(
        "--min-effect",
        type=float,
        default=DEFAULT_MIN_EFFECT,
        help=f"smallest effect size that counts as drift (default {DEFAULT_MIN_EFFECT})",
    )
    sub.add_argument(
        "--sample-cap", type=int, default=None, help="rows per window for mmd/lsdd/classifier"
    )
    sub.add_argument(
        "--drift-share",
        type=float,
        default=None,
        help="dataset drifts when this share of features drift (default: any feature)",
    )
    sub.add_argument("--seed", type=int, default=0, help="seed of samples and permutations")
    sub.add_argument(
        "--recompute", action="store_true", help="ignore a stored result and compute afresh"
    )
    sub.add_argument("--json", action="store_true", help="print the JSON document")
    sub.set_defaults(run=_drift)
    return sub


def render(report: DriftReport) -> str:
    """The report as a plain-text table followed by the verdicts."""
    header = (
        "column", "role", "test", "statistic", "p-value", "effect", "PSI", "n ref", "n cur",
        "missing ref", "missing cur", "unseen", "drifted",
    )  # fmt: skip
    rows = [header]
    for c in report.columns:
        rows.append(
            (
                c.column,
                c.role,
                c.test or f"- ({c.status})",
                _num(c.statistic),
                _num(c.p_value),
                "-" if c.effect is None else f"{_num(c.effect)} {EFFECT_LABELS[c.effect_name]}",
                _num(c.effects.psi),
                f"{c.n_reference:,}",
                f"{c.n_current:,}",
                share(c.missing_reference, "-"),
                share(c.missing_current, "-"),
                share(c.unseen_share, "-"),
                verdict_word(c.drifted, shout=True),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        f"{report.model}: current {span_label(*report.current)} ({report.rows_current:,} rows) vs "
        f"reference {span_label(*report.reference)} ({report.rows_reference:,} rows), "
        f"detector {report.config.detector}" + (" [stored result]" if report.from_store else ""),
        "",
    ]
    lines += [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    notes = [f"  {c.column}: {c.note}" for c in report.columns if c.note]
    lines += ["", "notes:", *notes] if notes else []
    for verdict in (report.verdict, report.outputs):
        if verdict is None:
            continue
        said = verdict_word(verdict.drifted, shout=True)
        which = f" ({', '.join(verdict.drifted_columns)})" if verdict.drifted_columns else ""
        lines += ["", f"{verdict.scope}: {said}{which}", f"  rule: {verdict.rule}"]
    return "\n".join(lines)


def _drift(args: argparse.Namespace) -> int:
    store = store_of(args)
    report = run_drift(
        store,
        args.model,
        current=args.current,
        reference=args.reference,
        detector=args.detector,
        correction=args.correction,
        p_threshold=args.p_threshold,
        min_effect=args.min_effect,
        sample_cap=args.sample_cap,
        drift_share=args.drift_share,
        seed=args.seed,
        use_stored=not args.recompute,
    )
    if args.json:
        print(json.dumps(to_document(report), indent=2, allow_nan=False))
    else:
        print(render(report))
    return 0


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.2e}"
    return f"{value:.4f}"
