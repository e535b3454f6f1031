"""The spec's alert rules on the latest window, and telling someone.

Entry points: :func:`~monitoring.alerts.rules.evaluate_alerts`,
:func:`~monitoring.alerts.delivery.webhook_payload` and
:func:`~monitoring.alerts.delivery.post_webhook`.
"""
