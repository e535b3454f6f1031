"""The Overview in a real browser: the status lines, and a link followed to the view it names.

The full-page screenshot grows the viewport to the height of Streamlit's main
block first: the app scrolls inside it, so ``full_page`` alone would only
capture the window.
"""

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from monitoring.demo import CLASSIFIER, REGRESSOR
from tests.e2e.conftest import wait_ready

pytestmark = pytest.mark.e2e
SHOT = Path(__file__).resolve().parents[2] / "shots" / "overview_e2e.png"


def full_page_shot(page, path: Path) -> None:  # type: ignore[no-untyped-def]
    """A screenshot of the whole page, however long the main block is."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": page.viewport_size["width"], "height": height + 40})
    page.wait_for_timeout(800)
    page.screenshot(path=str(path), full_page=True)


def test_overview_status_lines_link_to_the_explaining_view(app_url: str, page) -> None:
    page.goto(app_url)
    wait_ready(page)
    expect(page.get_by_role("heading", name="Status of the latest complete week")).to_be_visible()
    main = page.locator('[data-testid="stMain"]')
    for model in (REGRESSOR, CLASSIFIER):
        expect(main.get_by_text(f"{model} · week 2013-12-23 → 2013-12-29")).to_be_visible()
    for part in ("Drift", "Performance", "Data quality", "Labels"):
        label = main.locator("strong", has_text=re.compile(f"^{part}$"))
        expect(label).to_have_count(2)  # one line per model leads with it
    expect(main.get_by_text("features beyond their usual range").first).to_be_visible()
    sidebar = page.locator('[data-testid="stSidebar"]')
    logo = sidebar.get_by_role("img", name="Logo")  # the brand, above the page navigation
    expect(logo).to_be_visible()
    nav = sidebar.get_by_role("navigation", name="App pages")
    assert logo.bounding_box()["y"] < nav.bounding_box()["y"]  # type: ignore[index]
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    SHOT.parent.mkdir(exist_ok=True)
    full_page_shot(page, SHOT)
    assert SHOT.stat().st_size > 50_000

    with page.context.expect_page() as opened:  # links open in a new tab
        main.get_by_role("link", name="Timeline →").first.click()
    timeline = opened.value
    wait_ready(timeline)
    query = parse_qs(urlparse(timeline.url).query)
    assert urlparse(timeline.url).path.endswith("/timeline")
    assert query["model"] == [REGRESSOR] and query["period"] == ["week"]
    expect(timeline.get_by_role("heading", name="Timeline")).to_be_visible()
    dates = timeline.locator(
        '[data-testid="stSidebar"] [data-testid="stDateInput"] input[type="date"]'
    )
    expect(dates.first).to_have_value("2013-12-23")
    expect(timeline.locator('[data-testid="stPlotlyChart"]').first).to_be_visible()
    expect(timeline.locator('[data-testid="stException"]')).to_have_count(0)
    timeline.close()
