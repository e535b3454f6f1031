"""Multiple-testing correction and the drift rule, from per-column p-values and effects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from monitoring.drift.config import CORRECTION_LABELS, DriftConfig
from monitoring.drift.detectors import MULTIVARIATE
from monitoring.drift.report import ColumnDrift, MultivariateDrift, Verdict


def correction_threshold(p_values: Sequence[float], correction: str, alpha: float) -> float:
    """The corrected threshold: a column is significant when its p-value is below it.

    Bonferroni: ``alpha / k``. Benjamini–Hochberg: ``i*·alpha/k`` for the largest
    rank ``i*`` whose sorted p-value is below it, else ``alpha / k``.
    """
    k = len(p_values)
    if k == 0:
        return alpha
    if correction == "bonferroni":
        return alpha / k
    ranked = np.sort(np.asarray(p_values, dtype=np.float64))
    bounds = alpha * np.arange(1, k + 1) / k
    passing = np.flatnonzero(ranked < bounds)
    return float(bounds[passing[-1]]) if len(passing) else alpha / k


def column_drifted(
    p_value: float, effect: float | None, threshold: float, config: DriftConfig
) -> tuple[bool, bool]:
    """The drift rule for one column: ``(significant, drifted)``.

    Significant when the p-value is below the corrected ``threshold``; drifted
    when it is also big enough: an effect size of at least ``min_effect``.
    The drift engine and the timeline both decide with this function.
    """
    significant = p_value < threshold
    return significant, significant and effect is not None and effect >= config.min_effect


def calibrated_drifted(score: float, threshold: float, p_value: float, level: float) -> bool:
    """The calibrated rule for one column: its statistic beyond its calibrated threshold, and a
    p-value below ``level`` (α over the tested columns), so a small window's noise never counts."""
    return score > threshold and p_value < level


def family_drifted(drifted: int, tested: int, config: DriftConfig) -> bool | None:
    """Whether a family of ``tested`` columns, ``drifted`` of them drifted, counts as drifted.

    ``None`` when nothing was tested; otherwise any drifted column, or at least
    ``drift_share`` of the tested ones when it is set.
    """
    if not tested:
        return None
    if config.drift_share is None:
        return drifted > 0
    return drifted / tested >= config.drift_share


def p_level(p_values: Sequence[float], config: DriftConfig, calibrated: bool) -> float:
    """The p-value a column must be below: α over the tested columns when calibrated (a guard
    against a small window's noise), else the Bonferroni or FDR threshold."""
    if calibrated:
        return config.p_threshold / len(p_values)
    return correction_threshold(p_values, config.correction, config.p_threshold)


@dataclass(frozen=True)
class Rule:
    """The verdict rule of one run: its configuration, and what its thresholds were calibrated on.

    ``calibration`` is ``None`` when the run uses the fixed rule: asked for by
    name (``config.rule == "fixed"``), or because nothing could be calibrated.
    """

    config: DriftConfig
    calibration: str | None

    @property
    def calibrated(self) -> bool:
        return self.config.rule == "calibrated" and self.calibration is not None


def correct(rows: list[ColumnDrift], rule: Rule) -> tuple[list[ColumnDrift], float | None]:
    """Mark each tested row significant/drifted under one p-value level (also returned).

    Calibrated: the level is α over the tested columns, and a column drifts
    when its statistic is beyond its calibrated threshold too (a column without
    one falls back to the effect size). Fixed: Bonferroni or FDR and the
    minimum effect size.
    """
    config = rule.config
    p_values = [r.p_value for r in rows if r.p_value is not None]
    if not p_values:
        return rows, None
    level = p_level(p_values, config, rule.calibrated)
    out = []
    for r in rows:
        if r.p_value is None:
            out.append(r)
            continue
        significant, drifted = column_drifted(r.p_value, r.effect, level, config)
        if rule.calibrated and r.score is not None and r.score_threshold is not None:
            drifted = calibrated_drifted(r.score, r.score_threshold, r.p_value, level)
        out.append(replace(r, threshold=level, significant=significant, drifted=drifted))
    return out, level


def verdict(
    scope: Literal["features", "outputs"],
    rows: list[ColumnDrift],
    threshold: float | None,
    rule: Rule,
    multivariate: MultivariateDrift | None,
) -> Verdict:
    """The family's verdict and the whole rule behind it, in words."""
    config = rule.config
    tested = [r for r in rows if r.drifted is not None]
    drifted = tuple(r.column for r in tested if r.drifted)
    column_rule = _column_rule(rule, threshold, len(tested))
    if multivariate is not None:
        return Verdict(
            scope=scope,
            drifted=multivariate.drifted,
            method=multivariate.detector,
            tested=len(tested),
            drifted_columns=drifted,
            correction=config.correction,
            threshold=threshold,
            rule=(
                f"{multivariate.detector.upper()} test on all features, "
                f"{multivariate.n_reference:,} reference and {multivariate.n_current:,} "
                f"current rows sampled (seed "
                f"{config.seed}): drift when p < {config.p_threshold:g}; per column, {column_rule}"
            ),
        )
    if config.detector in MULTIVARIATE:
        method_note = f"{config.detector} could not run (a window has fewer than 2 rows); "
    else:
        method_note = ""
    # Outputs are few (a prediction, a score or two): any of them drifting counts.
    family = config if scope == "features" else replace(config, drift_share=None)
    verdict = family_drifted(len(drifted), len(tested), family)
    if not tested:
        dataset_rule = "no verdict: nothing could be tested"
    elif family.drift_share is None:
        dataset_rule = f"the {scope} drift when any column drifts"
    else:
        dataset_rule = (
            f"the {scope} drift when at least {config.drift_share:.0%} of tested columns drift"
        )
    return Verdict(
        scope=scope,
        drifted=verdict,
        method="per-column tests",
        tested=len(tested),
        drifted_columns=drifted,
        correction=config.correction,
        threshold=threshold,
        rule=f"{method_note}{column_rule}; {dataset_rule}",
    )


def _column_rule(rule: Rule, threshold: float | None, tested: int) -> str:
    config = rule.config
    if threshold is None:
        return "no column could be tested"
    if rule.calibrated:
        return (
            f"a column drifts when its statistic (KS D for numeric, Jensen–Shannon for "
            f"categorical) is beyond its usual range, {rule.calibration}, and its p-value is "
            f"below {threshold:.3g} (Bonferroni: α = {config.p_threshold:g} over {tested} tested "
            "column(s))"
        )
    return (
        f"a column drifts when its p-value is below {threshold:.3g} "
        f"({CORRECTION_LABELS[config.correction]} at α = {config.p_threshold:g} over {tested} "
        f"tested column(s)) and its effect size (normalised Wasserstein for numeric, "
        f"Jensen–Shannon for categorical) is at least {config.min_effect:g}"
    )
