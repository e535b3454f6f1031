"""The drift engine: compare a reference window with a current window, column by column.

:func:`run_drift` answers "has this model's data moved?" for one pair of
windows and returns a :class:`DriftReport`; stored answers are reused while
the data under them is unchanged (:mod:`monitoring.results`).

**Which test runs** (``detector="auto"``, decided per column and shown in the
report's ``test`` and ``note``):

- numeric: Kolmogorov–Smirnov when both windows have at least
  ``AUTO_CVM_BELOW`` (2,000) values — it is the cheapest at large n; otherwise
  Cramér–von Mises, whose p-value is exact for small samples and which has
  more power against shifts in the bulk of the distribution;
- categorical with exactly two reference categories and no new ones: Fisher
  exact; any other categorical: chi-squared;
- no test — with a status saying why — when a window is empty, the column is
  all NULL in a window, a window has fewer than two values, or both windows
  hold one and the same value.

Naming a univariate test (``ks``, ``cvm``, ``chi2``, ``fet``) applies it to the
columns of its kind; the others keep the auto choice, and their note says so.
``tabular`` runs one ``TabularDrift`` over all features (KS and chi-squared,
categories always declared) on the rows where no feature is NULL. ``mmd``,
``lsdd`` and ``classifier`` test all features jointly on an encoded, seeded
random sample of at most ``sample_cap`` rows per window (defaults 1,000, 1,000
and 5,000); the per-column rows still carry the auto tests. Univariate tests
always use every row.

**When a column drifts**: its p-value is below the corrected threshold *and*
its effect size is at least ``min_effect`` (default ``DEFAULT_MIN_EFFECT`` =
0.1). The effect size is the normalised Wasserstein distance for numeric
columns and the Jensen–Shannon distance for categorical ones — Evidently's
defaults, with Evidently's threshold of 0.1 — so a tiny but significant shift
in a million rows is reported, not flagged. PSI is always reported too (0.1 is
the usual "moderate shift" mark). Correction: Bonferroni (p < α/k) or
Benjamini–Hochberg FDR at level α, over the k tested columns of one family.

**Families and verdicts**: input features form one family and the model's
outputs (prediction, scores) another; each gets its own correction and
:class:`Verdict`. The features verdict is "drift" when any feature drifted, or,
with ``drift_share`` set, when at least that share of tested features did; for
the multivariate detectors it is their own test at level α on the sample.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import duckdb
import numpy as np

from monitoring import detectors, profiles, verdicts
from monitoring.drift_report import (
    AUTO_CVM_BELOW,
    DEFAULT_MIN_EFFECT,
    MIN_VALUES,
    MULTIVARIATE,
    ColumnDrift,
    DriftConfig,
    DriftReport,
    Kind,
    MultivariateDrift,
    Role,
    Status,
)
from monitoring.effects import (
    EffectSizes,
    categorical_effects,
    numeric_effects,
)
from monitoring.errors import MonitoringError
from monitoring.preprocess import Preprocessor
from monitoring.profiles import Bounds, ColumnStats, Source
from monitoring.schema import ModelSpec
from monitoring.store import Store

_TEST_NAMES = {
    "ks": "Kolmogorov–Smirnov",
    "cvm": "Cramér–von Mises",
    "chi2": "chi-squared",
    "fet": "Fisher exact",
}
# DuckDB's memory during a run: the floor, and what each worker's quantiles need per row.
SCAN_BUFFER = 64 * 2**20
_QUANTILE_BYTES_PER_ROW = 32


def run_drift(
    store: Store,
    model: str,
    current: Bounds,
    reference: Bounds | None = None,
    detector: str = "auto",
    correction: str = "bonferroni",
    p_threshold: float = 0.05,
    min_effect: float = DEFAULT_MIN_EFFECT,
    sample_cap: int | None = None,
    n_permutations: int = 100,
    drift_share: float | None = None,
    seed: int = 0,
    use_stored: bool = True,
    workers: int = 2,
) -> DriftReport:
    """Compare ``current`` with ``reference`` (default: the spec's) for ``model``.

    Windows are half-open ``(start, end)`` pairs of naive datetimes. A stored
    result for the same question is returned (``from_store=True``) unless an
    import has since touched either window or ``use_stored`` is false; a fresh
    result is stored. ``workers`` threads share the per-column work.

    Raises
    ------
    MonitoringError
        Unknown detector or correction, bad thresholds, windows with
        ``start >= end``; :class:`~monitoring.errors.ModelNotFoundError` for an
        unknown model; :class:`~monitoring.detectors.BackendMissingError` when
        a multivariate detector's library is missing.
    """
    config = DriftConfig(
        detector, correction, p_threshold, min_effect, sample_cap, n_permutations, drift_share, seed
    )
    return run_configured(store, model, config, current, reference, use_stored, workers)


def run_configured(
    store: Store,
    model: str,
    config: DriftConfig,
    current: Bounds,
    reference: Bounds | None = None,
    use_stored: bool = True,
    workers: int = 2,
    current_source: Source | None = None,
) -> DriftReport:
    """:func:`run_drift` with a ready :class:`DriftConfig`.

    ``current_source`` (a source with its own predicate, such as an uploaded
    slice) replaces the time window on the current side; ``current`` is then
    only its label bounds, and the stored result is keyed by the source's
    ``identity`` and goes stale only with imports into the reference.
    """
    from monitoring import results  # results imports this module's types

    spec = store.spec(model)
    ref, cur = _question(spec, reference, current)
    if config.detector in MULTIVARIATE:
        detectors.require(detectors.detector_class(config.detector).backend)
    identity = current_source.identity if current_source is not None else None
    key = results.run_key(model, config, ref, cur, identity)
    watermark = results.watermark(store, model, (ref,) if identity else (ref, cur))
    if use_stored:
        stored = results.load(store, key, watermark)
        if stored is not None:
            return stored
    report = compute_drift(store, spec, config, ref, cur, workers, current_source)
    results.save(store, key, report, watermark)
    return report


def stored_drift(
    store: Store, model: str, config: DriftConfig, current: Bounds, reference: Bounds | None = None
) -> DriftReport | None:
    """The stored, still fresh answer to this question, or ``None`` (nothing is computed)."""
    from monitoring import results

    ref, cur = _question(store.spec(model), reference, current)
    key = results.run_key(model, config, ref, cur)
    return results.load(store, key, results.watermark(store, model, (ref, cur)))


def _question(spec: ModelSpec, reference: Bounds | None, current: Bounds) -> tuple[Bounds, Bounds]:
    ref = _bounds(reference or (spec.reference.start, spec.reference.end), "reference")
    return ref, _bounds(current, "current")


def compute_drift(
    store: Store,
    spec: ModelSpec,
    config: DriftConfig,
    reference: Bounds,
    current: Bounds,
    workers: int = 2,
    current_source: Source | None = None,
) -> DriftReport:
    """Run the comparison from the data, without looking at or writing stored results.

    ``current_source`` reads the current side from another source (see
    :func:`run_configured`); by default both sides are windows of the model's table.
    """
    source = profiles.Source.of(store, spec)
    cur_source = current_source or source
    roles = _roles(spec)
    numeric = [c for c, (_, kind) in roles.items() if kind == "numeric"]
    categorical = [c for c, (_, kind) in roles.items() if kind == "categorical"]
    sides = (source, reference, cur_source, current)
    with (
        store.connect(buffer_cap=SCAN_BUFFER) as con,
        ThreadPoolExecutor(max_workers=max(1, workers)) as pool,
    ):
        # The numeric tests on raw values run one after another on one worker (each
        # holds ~100 bytes per row) while the rest goes on; they need no statistics
        # first unless TabularDrift decides which columns are left for them.
        early = None
        if config.detector != "tabular":
            early = pool.submit(_raw_tests, con, sides, numeric, config)
        rows_ref, ref_stats = profiles.window_stats(con, source, reference, numeric, categorical)
        rows_cur, cur_stats = profiles.window_stats(con, cur_source, current, numeric, categorical)
        store.cap_buffer(con, _buffer_cap(max(rows_ref, rows_cur), workers))
        window = _Window(
            source, reference, current, rows_ref, rows_cur, ref_stats, cur_stats, cur_source
        )
        detectors.preload()
        tabular = (
            _tabular(con, window, spec, config, categorical) if config.detector == "tabular" else {}
        )
        raw_tests = early or pool.submit(
            _raw_tests, con, sides, [c for c in numeric if c not in tabular], config
        )
        jobs = {
            column: pool.submit(
                _column_job, con, window, column, role, kind, config, tabular.get(column)
            )
            for column, (role, kind) in roles.items()
        }
        rows = [jobs[column].result() for column in roles]
        outcomes = raw_tests.result()
        rows = [
            _tested(row, *outcomes[row.column])
            if row.status == "tested" and row.column in outcomes
            else row
            for row in rows
        ]
        multivariate = _multivariate(con, window, spec, config) if config.cap else None

    features, feature_threshold = verdicts.correct([r for r in rows if r.role == "feature"], config)
    outputs, output_threshold = verdicts.correct([r for r in rows if r.role != "feature"], config)
    verdict = verdicts.verdict("features", features, feature_threshold, config, multivariate)
    output_verdict = (
        verdicts.verdict("outputs", outputs, output_threshold, config, None) if outputs else None
    )
    return DriftReport(
        model=spec.name,
        config=config,
        reference=reference,
        current=current,
        rows_reference=rows_ref,
        rows_current=rows_cur,
        columns=tuple(features + outputs),
        verdict=verdict,
        outputs=output_verdict,
        multivariate=multivariate,
        computed_at=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
    )


@dataclass(frozen=True)
class _Window:
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
class _TestOutcome:
    """A p-value and statistic computed outside the column's own job (``tabular``)."""

    p_value: float
    statistic: float
    n_reference: int
    n_current: int


def _buffer_cap(rows: int, workers: int) -> int:
    """DuckDB's memory for a run over windows of up to ``rows`` rows.

    Blocks are read a few times per run, so they need not stay cached; what
    must fit is each worker's exact quantiles (``quantile_cont`` keeps every
    value of the column: about 24 bytes per row at its peak, measured).
    """
    return max(SCAN_BUFFER, workers * _QUANTILE_BYTES_PER_ROW * rows)


def _roles(spec: ModelSpec) -> dict[str, tuple[Role, Kind]]:
    roles: dict[str, tuple[Role, Kind]] = {c: ("feature", "numeric") for c in spec.numeric_features}
    roles.update({c: ("feature", "categorical") for c in spec.categorical_features})
    prediction_kind: Kind = "numeric" if spec.task == "regression" else "categorical"
    roles[spec.prediction] = ("prediction", prediction_kind)
    roles.update({c: ("score", "numeric") for c in spec.scores})
    return roles


def _column_job(
    con: duckdb.DuckDBPyConnection,
    window: _Window,
    column: str,
    role: Role,
    kind: Kind,
    config: DriftConfig,
    tabular: _TestOutcome | None,
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
    window: _Window,
    column: str,
    role: Role,
    tabular: _TestOutcome | None,
) -> ColumnDrift:
    """The column's effects and status; its own test is added by :func:`_raw_tests`."""
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
        return _tested(
            row, "tabular:ks", "TabularDrift (KS) on rows with no NULL feature", "KS D", tabular
        )
    return row


def _numeric_status(window: _Window, column: str) -> tuple[Status, str]:
    ref, cur = window.ref_stats[column], window.cur_stats[column]
    constant = ref.minimum is not None and ref.minimum == ref.maximum == cur.minimum == cur.maximum
    return _status(window, ref.non_null, cur.non_null, constant)


def _raw_tests(
    con: duckdb.DuckDBPyConnection,
    sides: tuple[Source, Bounds, Source, Bounds],
    columns: Sequence[str],
    config: DriftConfig,
) -> dict[str, tuple[str, str, str, _TestOutcome]]:
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
            x_ref = profiles.values(cursor, source, reference, column)
            x_cur = profiles.values(cursor, current_source, current, column)
            if min(len(x_ref), len(x_cur)) < MIN_VALUES or _one_value(x_ref, x_cur):
                continue
            test, note = _numeric_test(config, len(x_ref), len(x_cur))
            detector = detectors.detector_class(test)(p_val=config.p_threshold, seed=config.seed)
            result = detector.fit(x_ref).detect(x_cur)
            outcome = _TestOutcome(result.p_values[0], result.statistics[0], len(x_ref), len(x_cur))
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
    window: _Window,
    column: str,
    role: Role,
    config: DriftConfig,
    tabular: _TestOutcome | None,
) -> ColumnDrift:
    ref_counts = profiles.category_counts(con, window.source, window.reference, column)
    cur_counts = profiles.category_counts(con, window.current_source, window.current, column)
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
        return _tested(
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
    outcome = _TestOutcome(result.p_values[0], result.statistics[0], ref_n, cur_n)
    return _tested(row, test, note, result.statistic_name, outcome)


def _status(window: _Window, ref_n: int, cur_n: int, constant: bool) -> tuple[Status, str]:
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
        return config.detector, f"chosen: {_TEST_NAMES[config.detector]}"
    small = min(ref_n, cur_n) < AUTO_CVM_BELOW
    test = "cvm" if small else "ks"
    reason = (
        f"fewer than {AUTO_CVM_BELOW:,} values in a window"
        if small
        else f"at least {AUTO_CVM_BELOW:,} values in each window"
    )
    note = f"auto: numeric, {reason} → {_TEST_NAMES[test]}"
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
    window: _Window,
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


def _tested(
    row: ColumnDrift, test: str, note: str, statistic_name: str, outcome: _TestOutcome
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


def _tabular(
    con: duckdb.DuckDBPyConnection,
    window: _Window,
    spec: ModelSpec,
    config: DriftConfig,
    categorical: Sequence[str],
) -> dict[str, _TestOutcome]:
    """One TabularDrift call over every testable feature, on rows with no NULL feature."""
    numeric = [
        c
        for c in spec.numeric_features
        if window.ref_stats[c].non_null >= MIN_VALUES and window.cur_stats[c].non_null >= MIN_VALUES
    ]
    levels: dict[str, list[str]] = {}
    reference_levels: dict[str, int] = {}
    for column in spec.categorical_features:
        ref = profiles.category_counts(con, window.source, window.reference, column)
        cur = profiles.category_counts(con, window.current_source, window.current, column)
        if len(ref) >= 1 and sum(cur.values()) >= MIN_VALUES and len(set(ref) | set(cur)) > 1:
            levels[column] = list(ref) + sorted(set(cur) - set(ref))
            reference_levels[column] = len(ref)
    columns = numeric + list(levels)
    if not columns:
        return {}
    x_ref = profiles.complete_rows(con, window.source, window.reference, numeric, levels)
    x_cur = profiles.complete_rows(con, window.current_source, window.current, numeric, levels)
    if len(x_ref) < MIN_VALUES or len(x_cur) < MIN_VALUES:
        return {}
    categories = tuple((len(numeric) + i, reference_levels[c]) for i, c in enumerate(levels))
    detector = detectors.TabularDetector(
        p_val=config.p_threshold, seed=config.seed, categories=categories
    )
    result = detector.fit(x_ref).detect(x_cur)
    return {
        c: _TestOutcome(p, s, len(x_ref), len(x_cur))
        for c, p, s in zip(columns, result.p_values, result.statistics, strict=True)
    }


def _multivariate(
    con: duckdb.DuckDBPyConnection, window: _Window, spec: ModelSpec, config: DriftConfig
) -> MultivariateDrift | None:
    """The joint test on a seeded sample of each window; ``None`` if a window is too small."""
    assert config.cap is not None
    features = list(spec.features)
    ref = profiles.sample(con, window.source, window.reference, features, config.cap, config.seed)
    cur = profiles.sample(
        con, window.current_source, window.current, features, config.cap, config.seed
    )
    if len(ref) < MIN_VALUES or len(cur) < MIN_VALUES:
        return None
    encoder = Preprocessor.fit(ref, spec.numeric_features, spec.categorical_features)
    cls = detectors.detector_class(config.detector)
    options: dict[str, int | float] = {"p_val": config.p_threshold, "seed": config.seed}
    if config.detector in ("mmd", "lsdd"):
        options["n_permutations"] = config.n_permutations
    result = cls(**options).fit(encoder.transform(ref)).detect(encoder.transform(cur))  # type: ignore[arg-type]
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


def _bounds(window: Sequence[dt.datetime], label: str) -> Bounds:
    if len(window) != 2:
        raise MonitoringError(f"the {label} window must be (start, end), got {window!r}")
    start, end = (_naive(v, label) for v in window)
    if start >= end:
        raise MonitoringError(f"the {label} window starts at {start}, not before its end {end}")
    return start, end


def _naive(value: dt.datetime | dt.date, label: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is None else value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    raise MonitoringError(f"the {label} window bounds must be datetimes, got {value!r}")


def _missing(rows: int, non_null: int) -> float | None:
    return None if rows == 0 else (rows - non_null) / rows
