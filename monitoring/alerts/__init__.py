"""Alerts: the spec's rules over the newest windows, their history, and telling someone.

:func:`~monitoring.alerts.rules.evaluate_alerts` judges the rules;
:func:`~monitoring.alerts.history.reconcile` opens, updates and resolves alerts
and says which notifications are due; :func:`~monitoring.alerts.history.deliver`
sends them (:mod:`monitoring.alerts.delivery`: the JSON and Slack payloads,
retries) and writes the history. :func:`last_check` is the newest run of
``check`` on a model. ``docs/alerts.md`` describes the rule syntax, the
life cycle and the webhook schema.
"""

from monitoring.store.check_runs import CheckRun, last_check

__all__ = ["CheckRun", "last_check"]
