"""Download a review pack through the browser and check the ZIP."""

import io
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from monitoring.demo import CLASSIFIER
from tests.e2e.conftest import wait_ready

pytestmark = pytest.mark.e2e


def test_pack_download_from_the_feature_drift_page(app_url: str, page, tmp_path: Path) -> None:
    page.goto(f"{app_url}/feature_drift?model={CLASSIFIER}&from=2013-11-04&to=2013-11-10")
    wait_ready(page)
    page.get_by_role("button", name="Run drift tests").click()
    expect(page.get_by_text("Features drifted")).to_be_visible(timeout=120_000)
    wait_ready(page)
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Review pack (ZIP)").click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    assert target.name == "driftwatch_flight_delay_classifier_2013-11-04_2013-11-10.zip"
    archive = zipfile.ZipFile(io.BytesIO(target.read_bytes()))
    names = set(archive.namelist())
    assert {"summary.md", "report.html", "tables/drift.csv", "charts/volume.png"} <= names
    assert archive.read("charts/volume.png").startswith(b"\x89PNG")
    assert "flight_delay_classifier" in archive.read("summary.md").decode()
