"""The hostile database in a real browser: nothing planted in a name runs or is fetched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import serve, wait_ready
from tests.hostile import EVIL_HOST, PAYLOAD, hostile_spec

pytestmark = pytest.mark.e2e
PAGES = ("", "feature_drift", "upload", "timeline", "review_pack", "data")


@pytest.fixture(scope="module")
def hostile_url(hostile_db: Path) -> Iterator[str]:
    with serve(hostile_db) as url:
        yield url


def test_no_payload_runs_or_is_fetched(hostile_url: str, page) -> None:
    dialogs: list[str] = []
    outside: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on(
        "request",
        lambda r: outside.append(r.url) if urlparse(r.url).hostname != "127.0.0.1" else None,
    )
    model = quote(hostile_spec().name)
    for path in PAGES:
        page.goto(f"{hostile_url}/{path}?model={model}&from=2024-02-01&to=2024-02-29")
        wait_ready(page)
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.get_by_role("heading", name="Data")).to_be_visible()
    page.goto(f"{hostile_url}/timeline?model={model}")
    wait_ready(page)
    notes = page.locator('[data-testid="stExpander"]').filter(has_text="Notes on")
    notes.locator("summary").click()
    expect(notes).to_contain_text("2024-02-10")
    shown = notes.inner_text().replace("\u2060", "")
    assert f"note {PAYLOAD}" in shown  # "--" and ":smile:" as typed
    page.wait_for_timeout(1_000)
    assert dialogs == []
    assert [u for u in outside if EVIL_HOST in u or "gstatic" not in u] == []
