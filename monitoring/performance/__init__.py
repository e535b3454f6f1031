"""Model quality over time: realized, estimated, and whether the errors changed.

Entry points: :func:`~monitoring.performance.realized.realized_performance`,
:func:`~monitoring.performance.estimation.estimate_performance`,
:func:`~monitoring.performance.errors_drift.error_drift` with
:func:`~monitoring.performance.diagnosis.diagnose_windows`, and
:func:`~monitoring.performance.comparison.compare_with_reference`.
"""
