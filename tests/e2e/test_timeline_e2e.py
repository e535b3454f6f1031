"""The Timeline page in a real browser, with a screenshot of the demo data."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from monitoring.demo import CLASSIFIER
from tests.e2e.conftest import wait_ready

pytestmark = pytest.mark.e2e
SHOT = Path(__file__).resolve().parents[2] / "shots" / "timeline_e2e.png"


def test_timeline_page_shows_the_heatmap(app_url: str, page) -> None:
    page.goto(f"{app_url}/timeline?model={CLASSIFIER}&period=week")
    wait_ready(page)
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    charts = page.locator('[data-testid="stPlotlyChart"]')
    expect(charts.first).to_be_visible()
    expect(charts).to_have_count(4)
    expect(page.get_by_text("Drift against the usual range")).to_be_visible()  # the heatmap
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert "period=week" in page.url and "feature=" in page.url
    SHOT.parent.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 2400})
    page.wait_for_timeout(800)
    page.screenshot(path=str(SHOT), full_page=True)
    assert SHOT.stat().st_size > 50_000
