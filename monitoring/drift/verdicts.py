"""Multiple-testing correction and the drift rule, from per-column p-values and effects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
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


def correct(rows: list[ColumnDrift], config: DriftConfig) -> tuple[list[ColumnDrift], float | None]:
    """Mark each tested row significant/drifted under one corrected threshold (also returned)."""
    tested = [r for r in rows if r.p_value is not None]
    if not tested:
        return rows, None
    threshold = correction_threshold(
        [r.p_value for r in tested if r.p_value is not None], config.correction, config.p_threshold
    )
    out = []
    for r in rows:
        if r.p_value is None:
            out.append(r)
            continue
        significant, drifted = column_drifted(r.p_value, r.effect, threshold, config)
        out.append(replace(r, threshold=threshold, significant=significant, drifted=drifted))
    return out, threshold


def verdict(
    scope: Literal["features", "outputs"],
    rows: list[ColumnDrift],
    threshold: float | None,
    config: DriftConfig,
    multivariate: MultivariateDrift | None,
) -> Verdict:
    """The family's verdict and the whole rule behind it, in words."""
    tested = [r for r in rows if r.drifted is not None]
    drifted = tuple(r.column for r in tested if r.drifted)
    correction = CORRECTION_LABELS[config.correction]
    column_rule = (
        f"a column drifts when its p-value is below {threshold:.3g} ({correction} at "
        f"α = {config.p_threshold:g} over {len(tested)} tested column(s)) and its effect size "
        f"(normalised Wasserstein for numeric, Jensen–Shannon for categorical) is at least "
        f"{config.min_effect:g}"
        if threshold is not None
        else "no column could be tested"
    )
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
    rule = config if scope == "features" else replace(config, drift_share=None)
    verdict = family_drifted(len(drifted), len(tested), rule)
    if not tested:
        dataset_rule = "no verdict: nothing could be tested"
    elif rule.drift_share is None:
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
