"""The Performance page in a real browser on the demo data: charts, pending labels, links."""

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from monitoring.demo import CLASSIFIER
from tests.e2e.conftest import READY, wait_ready

pytestmark = pytest.mark.e2e


def test_performance_page_draws_and_keeps_its_choices_in_the_url(
    app_url: str, page, tmp_path: Path
) -> None:
    page.goto(f"{app_url}/performance?model={CLASSIFIER}")
    expect(page.get_by_text("One window against the reference")).to_be_visible(timeout=120_000)
    wait_ready(page)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    # metric over time, label coverage, diagnosis band, confusion matrix, reliability curve
    expect(charts).to_have_count(5)
    expect(charts.first.get_by_text("labels pending")).to_be_visible()
    expect(charts.first.get_by_text("reference band (mean ± 3σ)")).to_be_visible()
    expect(page.get_by_text("It assumes no concept drift")).to_be_visible()
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    shot = tmp_path / "performance.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000

    metric = page.get_by_role("combobox", name="Metric")
    metric.click()
    metric.fill("ROC AUC")  # the option list is virtualised: filter rather than scroll
    page.get_by_role("option", name="ROC AUC").click()
    page.wait_for_url("**metric=roc_auc**")
    page.wait_for_selector(READY)
    expect(page.get_by_text("ROC AUC per week")).to_be_visible()
    query = parse_qs(urlparse(page.url).query)
    assert query["period"] == ["week"] and query["model"] == [CLASSIFIER]
    assert "window" in query
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
