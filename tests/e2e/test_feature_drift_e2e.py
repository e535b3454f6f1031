"""The Feature drift page in a real browser: run auto drift, pick a feature, screenshot."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from monitoring.demo import CLASSIFIER
from tests.e2e.conftest import wait_ready

pytestmark = pytest.mark.e2e


def test_run_auto_drift_and_select_a_feature(app_url: str, page, tmp_path: Path) -> None:
    page.goto(f"{app_url}/feature_drift?model={CLASSIFIER}&from=2013-10-07&to=2013-10-20")
    wait_ready(page)
    expect(page.get_by_role("heading", name="Feature drift")).to_be_visible()
    page.get_by_role("button", name="Run drift tests").click()
    expect(page.get_by_text("Features drifted")).to_be_visible(timeout=120_000)
    wait_ready(page)
    # the per-feature numbers (in their expander) and the ranking of features
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(2)

    picker = page.get_by_role("combobox", name="Feature")
    picker.click()
    picker.fill("carrier")  # the option list is virtualised: filter rather than scroll
    page.get_by_role("option", name="carrier", exact=True).click()
    page.wait_for_url("**feature=carrier**")
    wait_ready(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    expect(chart).to_contain_text("carrier: reference vs current")
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    shot = tmp_path / "feature_drift.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
