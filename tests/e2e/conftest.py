"""A real ``streamlit run`` on a free loopback port, driven by Debian's Chromium via Playwright."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'
# A loaded 2-core machine can take longer than Playwright's 5 s default to draw a chart.
expect.set_options(timeout=30_000)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(
    db: Path, env: dict[str, str] | None = None, args: tuple[str, ...] = (), port: int | None = None
) -> Iterator[str]:
    """``streamlit run app.py`` on ``db`` at a free loopback port; yields the base URL."""
    port = port or free_port()
    # A file, not a pipe: a busy server's log would fill a pipe nobody reads and stall it.
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless=true",
                "--server.address=127.0.0.1",
                f"--server.port={port}",
                "--server.fileWatcherType=none",
                *args,
            ],
            cwd=REPO,
            env={**os.environ, "DRIFTWATCH_DB": str(db), **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, server, log)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=20)


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"streamlit did not start: {log.read()!r}") from None
            time.sleep(0.2)


@pytest.fixture(scope="session")
def app_url(demo_db: Path) -> Iterator[str]:
    """Base URL of the app serving the demo database."""
    with serve(demo_db) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(
                "CI needs Debian's chromium at /usr/bin/chromium (scripts/setup.sh installs it)"
            )
        pytest.skip("no /usr/bin/chromium: install Debian's chromium to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def wait_ready(page: object) -> None:
    """Wait until Streamlit has finished the script run an action started.

    A rerun may start a moment after the click that causes it, or be over
    before we look: wait briefly for it to start, then for the app to be idle.
    """
    with contextlib.suppress(PlaywrightTimeout):  # already finished, or no run started
        page.wait_for_selector(RUNNING, timeout=1_500)  # type: ignore[attr-defined]
    page.wait_for_selector(READY)  # type: ignore[attr-defined]
