"""The per-column work of a drift run: effect sizes, status and the univariate tests.

:func:`column_job` measures one column (effect sizes and plot data from
DuckDB aggregates, the status that says whether it can be tested) and runs the
categorical tests, which need only counts; :func:`raw_tests` runs the numeric
tests on every raw value, one column at a time. :mod:`monitoring.drift`
schedules both and puts the rows together with :func:`tested`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import duckdb
import numpy as np

from monitoring.drift import detectors
from monitoring.drift.cells import FeatureCell
from monitoring.drift.config import AUTO_CVM_BELOW, MIN_VALUES, DriftConfig
from monitoring.drift.effects import EffectSizes, categorical_effects, numeric_effects
from monitoring.drift.report import ColumnDrift, Kind, Role, Status
from monitoring.store import reads
from monitoring.store.bins import POINT_MAX
from monitoring.store.reads import ColumnStats, Source
from monitoring.timeutil import Bounds


@dataclass(frozen=True)
class RunWindows:
    """The two windows of a run and what one scan of each said about its columns."""

    source: Source
    reference: Bounds
    current: Bounds
    rows_reference: int
    rows_current: int
    ref_stats: Mapping[str, ColumnStats]
    cur_stats: Mapping[str, ColumnStats]
    current_source: Source


@dataclass(frozen=True)
class ColumnOutcome:
    """A test's p-value and statistic for one column, from :func:`raw_tests` or TabularDrift."""

    p_value: float
    statistic: float
    n_reference: int
    n_current: int


def column_job(
    con: duckdb.DuckDBPyConnection,
    window: RunWindows,
    column: str,
    role: Role,
    kind: Kind,
    config: DriftConfig,
    tabular: ColumnOutcome | None,
) -> ColumnDrift:
    cursor = con.cursor()  # one cursor per thread
    try:
        if kind == "numeric":
            return _numeric_column(cursor, window, column, role, tabular)
        return _categorical_column(cursor, window, column, role, config, tabular)
    finally:
        cursor.close()


def _numeric_column(
    con: duckdb.DuckDBPyConnection,
    window: RunWindows,
    column: str,
    role: Role,
    tabular: ColumnOutcome | None,
) -> ColumnDrift:
    """The column's effects and status; its own test is added by :func:`raw_tests`."""
    ref, cur = window.ref_stats[column], window.cur_stats[column]
    effects = numeric_effects(
        con,
        window.source,
        column,
        window.reference,
        window.current,
        ref,
        cur,
        window.current_source,
    )
    status, why = _numeric_status(window, column)
    row = _blank(window, column, role, "numeric", status, why, "wasserstein_normed")
    if effects is not None:
        row = replace(
            row,
            effects=effects.sizes,
            effect=effects.sizes.wasserstein_normed,
            histogram=effects.histogram,
            bins=effects.bins,
        )
    if status == "tested" and tabular is not None:
        return tested(
            row, "tabular:ks", "TabularDrift (KS) on rows with no NULL feature", "KS D", tabular
        )
    return row


def _numeric_status(window: RunWindows, column: str) -> tuple[Status, str]:
    ref, cur = window.ref_stats[column], window.cur_stats[column]
    constant = ref.minimum is not None and ref.minimum == ref.maximum == cur.minimum == cur.maximum
    return _status(window, ref.non_null, cur.non_null, constant)


