"""Telling someone: the webhook payload of an alert check, and posting it.

:func:`webhook_payload` turns an :class:`~monitoring.alerts.rules.AlertCheck`
into the JSON posted by ``python -m monitoring check --webhook URL``
(``docs/timeline.md`` describes it); :func:`post_webhook` sends it and reports
failures instead of raising them.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from monitoring.alerts.rules import AlertCheck

PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class WebhookResult:
    """What happened to a POST: ``ok`` with the HTTP status, or the error in words."""

    ok: bool
    status: int | None
    error: str | None


def webhook_payload(check: AlertCheck, link: str | None) -> dict[str, Any]:
    """The JSON document posted to a webhook (``docs/timeline.md`` describes it)."""
    w = check.window
    return {
        "version": PAYLOAD_VERSION,
        "model": check.model,
        "breached": check.breached,
        "window": None
        if w is None
        else {
            "start": w.start.isoformat(),
            "end": w.end.isoformat(),
            "rows": w.rows,
            "status": w.status,
            "drifted": w.drifted,
            "drifted_share": w.drifted_share,
            "drifted_features": list(w.drifted_features),
        },
        "breaches": [{"rule": b.rule, "message": b.message} for b in check.breaches],
        "notes": list(check.notes),
        "link": link,
    }


def post_webhook(url: str, payload: dict[str, Any], timeout: float = 10.0) -> WebhookResult:
    """POST ``payload`` as JSON; network and HTTP errors come back in the result, not raised."""
    if not url.startswith(("http://", "https://")):
        return WebhookResult(False, None, f"{url!r} is not an http(s) URL")
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
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
