"""Eight browser sessions, an import loop and a check loop on one database at once.

Bounded in time (``DURATION`` seconds of load) and loopback only. It counts
what a user would see go wrong: page exceptions (Streamlit's exception box),
raw DuckDB error text on a page, and tracebacks or unexpected exit codes
from the headless commands. A busy database may make a page or a command
wait or say so in words; that is allowed and counted, not failed.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from monitoring.demo import CLASSIFIER
from tests.conftest import REPO
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, serve

pytestmark = pytest.mark.e2e

DURATION = 30.0  # seconds of load; every session keeps going until then
SESSIONS = 8
# DuckDB's own error classes, as they would read if one reached a page unworded.
RAW_ERRORS = (
    "Catalog Error",
    "Transaction Error",
    "TransactionContext",
    "Constraint Error",
    "Conflict on tuple",
    "IO Error:",
    "Invalid Input Error",
    "Binder Error",
    "Conversion Error",
    "INTERNAL Error",
    "Traceback (most recent call last)",
)
PAGES = (
    f"/timeline?model={CLASSIFIER}&period=week",  # every session races to save the same windows
    f"/?model={CLASSIFIER}",
    f"/feature_drift?model={CLASSIFIER}",
    f"/performance?model={CLASSIFIER}&period=week",
    f"/data?model={CLASSIFIER}",
)
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
EXCEPTION = '[data-testid="stException"]'


@dataclass
class Tally:
    """What the sessions and loops saw."""

    loads: int = 0
    exceptions: list[str] = field(default_factory=list)
    raw_errors: list[str] = field(default_factory=list)
    busy: int = 0
    commands: dict[str, list[int]] = field(default_factory=lambda: {"import": [], "check": []})
    tracebacks: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # a session that could not go on
    refusals: list[str] = field(default_factory=list)  # a command's worded exit 1


async def _session(url: str, k: int, until: float, tally: Tally) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
        i = k  # sessions start on different pages, except that all meet on the timeline first
        try:
            while time.monotonic() < until:
                path = PAGES[0] if i == k else PAGES[i % len(PAGES)]
                await page.goto(url + path, timeout=120_000)
                await page.wait_for_selector(READY, timeout=120_000)
                await page.wait_for_timeout(300)  # a rerun may follow the first run
                await page.wait_for_selector(READY, timeout=120_000)
                text = await page.inner_text("body")
                tally.loads += 1
                if await page.locator(EXCEPTION).count():
                    tally.exceptions.append(f"{path}: {text[:300]}")
                tally.raw_errors += [f"{path}: {marker}" for marker in RAW_ERRORS if marker in text]
                tally.busy += "is busy" in text
                i += 1
        finally:
            await browser.close()


def _loop(name: str, argv: list[str], until: float, tally: Tally) -> None:
    while time.monotonic() < until:
        done = subprocess.run(
            [sys.executable, "-m", "monitoring", *argv],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        tally.commands[name].append(done.returncode)
        if "Traceback" in done.stderr or any(m in done.stderr for m in RAW_ERRORS):
            tally.tracebacks.append(f"{name}: {done.stderr[-600:]}")
        elif done.returncode == 1:
            tally.refusals.append(f"{name}: {done.stderr.strip()[-300:]}")


def test_eight_sessions_an_import_loop_and_a_check_loop(demo_db: Path, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium")
    db = tmp_path / "stress.duckdb"
    shutil.copy(demo_db, db)  # a fresh copy: no stored timeline yet, so sessions race to save it
    rows = REPO / "tests" / "fixtures" / "uploads" / "good.csv"
    spec = REPO / "data" / "specs" / f"{CLASSIFIER}.toml"
    tally = Tally()
    with serve(db) as url:
        until = time.monotonic() + DURATION
        loops = [
            threading.Thread(
                target=_loop,
                args=(
                    "import",
                    [
                        "import",
                        "--db",
                        str(db),
                        "--spec",
                        str(spec),
                        "--allow-duplicate",
                        f"{rows}",
                    ],
                    until,
                    tally,
                ),
            ),
            threading.Thread(
                target=_loop,
                args=("check", ["check", "--db", str(db), "--model", CLASSIFIER], until, tally),
            ),
        ]
        for loop in loops:
            loop.start()

        async def sessions() -> None:
            ends = await asyncio.gather(
                *(_session(url, k, until, tally) for k in range(SESSIONS)), return_exceptions=True
            )
            tally.failures += [repr(e) for e in ends if isinstance(e, BaseException)]

        # In a thread of its own: the session-wide sync Playwright of the other browser
        # tests may hold this thread's event loop.
        browsers = threading.Thread(target=asyncio.run, args=(sessions(),))
        browsers.start()
        browsers.join()
        for loop in loops:
            loop.join()
    print(
        f"\n{tally.loads} page loads by {SESSIONS} sessions, {tally.busy} said 'busy'; "
        f"import exits {sorted(set(tally.commands['import']))} ×{len(tally.commands['import'])}, "
        f"check exits {sorted(set(tally.commands['check']))} ×{len(tally.commands['check'])}"
    )
    assert tally.failures == []  # e.g. a page that never became ready
    assert tally.exceptions == []
    assert tally.raw_errors == []
    assert tally.tracebacks == []
    assert tally.loads >= SESSIONS  # every session loaded at least its first page
    # the loop did import, not only refuse (readers must not starve a writer)
    assert 0 in tally.commands["import"], tally.refusals
    assert tally.commands["check"]
    # import: 0 done, 1 refused in words (e.g. the file was busy); check: 0 no breach,
    # 3 breach, 5 nothing tested, 1 refused in words
    assert set(tally.commands["import"]) <= {0, 1}
    assert set(tally.commands["check"]) <= {0, 1, 3, 5}
