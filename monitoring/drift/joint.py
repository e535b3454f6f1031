"""The drift tests that take all features at once: TabularDrift and the multivariate detectors."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from monitoring.drift import detectors
from monitoring.drift.columns import ColumnOutcome, RunWindows
from monitoring.drift.config import MIN_VALUES, DriftConfig
from monitoring.drift.context import calendar_context, context_cycles
from monitoring.drift.preprocess import Preprocessor
from monitoring.drift.report import MultivariateDrift
from monitoring.schema import ModelSpec
from monitoring.store import reads


def tabular_outcomes(
    con: duckdb.DuckDBPyConnection,
    window: RunWindows,
    spec: ModelSpec,
    config: DriftConfig,
    categorical: Sequence[str],
) -> dict[str, ColumnOutcome]:
    """One TabularDrift call over every testable feature, on rows with no NULL feature."""
    numeric = [
        c
        for c in spec.numeric_features
        if window.ref_stats[c].non_null >= MIN_VALUES and window.cur_stats[c].non_null >= MIN_VALUES
    ]
    levels: dict[str, list[str]] = {}
    reference_levels: dict[str, int] = {}
    for column in spec.categorical_features:
        ref = reads.category_counts(con, window.source, window.reference, column)
        cur = reads.category_counts(con, window.current_source, window.current, column)
        if len(ref) >= 1 and sum(cur.values()) >= MIN_VALUES and len(set(ref) | set(cur)) > 1:
            levels[column] = list(ref) + sorted(set(cur) - set(ref))
            reference_levels[column] = len(ref)
    columns = numeric + list(levels)
    if not columns:
        return {}
    x_ref = reads.complete_rows(con, window.source, window.reference, numeric, levels)
    x_cur = reads.complete_rows(con, window.current_source, window.current, numeric, levels)
    if len(x_ref) < MIN_VALUES or len(x_cur) < MIN_VALUES:
        return {}
    categories = tuple((len(numeric) + i, reference_levels[c]) for i, c in enumerate(levels))
    detector = detectors.TabularDetector(
        p_val=config.p_threshold, seed=config.seed, categories=categories
    )
    result = detector.fit(x_ref).detect(x_cur)
    return {
        c: ColumnOutcome(p, s, len(x_ref), len(x_cur))
        for c, p, s in zip(columns, result.p_values, result.statistics, strict=True)
    }


def multivariate(
    con: duckdb.DuckDBPyConnection, window: RunWindows, spec: ModelSpec, config: DriftConfig
) -> MultivariateDrift | None:
    """The joint test on a seeded sample of each window; ``None`` if a window is too small."""
    assert config.cap is not None
    cls = detectors.detector_class(config.detector)
    features = list(spec.features)
    # A context-aware detector also needs when each row happened.
    columns = [*features, spec.timestamp] if cls.needs_context else features
    ref = reads.sample(con, window.source, window.reference, columns, config.cap, config.seed)
    cur = reads.sample(con, window.current_source, window.current, columns, config.cap, config.seed)
    if len(ref) < MIN_VALUES or len(cur) < MIN_VALUES:
        return None
    encoder = Preprocessor.fit(ref, spec.numeric_features, spec.categorical_features)
    options: dict[str, int | float] = {"p_val": config.p_threshold, "seed": config.seed}
    if config.detector in ("mmd", "lsdd", "context_mmd"):
        options["n_permutations"] = config.n_permutations
    detector = cls(**options)  # type: ignore[arg-type]
    if cls.needs_context:
        cycles = context_cycles(window.reference)
        fitted = detector.fit(encoder.transform(ref), calendar_context(ref[spec.timestamp], cycles))
        result = fitted.detect(
            encoder.transform(cur), calendar_context(cur[spec.timestamp], cycles)
        )
    else:
        result = detector.fit(encoder.transform(ref)).detect(encoder.transform(cur))
    p_value = result.p_values[0]
    return MultivariateDrift(
        detector=config.detector,
        statistic_name=result.statistic_name,
        statistic=result.statistics[0],
        p_value=p_value,
        distance_threshold=result.distance_threshold,
        n_reference=len(ref),
        n_current=len(cur),
        encoded_columns=encoder.feature_names,
        drifted=p_value < config.p_threshold,
    )
