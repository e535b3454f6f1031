"""The app shell in a real browser: Overview, the sidebar, page switches, links."""

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from monitoring.demo import CLASSIFIER, REGRESSOR
from tests.e2e.conftest import wait_ready

pytestmark = pytest.mark.e2e


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def test_overview_then_switch_model_and_page(app_url: str, page, tmp_path: Path) -> None:
    page.goto(app_url)
    wait_ready(page)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    # the models table sits folded under the status lines
    expect(page.get_by_role("heading", name="Status of the latest complete week")).to_be_visible()
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(1)
    assert params(page.url)["model"] == [REGRESSOR]

    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("combobox", name="Model").click()
    page.get_by_role("option", name=CLASSIFIER).click()
    page.wait_for_url(f"**model={CLASSIFIER}**")
    wait_ready(page)
    expect(page.get_by_role("heading", name=CLASSIFIER)).to_be_visible()

    sidebar.get_by_role("link", name="Data").click()
    page.wait_for_url("**/data?**")
    wait_ready(page)
    expect(page.get_by_role("heading", name="Data")).to_be_visible()
    expect(sidebar.get_by_role("combobox", name="Model")).to_have_value(CLASSIFIER)
    assert params(page.url)["model"] == [CLASSIFIER]
    page.screenshot(path=str(tmp_path / "data.png"), full_page=True)
    assert (tmp_path / "data.png").stat().st_size > 10_000
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_a_deep_link_reproduces_the_view(app_url: str, page) -> None:
    page.goto(f"{app_url}/data?model={CLASSIFIER}&from=2013-07-01&to=2013-07-14")
    wait_ready(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_role("combobox", name="Model")).to_have_value(CLASSIFIER)
    dates = sidebar.locator('[data-testid="stDateInput"] input[type="date"]')
    expect(dates.first).to_have_value("2013-07-01")
    expect(dates.nth(1)).to_have_value("2013-07-14")
    expect(page.get_by_text("production window 2013-07-01 → 2013-07-14")).to_be_visible()
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
