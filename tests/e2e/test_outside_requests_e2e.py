"""A self-hosted monitoring tool sends nothing out: every page loads from the app's own host.

Every request the browser makes (documents, scripts, fonts, the favicon, chart
assets) goes through a route that lets the app's host through and aborts, and
records, anything else. A page that asked an outside host for anything fails.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from monitoring.demo import CLASSIFIER
from tests.e2e.conftest import wait_ready

pytestmark = pytest.mark.e2e

PAGES = ("", "feature_drift", "upload", "performance", "timeline", "review_pack", "data")


def test_no_page_requests_another_host(app_url: str, page) -> None:
    own = urlparse(app_url).netloc
    outside: list[str] = []

    def guard(route) -> None:  # type: ignore[no-untyped-def]
        url = route.request.url
        if urlparse(url).netloc == own or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(f"{page.url} → {url}")
            route.abort()

    page.context.route("**/*", guard)
    for name in PAGES:
        page.goto(f"{app_url}/{name}?model={CLASSIFIER}&from=2013-07-01&to=2013-08-01")
        wait_ready(page)
        # The first load can look idle before its script has started: wait for the page itself.
        expect(page.locator('[data-testid="stMain"] h1').first).to_be_visible()
        wait_ready(page)
        # Charts load their code lazily: wait for the page's first one, where it has one.
        charts = page.locator('[data-testid="stPlotlyChart"]')
        if charts.count():
            expect(charts.first.locator(".main-svg").first).to_be_attached()
        page.wait_for_load_state("networkidle")
    assert not outside, "requests to other hosts:\n" + "\n".join(sorted(set(outside)))
