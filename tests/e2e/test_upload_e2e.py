"""Upload & compare in a real browser: upload a file through the uploader, see the comparison."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from monitoring.demo import CLASSIFIER
from tests.conftest import REPO
from tests.e2e.conftest import wait_ready

pytestmark = pytest.mark.e2e
UPLOADS = REPO / "tests" / "fixtures" / "uploads"


def test_upload_a_file_and_see_the_comparison(app_url: str, page, tmp_path: Path) -> None:
    page.goto(f"{app_url}/upload?model={CLASSIFIER}")
    wait_ready(page)
    expect(page.get_by_role("heading", name="Upload & compare")).to_be_visible()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        str(UPLOADS / "good.csv")
    )
    expect(page.get_by_text("Features drifted")).to_be_visible(timeout=120_000)
    wait_ready(page)
    expect(page.get_by_text("300 rows, 17 column(s) matched")).to_be_visible()
    expect(
        page.get_by_role("heading", name="upload 'good.csv' against the reference")
    ).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(1)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    expect(chart).to_contain_text("reference vs current")
    expect(page.get_by_role("button", name="Save slice")).to_be_visible()
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    page.set_viewport_size({"width": 1280, "height": 2600})  # the app scrolls inside its own pane
    page.wait_for_timeout(1500)
    shot = tmp_path / "upload.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000

    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        str(UPLOADS / "not_csv.csv")
    )
    wait_ready(page)
    expect(page.get_by_text("not a CSV file: its content is a PNG image").first).to_be_visible()
    expect(page.get_by_text("Features drifted")).to_have_count(0)
