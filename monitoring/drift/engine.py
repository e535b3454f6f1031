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
from dataclasses import dataclass

import duckdb

from monitoring.drift import columns as drift_columns
from monitoring.drift import detectors, judge, results, verdicts
from monitoring.drift import joint as drift_joint
from monitoring.drift.columns import ColumnOutcome
from monitoring.drift.config import DEFAULT_MIN_EFFECT, Baseline, DriftConfig
from monitoring.drift.detectors import MULTIVARIATE
from monitoring.drift.report import ColumnDrift, DriftReport, Kind, Role
from monitoring.drift.shapes import Shape
from monitoring.errors import MonitoringError
from monitoring.schema import ModelSpec
from monitoring.store import reads
from monitoring.store.bins import Layout, fit_layout
from monitoring.store.connection import ModelHandle, Store
from monitoring.store.counts import count_windows
from monitoring.store.reads import Source
from monitoring.timeutil import Bounds, naive_utc, utc_now

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
    question = _Question.of(store.model(model), config, current, reference, current_source)
    if config.detector in MULTIVARIATE:
        detectors.require(detectors.detector_class(config.detector).backend)
    if use_stored:
        stored = question.stored()
        if stored is not None:
            return stored
    report = compute_drift(
        question.model, config, question.reference, question.current, workers, current_source
    )
    results.save(store, question.key, report, question.watermark)
    return report


def stored_drift(
    store: Store,
    model: str,
    config: DriftConfig,
    current: Bounds,
    reference: Bounds | None = None,
    current_source: Source | None = None,
) -> DriftReport | None:
    """The stored, still fresh answer to this question, or ``None`` (nothing is computed)."""
    return _Question.of(store.model(model), config, current, reference, current_source).stored()


@dataclass(frozen=True)
class _Question:
    """One drift question resolved: its windows, its storage key and watermark."""

    model: ModelHandle
    config: DriftConfig
    reference: Bounds
    current: Bounds
    key: str
    watermark: int

    @classmethod
    def of(
        cls,
        model: ModelHandle,
        config: DriftConfig,
        current: Bounds,
        reference: Bounds | None,
        current_source: Source | None,
    ) -> _Question:
        spec = model.spec
        ref = _bounds(reference or (spec.reference.start, spec.reference.end), "reference")
        cur = _bounds(current, "current")
        identity = current_source.identity if current_source is not None else None
        key = results.run_key(model.name, config, ref, cur, identity)
        # A slice never changes: only imports into the reference make its result stale.
        mark = results.watermark(model.store, model.name, (ref,) if identity else (ref, cur))
        return cls(model, config, ref, cur, key, mark)

    def stored(self) -> DriftReport | None:
        return results.load(self.model.store, self.key, self.watermark)


