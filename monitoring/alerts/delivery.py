"""Telling someone: an alert's webhook payload (generic JSON or Slack), and posting it with
retries.

:func:`alert_payload` is the generic JSON document of one notification
(``docs/alerts.md`` documents it, ``version`` :data:`PAYLOAD_VERSION`);
:func:`slack_payload` the same notification as a Slack incoming-webhook
message (``text`` plus ``blocks``, user text escaped as Slack asks).
:func:`post_webhook` sends one POST and reports failures instead of raising
them; :func:`post_with_retries` tries again with back-off on failures that may
pass (network errors, HTTP 429 and 5xx).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from monitoring.store.alerts import AlertRecord

PAYLOAD_VERSION = 2
FORMATS = ("json", "slack")
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF = 1.0  # seconds before the second try; doubled before each further one


@dataclass(frozen=True)
class WebhookResult:
    """What happened to a POST: ``ok`` with the HTTP status, or the error in words;
    ``permanent`` when trying again cannot help (the URL itself is wrong)."""

    ok: bool
    status: int | None
    error: str | None
    permanent: bool = False

    @property
    def retryable(self) -> bool:
        """True for failures that may pass: no answer, too many requests, a server error."""
        if self.ok or self.permanent:
            return False
        return self.status is None or self.status == 429 or self.status >= 500


def full_link(app_url: str, link: str | None) -> str | None:
    """The alert's stored link (relative to the app) under ``app_url``."""
    return None if link is None else f"{app_url.rstrip('/')}/{link.lstrip('/')}"


def alert_payload(alert: AlertRecord, event: str, app_url: str) -> dict[str, Any]:
    """The generic JSON document of one notification (``docs/alerts.md``)."""
    return {
        "version": PAYLOAD_VERSION,
        "event": event,
        "id": alert.id,
        "model": alert.model,
        "rule": alert.rule,
        "severity": alert.severity,
        "state": alert.state,
        "message": alert.message,
        "values": alert.values,
        "window": None
        if alert.window_start is None or alert.window_end is None
        else {"start": alert.window_start.isoformat(), "end": alert.window_end.isoformat()},
        "first_window_start": None
        if alert.first_window_start is None
        else alert.first_window_start.isoformat(),
        "first_seen": alert.first_seen.isoformat(),
        "last_seen": alert.last_seen.isoformat(),
        "resolved_at": None if alert.resolved_at is None else alert.resolved_at.isoformat(),
        "link": full_link(app_url, alert.link),
    }


def slack_payload(alert: AlertRecord, event: str, app_url: str) -> dict[str, Any]:
    """The notification as a Slack message: a one-line ``text`` and a section block.

    Model, rule and message are user text: ``&``, ``<`` and ``>`` are escaped
    so that a name cannot turn into a link or a mention.
    """
    headline = {
        "open": "FIRING",
        "repeat": "STILL FIRING",
        "resolve": "RESOLVED",
    }.get(event, event.upper())
    text = (
        f"[{headline}] {alert.severity}: {_slack(alert.rule)} on {_slack(alert.model)} "
        f"— {_slack(alert.message)}"
    )
    link = full_link(app_url, alert.link)
    body = text if link is None else f"{text}\n<{_slack(link)}|Open in Driftwatch>"
    return {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": body}}],
    }


def _slack(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload_for(format: str, alert: AlertRecord, event: str, app_url: str) -> dict[str, Any]:
    """The payload in ``format`` (one of :data:`FORMATS`)."""
    if format not in FORMATS:
        raise ValueError(f"unknown webhook format {format!r}; valid ones are {list(FORMATS)}")
    builder = slack_payload if format == "slack" else alert_payload
    return builder(alert, event, app_url)


def post_webhook(url: str, payload: dict[str, Any], timeout: float = 10.0) -> WebhookResult:
    """POST ``payload`` as JSON; network and HTTP errors come back in the result, not raised."""
    if not url.startswith(("http://", "https://")):
        return WebhookResult(False, None, f"{url!r} is not an http(s) URL", permanent=True)
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, allow_nan=False, default=str).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "driftwatch-check"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return WebhookResult(True, int(response.status), None)
    except urllib.error.HTTPError as exc:
        return WebhookResult(False, exc.code, f"HTTP {exc.code} {exc.reason}")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return WebhookResult(False, None, f"could not reach {url}: {reason}")


def post_with_retries(
    url: str,
    payload: dict[str, Any],
    attempts: int = DEFAULT_ATTEMPTS,
    backoff: float = DEFAULT_BACKOFF,
    timeout: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[WebhookResult]:
    """POST until it succeeds, fails for good (a 4xx other than 429) or ``attempts`` are spent.

    Waits ``backoff`` seconds before the second try and twice as long before
    each further one. Returns every try's result, the last one deciding.
    """
    results: list[WebhookResult] = []
    for number in range(max(1, attempts)):
        if number:
            sleep(backoff * 2 ** (number - 1))
        result = post_webhook(url, payload, timeout=timeout)
        results.append(result)
        if not result.retryable:
            break
    return results
