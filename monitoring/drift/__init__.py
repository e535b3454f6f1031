"""One window against a baseline, column by column and jointly.

Entry points: :func:`~monitoring.drift.engine.run_drift`,
:func:`~monitoring.drift.engine.run_configured` and
:func:`~monitoring.drift.engine.stored_drift`, answering with a
:class:`~monitoring.drift.report.DriftReport`; the detectors are catalogued in
:mod:`monitoring.drift.detectors`, the verdict rule is :mod:`monitoring.drift.verdicts`.
"""