def raw_tests(
    con: duckdb.DuckDBPyConnection,
    sides: tuple[Source, Bounds, Source, Bounds],
    columns: Sequence[str],
    config: DriftConfig,
) -> dict[str, tuple[str, str, str, ColumnOutcome]]:
    """Per testable numeric column: the test, its note, the statistic's name and the outcome.

    One column at a time: the raw values and the test's own arrays of one
    column are what a run holds at its peak. A column with fewer than
    ``MIN_VALUES`` values on a side, or one value throughout, is skipped (its
    status, from the window statistics, says so).
    """
    source, reference, current_source, current = sides
    cursor = con.cursor()  # one cursor per thread
    out = {}
    try:
        for column in columns:
            x_ref = reads.values(cursor, source, reference, column)
            x_cur = reads.values(cursor, current_source, current, column)
            if min(len(x_ref), len(x_cur)) < MIN_VALUES or _one_value(x_ref, x_cur):
                continue
            test, note = _numeric_test(config, len(x_ref), len(x_cur))
            detector = detectors.detector_class(test)(p_val=config.p_threshold, seed=config.seed)
            result = detector.fit(x_ref).detect(x_cur)
            outcome = ColumnOutcome(
                result.p_values[0], result.statistics[0], len(x_ref), len(x_cur)
            )
            out[column] = (test, note, result.statistic_name, outcome)
            del x_ref, x_cur, result
    finally:
        cursor.close()
    return out


def _one_value(x_ref: np.ndarray, x_cur: np.ndarray) -> bool:
    low = x_ref.min()
    return bool(low == x_ref.max() == x_cur.min() == x_cur.max())


def _categorical_column(
    con: duckdb.DuckDBPyConnection,
    window: RunWindows,
    column: str,
    role: Role,
    config: DriftConfig,
    tabular: ColumnOutcome | None,
) -> ColumnDrift:
    ref_counts = reads.category_counts(con, window.source, window.reference, column)
    cur_counts = reads.category_counts(con, window.current_source, window.current, column)
    ref_n, cur_n = sum(ref_counts.values()), sum(cur_counts.values())
    constant = len(set(ref_counts) | set(cur_counts)) == 1
    status, why = _status(window, ref_n, cur_n, constant)
    unseen = sorted(
        ((c, n / cur_n) for c, n in cur_counts.items() if c not in ref_counts),
        key=lambda item: (-item[1], item[0]),
    )
    row = replace(
        _blank(window, column, role, "categorical", status, why, "jensen_shannon"),
        unseen=tuple(unseen),
        unseen_share=sum(share for _, share in unseen) if cur_n else None,
    )
    measured = categorical_effects(ref_counts, cur_counts)
    if measured is not None:
        sizes, counts = measured
        row = replace(row, effects=sizes, effect=sizes.jensen_shannon, categories=counts)
    if status != "tested":
        return row
    if tabular is not None:
        return tested(
            row,
            "tabular:chi2",
            "TabularDrift (chi-squared) on rows with no NULL feature",
            "chi²",
            tabular,
        )
    assert measured is not None
    counts = measured[1]
    test, note = _categorical_test(config, len(ref_counts), bool(unseen))
    codes = np.arange(len(counts.categories))
    x_ref = np.repeat(codes, counts.reference)  # the tests depend on the counts only
    x_cur = np.repeat(codes, counts.current)
    detector: detectors.Detector
    if test == "fet":
        detector = detectors.FETDetector(p_val=config.p_threshold, seed=config.seed)
    else:
        detector = detectors.ChiSquareDetector(
            p_val=config.p_threshold, seed=config.seed, categories=(len(ref_counts),)
        )
    result = detector.fit(x_ref).detect(x_cur)
    outcome = ColumnOutcome(result.p_values[0], result.statistics[0], ref_n, cur_n)
    return tested(row, test, note, result.statistic_name, outcome)


def _status(window: RunWindows, ref_n: int, cur_n: int, constant: bool) -> tuple[Status, str]:
    for label, rows, n in (
        ("reference", window.rows_reference, ref_n),
        ("current", window.rows_current, cur_n),
    ):
        if rows == 0:
            return "empty", f"the {label} window has no rows"
        if n == 0:
            return "all_missing", f"every value is missing in the {label} window"
    for label, n in (("reference", ref_n), ("current", cur_n)):
        if n < MIN_VALUES:
            return "too_few", f"the {label} window has {n} value; a test needs at least 2"
    if constant:
        return "constant", "both windows hold one and the same value; nothing to test"
    return "tested", ""


