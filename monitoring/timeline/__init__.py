"""Many windows of a model against its reference at once, stored window by window.

Entry points: :func:`~monitoring.timeline.engine.run_timeline` (a
:class:`~monitoring.timeline.report.Timeline`) and
:func:`~monitoring.timeline.engine.covariate_verdicts`.
"""