def compute_drift(
    model: ModelHandle,
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
    store, spec, source = model.store, model.spec, model.source
    cur_source = current_source or source
    roles = _roles(spec)
    numeric = [c for c, (_, kind) in roles.items() if kind == "numeric"]
    categorical = [c for c, (_, kind) in roles.items() if kind == "categorical"]
    sides = (source, reference, cur_source, current)
    with (
        store.connect(buffer_cap=SCAN_BUFFER) as con,
        ThreadPoolExecutor(max_workers=max(1, workers)) as pool,
    ):
        layout = fit_layout(con, source, numeric, categorical, reference)
        discrete = {b.column for b in layout.numeric if b.discrete}
        continuous = [c for c in numeric if c not in discrete]
        # The numeric tests on raw values run one after another on one worker (each
        # holds ~100 bytes per row) while the rest goes on; they need no statistics
        # first unless TabularDrift decides which columns are left for them.
        early = None
        if config.detector != "tabular":
            early = pool.submit(drift_columns.raw_tests, con, sides, continuous, config)
        judged = pool.submit(_judged, model, layout, config, reference, current, cur_source)
        rows_ref, ref_stats = reads.window_stats(con, source, reference, numeric, categorical)
        rows_cur, cur_stats = reads.window_stats(con, cur_source, current, numeric, categorical)
        store.cap_buffer(con, _buffer_cap(max(rows_ref, rows_cur), workers))
        window = drift_columns.RunWindows(
            source, reference, current, rows_ref, rows_cur, ref_stats, cur_stats, cur_source
        )
        detectors.preload()
        tabular = (
            drift_joint.tabular_outcomes(con, window, spec, config, categorical)
            if config.detector == "tabular"
            else {}
        )
        raw_tests = early or pool.submit(
            drift_columns.raw_tests,
            con,
            sides,
            [c for c in continuous if c not in tabular],
            config,
        )
        jobs = {
            column: pool.submit(
                drift_columns.column_job,
                con,
                window,
                column,
                role,
                kind,
                config,
                tabular.get(column),
            )
            for column, (role, kind) in roles.items()
        }
        rows = [jobs[column].result() for column in roles]
        outcomes = raw_tests.result()
        cal, cells = judged.result()
        rows = [
            drift_columns.judged(_with_test(row, outcomes, discrete, tabular, cells), cells)
            for row in rows
        ]
        multivariate = drift_joint.multivariate(con, window, spec, config) if config.cap else None

    rule = verdicts.Rule(config, cal.describe() if cal.calibrated else None)
    features, feature_threshold = verdicts.correct([r for r in rows if r.role == "feature"], rule)
    outputs, output_threshold = verdicts.correct([r for r in rows if r.role != "feature"], rule)
    verdict = verdicts.verdict("features", features, feature_threshold, rule, multivariate)
    output_verdict = (
        verdicts.verdict("outputs", outputs, output_threshold, rule, None) if outputs else None
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
        computed_at=utc_now(),
        calibration=cal.describe(),
    )


def _judged(
    model: ModelHandle,
    layout: Layout,
    config: DriftConfig,
    reference: Bounds,
    current: Bounds,
    current_source: Source,
) -> tuple[judge.Calibrated, dict[str, judge.FeatureCell]]:
    """The current window judged like a timeline window of its shape (features, then outputs).

    Counting the reference's atoms groups by atom as well as bin, which needs more memory
    than a scan: it gets its own connection, without the run's buffer cap."""
    with model.store.connect() as cursor:
        spec = model.spec
        shape = (
            Shape.of_span(current)
            if current_source.predicate is None
            else Shape.of_rows(_rows(cursor, current_source))
        )
        # One window has no previous windows: a rolling baseline means the whole reference here.
        baseline = config.window_baseline
        baseline = baseline if baseline.kind != "rolling" else Baseline()
        outputs = [c for c in _roles(spec) if c not in spec.features]
        cal = judge.calibrate(
            cursor, model, shape, reference, baseline, layout, [list(spec.features), outputs]
        )
        counts = count_windows(cursor, current_source, layout, [current])
        found = judge.judge(cal, counts, [current], config)[0]
        return cal, {c.feature: c for c in found.cells}


def _with_test(
    row: ColumnDrift,
    outcomes: Mapping[str, tuple[str, str, str, ColumnOutcome]],
    discrete: set[str],
    tabular: Mapping[str, ColumnOutcome],
    cells: Mapping[str, judge.FeatureCell],
) -> ColumnDrift:
    """The row with its numeric test: on raw values, or on value counts for a discrete column."""
    if row.status != "tested":
        return row
    if row.column in outcomes:
        return drift_columns.tested(row, *outcomes[row.column])
    if row.column in discrete and row.column not in tabular:
        return drift_columns.discrete_tested(row, cells.get(row.column))
    return row


def _rows(con: duckdb.DuckDBPyConnection, source: Source) -> int:
    """How many rows a source with its own predicate (a slice) holds."""
    return max(
        int(reads.window_stats(con, source, (dt.datetime.min, dt.datetime.max), [], [])[0]), 1
    )


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


def _bounds(window: Sequence[dt.datetime], label: str) -> Bounds:
    if len(window) != 2:
        raise MonitoringError(f"the {label} window must be (start, end), got {window!r}")
    for value in window:
        if not isinstance(value, dt.date):
            raise MonitoringError(f"the {label} window bounds must be datetimes, got {value!r}")
    start, end = (naive_utc(v) for v in window)
    if start >= end:
        raise MonitoringError(f"the {label} window starts at {start}, not before its end {end}")
    return start, end