def _numeric_test(config: DriftConfig, ref_n: int, cur_n: int) -> tuple[str, str]:
    if config.detector in ("ks", "cvm"):
        return config.detector, f"chosen: {detectors.CATALOGUE[config.detector].title}"
    small = min(ref_n, cur_n) < AUTO_CVM_BELOW
    test = "cvm" if small else "ks"
    reason = (
        f"fewer than {AUTO_CVM_BELOW:,} values in a window"
        if small
        else f"at least {AUTO_CVM_BELOW:,} values in each window"
    )
    note = f"auto: numeric, {reason} → {detectors.CATALOGUE[test].title}"
    if config.detector in ("chi2", "fet"):
        note = f"{config.detector} does not apply to numeric columns; {note}"
    return test, note


def _categorical_test(config: DriftConfig, ref_levels: int, unseen: bool) -> tuple[str, str]:
    binary = ref_levels == 2 and not unseen
    if config.detector == "chi2":
        return "chi2", "chosen: chi-squared"
    if config.detector == "fet" and binary:
        return "fet", "chosen: Fisher exact"
    if binary:
        test, note = "fet", "auto: 2 reference categories → Fisher exact"
    elif ref_levels == 2:
        test, note = "chi2", "auto: 2 reference categories plus unseen ones → chi-squared"
    else:
        test, note = "chi2", f"auto: {ref_levels} reference categories → chi-squared"
    if config.detector in ("ks", "cvm", "fet"):
        note = f"{config.detector} does not apply here; {note}"
    return test, note


def _blank(
    window: RunWindows,
    column: str,
    role: Role,
    kind: Kind,
    status: Status,
    note: str,
    effect_name: str,
) -> ColumnDrift:
    ref, cur = window.ref_stats[column], window.cur_stats[column]
    return ColumnDrift(
        column=column,
        role=role,
        kind=kind,
        status=status,
        test=None,
        note=note,
        statistic=None,
        statistic_name=None,
        p_value=None,
        threshold=None,
        effects=EffectSizes(),
        effect_name=effect_name,
        effect=None,
        n_reference=ref.non_null,
        n_current=cur.non_null,
        missing_reference=_missing(window.rows_reference, ref.non_null),
        missing_current=_missing(window.rows_current, cur.non_null),
        unseen=(),
        unseen_share=None,
        significant=None,
        drifted=None,
    )


def tested(
    row: ColumnDrift, test: str, note: str, statistic_name: str, outcome: ColumnOutcome
) -> ColumnDrift:
    return replace(
        row,
        test=test,
        note=note,
        statistic=outcome.statistic,
        statistic_name=statistic_name,
        p_value=outcome.p_value,
        n_reference=outcome.n_reference,
        n_current=outcome.n_current,
    )


def _missing(rows: int, non_null: int) -> float | None:
    return None if rows == 0 else (rows - non_null) / rows


def judged(row: ColumnDrift, cells: Mapping[str, FeatureCell]) -> ColumnDrift:
    """``row`` with the calibrated statistic, its threshold and the data-quality shares of its
    judgement as a window of its shape (:func:`monitoring.drift.judge.judge`)."""
    cell = cells.get(row.column)
    if cell is None:
        return row
    return replace(
        row,
        score=cell.score,
        score_name="JS" if row.kind == "categorical" else "KS D",
        score_threshold=cell.threshold,
        excess=cell.excess,
        novel=cell.novel,
        missing_limit=cell.missing_limit,
        novel_limit=cell.novel_limit,
        quality=cell.quality,
    )


def discrete_tested(row: ColumnDrift, cell: FeatureCell | None) -> ColumnDrift:
    """A numeric column with few distinct reference values, tested on its value counts.

    Flags and small integer codes are full of ties, which the KS and
    Cramér–von Mises p-values assume away (two identical Bernoulli samples get
    p ≈ 1e-8 from CvM); chi-squared on the value counts is valid for them.
    """
    if cell is None or cell.p_value is None or cell.statistic is None:
        return row
    note = f"numeric with at most {POINT_MAX} distinct reference values → chi-squared on counts"
    outcome = ColumnOutcome(cell.p_value, cell.statistic, row.n_reference, row.n_current)
    return tested(row, "chi2", note, "chi²", outcome)
