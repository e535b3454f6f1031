"""Benchmark: the running app in a real browser, measured against its responsiveness targets.

Starts a fresh ``streamlit run app.py`` on a copy of the demo database (built into a
temporary directory, or ``--db PATH`` copied there, since the app stores results),
drives it with Playwright's sync API in Debian's Chromium and prints each measurement's
median and p95 beside its target:

- **widgets**: warm widget changes, each timed ``--repeat`` times with alternating values
  after one untimed pass: the Feature drift page's feature select and histogram/ECDF
  toggle (July 2013, its drift run stored first) and the Timeline's period; plus empty
  reruns (the ``R`` shortcut) of both pages for comparison. Target: median ≤ 0.5 s,
  p95 ≤ 1 s.
- **firstpaint**: the Overview on a warm server, in a new browser context (an empty
  cache: a first visit ever) and in a new tab of a browser that has opened the app once
  (its JavaScript cached). ≤ 2 s.
- **performance**: the Performance page's first visit on a fresh server, then two periods
  not seen before (week → month → day): time to the first chart and to the whole page.
  First chart ≤ 2 s, whole page ≤ 4 s.
- **mmd**: the Timeline's multivariate detector set to MMD (12 weekly windows), until its
  chart is drawn. ≤ 15 s (waits up to ``--mmd-timeout``).
- **pack**: "Build review pack" (12 charts) on the Review pack page until the download
  button is there. ≤ 5 s.
- **load**: 8 browser contexts (each with the app's JavaScript cached by one untimed visit)
  loading Overview, Feature drift, Timeline, Performance and Data in turn for
  ``--load-seconds`` while ``python -m monitoring import`` appends a small CSV (different
  content each time) in a loop. p95 page-ready ≤ 5 s; page exceptions and raw database
  errors are counted.

A page is *ready* when Streamlit reports the script as not running and the websocket as
connected, no rerun or message follows within 0.4 s, and the expected number of Plotly
charts is drawn. The times come from an in-page log (script states, chart DOM changes,
input events and websocket messages, each with its own timestamp), so no fixed sleep
decides a result, and the same log splits each wait into phases (see :class:`Ready`).
p95 is the nearest-rank percentile: with 7 samples, the slowest. From the repository root::

    python bench/bench_ui.py [--only widgets,pack] [--repeat 7] [--db PATH] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import duckdb
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
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
VIEWPORT = {"width": 1280, "height": 900}
MODEL = "flight_delay_classifier"
SPEC = REPO / "data" / "specs" / f"{MODEL}.toml"
LINK = f"?model={MODEL}&from=2013-07-01&to=2013-07-31"  # every page opens on July 2013
QUIET_S = 0.4  # no rerun may start this long after a run for the page to count as ready
START_WITHIN_S = 2.0  # a change whose rerun shows no sign of starting by then changed nothing
LONG_S = 600.0  # cold computations (a first drift run, a first Performance visit)
LOAD_TIMEOUT_S = 180.0  # a page load under load slower than this counts as this, flagged
IDLE_LIMIT_S = 300.0  # the longest wait for the server to go idle between measurements
SESSIONS = 8
WARM_TARGETS = (0.5, 1.0)  # a warm widget change: median and p95, seconds
IMPORT_COMMAND = (sys.executable, "-m", "monitoring", "import")
IMPORT_WINDOW = ("2013-10-07", "2013-10-10")  # the import loop's records: ≈ 2,800 per file
IMPORT_SAMPLE = "import_sample.csv"
# The model's records as the store keeps them (monitoring/store.py), less its import column.
RECORDS_SQL = f'SELECT * EXCLUDE (_dw_import) FROM "records:{MODEL}"'

# ---- What the bench finds on the pages: update here when the pages change. ----
APP = '[data-testid="stApp"]'
STATE_ATTR = "data-test-script-state"  # on APP: notRunning, running, rerunRequested, …
CONNECTION_ATTR = "data-test-connection-state"  # on APP
CONNECTED = "CONNECTED"
CHART = '[data-testid="stPlotlyChart"]'
DRAWN = ".js-plotly-plot .main-svg"  # inside CHART once Plotly has drawn it
EXCEPTION = '[data-testid="stException"]'
# DuckDB's own error classes and lock messages, which the app must never show raw.
RAW_DB_ERROR = (
    r"(?:IO|Catalog|Binder|Conversion|Transaction|Constraint|Invalid Input|Internal|Parser)"
    r" Error:|Could not set lock|Conflicting lock|_duckdb\."
)
OVERVIEW = ("/", 1)  # (path, Plotly charts drawn)
FEATURE_DRIFT = ("/feature_drift", 4)  # with a stored result: feature, grid, 2 outputs
TIMELINE = ("/timeline", 4)  # heatmap, volume, drifted share, feature
PERFORMANCE = ("/performance", 5)  # metric, coverage, diagnosis, confusion, reliability
DATA = ("/data", 0)
REVIEW_PACK = ("/review_pack", 0)
LOAD_CYCLE = (OVERVIEW, FEATURE_DRIFT, TIMELINE, PERFORMANCE, DATA)
RUN_DRIFT = "Run drift tests"  # button on Feature drift
NO_RESULT = "No stored result yet"  # Feature drift's text before a run
FEATURE = "Feature"  # combobox on Feature drift and Timeline
FEATURE_VALUES = (("carrier", "temp"), "{}: reference vs current")  # values, chart title
VIEW = "View"  # radio group on Feature drift, for a numeric feature
VIEW_VALUES = (("ECDF", "cumulative share"), ("histogram", "share of values"))  # y-axis title
TIMELINE_WINDOW = "Window"  # combobox on Timeline, options "per week", "per month"
TIMELINE_PERIODS = ("month", "week")
TIMELINE_DETECTOR = "Detector"  # combobox on Timeline
MMD = ("MMD", "MMD on all features")  # option, title of the chart it adds
PERIODS = "Windows"  # segmented control (a radio group) on Performance
NEW_PERIODS = ("month", "day")  # the first visit shows weeks
METRIC_TITLE = " per {}"  # the Performance page's first chart: "Accuracy per month"
BUILD_PACK = "Build review pack"
DOWNLOAD_PACK = re.compile(r"^Download review pack")
# July 2013 on the demo: volume, the 3 drifted features, their grid, 2 outputs, performance.
PACK_CHARTS = 8

# In every page: a log of script states, drawn-chart counts, chart DOM changes and
# websocket traffic (each timestamped), and __dwReady(mark, want), which says from that
# log whether the page is ready after a change made at page time ``mark``, and when.
PAGE_LOG_JS = """
cfg => {
  const log = {states: [], links: [], charts: [], inputs: [], sent: [], recv: [], sockets: []};
  Object.assign(log, {chartChange: -1, watch: null});
  window.__dw = log;
  let state = null, link = null, drawn = -1, charts = [];
  const look = records => {
    const t = performance.now();
    const app = document.querySelector(cfg.app);
    const s = app ? app.getAttribute(cfg.stateAttr) : null;
    if (s !== state) { state = s; log.states.push([t, s]); }
    const l = app ? app.getAttribute(cfg.connectionAttr) : null;
    if (l !== link) { link = l; log.links.push([t, l]); }
    charts = [...document.querySelectorAll(cfg.chart)].filter(c => c.querySelector(cfg.drawn));
    if (charts.length !== drawn) { drawn = charts.length; log.charts.push([t, drawn]); }
    if (records.some(r => r.target.closest && r.target.closest(cfg.chart))) log.chartChange = t;
    const w = log.watch;
    if (w && w.at === null && charts.some(c => c.textContent.includes(w.text))) w.at = t;
  };
  new MutationObserver(look).observe(document, {subtree: true, childList: true, attributes: true});
  for (const type of ['keydown', 'pointerdown']) {
    window.addEventListener(type, e => log.inputs.push([e.timeStamp]), true);
  }
  const size = d => d.byteLength ?? d.size ?? d.length ?? 0;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      log.sockets.push([performance.now()]);
      this.addEventListener('message', e => log.recv.push([e.timeStamp, size(e.data)]));
    }
    send(data) { log.sent.push([performance.now(), size(data)]); super.send(data); }
  };
  window.__dwReady = (mark, want) => {
    look([]);
    const now = performance.now();
    const after = xs => xs.filter(([t]) => t >= mark);
    const states = after(log.states), sent = after(log.sent), inputs = after(log.inputs);
    const recv = sent.length ? log.recv.filter(([t]) => t >= sent[0][0]) : [];
    const seen = states.some(([, s]) => s === 'running' || s === 'rerunRequested');
    if (!seen && !recv.length && now - mark < want.startWithin) return null;
    if (state !== 'notRunning' || link !== cfg.connected) return null;
    const last = xs => (xs.length ? xs[xs.length - 1][0] : 0);
    if (now - Math.max(last(log.states), last(log.recv)) < want.quiet) return null;
    const errors = document.querySelectorAll(cfg.exception).length;
    if (!errors && want.charts !== null && drawn !== want.charts) return null;
    const shows = c => want.texts.every(x => c.textContent.includes(x));
    if (!errors && want.texts.length && !charts.some(shows)) return null;
    const at = Math.max(mark, last(states), log.chartChange, seen ? 0 : last(recv));
    const firstDrawn = after(log.charts).find(([, n]) => n > 0);
    const text = document.querySelector(cfg.app)?.textContent ?? '';
    const upTo = recv.filter(([t]) => t <= at);
    return {
      at, now, errors, charts: drawn,
      runs: states.filter(([, s]) => s === 'running').length,
      // a navigation (mark 0) opens its first websocket; any other one is a reconnection
      reconnects: Math.max(0, after(log.sockets).length - (mark === 0 ? 1 : 0)),
      first: log.watch ? log.watch.at : (firstDrawn ? firstDrawn[0] : null),
      dbErrors: (text.match(new RegExp(cfg.rawDbError, 'g')) || []).length,
      input: inputs.length ? inputs[0][0] : null,
      send: sent.length ? sent[0][0] : null,
      firstRecv: upTo.length ? upTo[0][0] : null,
      lastRecv: upTo.length ? last(upTo) : null,
      bytes: upTo.reduce((n, [, b]) => n + b, 0),
    };
  };
}
"""
PAGE_LOG_CONFIG = {
    "app": APP,
    "stateAttr": STATE_ATTR,
    "connectionAttr": CONNECTION_ATTR,
    "connected": CONNECTED,
    "chart": CHART,
    "drawn": DRAWN,
    "exception": EXCEPTION,
    "rawDbError": RAW_DB_ERROR,
}
INIT_SCRIPT = f"({PAGE_LOG_JS})({json.dumps(PAGE_LOG_CONFIG)});"
READY_CALL = "([mark, want]) => window.__dwReady(mark, want)"
STATUS_CALL = "() => [__dw.states.slice(-3), __dw.charts.slice(-3), __dw.links.slice(-1)]"


class BenchError(RuntimeError):
    """The app did not do what a measurement needs (the message says what)."""


@dataclass(frozen=True)
class Ready:
    """One action and the wait until the page was ready after it."""

    seconds: float  # from the input event (a navigation: from the call) to ready
    first_chart: float | None  # to the first (or the watched) chart drawn
    errors: int  # Streamlit exceptions shown
    db_errors: int  # raw database error texts shown
    runs: int  # script runs started after the action
    reconnects: int  # websockets the page opened again after the action
    # Each phase ends at its name: "input" (Playwright delivering the key or click),
    # "frontend" (to the first message sent: the rerun request, or after a navigation
    # the session's start), "server start" (to the first message back), "script" (to the
    # last message, the end of the run), "render" (to ready). Absent when not seen.
    phases: dict[str, float]
    kilobytes: float  # websocket payload received up to ready


@dataclass
class Measurement:
    """Samples of one quantity (seconds) and the targets they are held to."""

    what: str
    samples: list[float]
    median_target: float | None = None
    p95_target: float | None = None
    flagged: list[str] = field(default_factory=list)  # timeouts and errors seen

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        """The nearest-rank 95th percentile: the slowest of up to 19 samples."""
        ordered = sorted(self.samples)
        return ordered[math.ceil(0.95 * len(ordered)) - 1]

    @property
    def target(self) -> str:
        parts = []
        if self.median_target is not None:
            parts.append(f"median ≤ {self.median_target:g} s")
        if self.p95_target is not None:
            parts.append(f"{'p95 ' if len(self.samples) > 1 else ''}≤ {self.p95_target:g} s")
        return ", ".join(parts) or "—"

    @property
    def met(self) -> bool | None:
        """``None`` for a measurement shown for comparison only."""
        if self.median_target is None and self.p95_target is None:
            return None
        return (
            not self.flagged
            and (self.median_target is None or self.median <= self.median_target)
            and (self.p95_target is None or self.p95 <= self.p95_target)
        )


@dataclass
class Run:
    """What every measurement needs: the browser, the app's URL, the database, options."""

    browser: Browser
    url: str
    db: Path
    workdir: Path
    repeat: int
    mmd_timeout: float
    load_seconds: float
    details: list[str] = field(default_factory=list)

    def note(self, line: str) -> None:
        """Keep a detail line for the report and show it on stderr as progress."""
        self.details.append(line)
        print(f"  {line}", file=sys.stderr, flush=True)


# ---- the page-ready helper and the actions ----


def settle(
    page: Page,
    action: Callable[[], object],
    charts: int | None,
    texts: Sequence[str] = (),
    navigates: bool = False,
    watch: str | None = None,
    timeout: float = LONG_S,
) -> Ready:
    """Do ``action`` and wait until the page is ready after it.

    Ready: the script ran (or, for an action that starts no rerun, ``START_WITHIN_S``
    passed), is not running, the websocket is connected, no state change or message
    came for ``QUIET_S``, ``charts`` Plotly charts are drawn (``None``: any number) and
    one of them shows all of ``texts``. A page showing an exception counts as ready, with
    ``errors`` set. ``navigates``: the action opens a new document. ``watch``: the text of
    the chart whose drawing gives ``first_chart``; else the first chart after a navigation.
    """
    mark = 0.0
    if not navigates:
        mark = page.evaluate(
            "t => { __dw.watch = t === null ? null : {text: t, at: null}; "
            "return performance.now(); }",
            watch,
        )
    started = time.perf_counter()
    action()
    try:
        handle = page.wait_for_function(
            READY_CALL,
            arg=[mark, wanted(charts, texts, START_WITHIN_S)],
            polling=100,
            timeout=timeout * 1000,
        )
    except PlaywrightTimeout:
        states, counts, links = page.evaluate(STATUS_CALL)
        raise BenchError(
            f"{page.url}: not ready after {timeout:g} s (last script states "
            f"{[s for _, s in states]}, drawn-chart counts {[n for _, n in counts]}, "
            f"connection {[c for _, c in links]}; wanted {charts} charts showing {list(texts)})"
        ) from None
    return as_ready(handle.json_value(), time.perf_counter(), started)


def wanted(charts: int | None, texts: Sequence[str], start_within: float) -> dict[str, object]:
    """The ``want`` argument of ``__dwReady`` (times in ms, as the page counts)."""
    return {
        "charts": charts,
        "texts": list(texts),
        "quiet": QUIET_S * 1000,
        "startWithin": start_within * 1000,
    }


def as_ready(found: dict, detected: float, started: float) -> Ready:
    """``__dwReady``'s answer (page times in ms) as seconds from the input or ``started``.

    ``detected``: ``perf_counter()`` when the answer came; ``started``: when the action
    began. The answer's ``now`` maps the page's clock onto ``perf_counter()``.
    """

    def clock(page_ms: float | None) -> float | None:
        return None if page_ms is None else detected - (found["now"] - page_ms) / 1000

    steps = [
        ("action", started),
        ("input", clock(found["input"])),
        ("frontend", clock(found["send"])),
        ("server start", clock(found["firstRecv"])),
        ("script", clock(found["lastRecv"])),
        ("render", clock(found["at"])),
    ]
    present = [(name, t) for name, t in steps if t is not None]
    input_at = clock(found["input"])
    origin = started if input_at is None else input_at
    first = clock(found["first"])
    return Ready(
        seconds=detected - (found["now"] - found["at"]) / 1000 - origin,
        first_chart=None if first is None else first - origin,
        errors=found["errors"],
        db_errors=found["dbErrors"],
        runs=found["runs"],
        reconnects=found["reconnects"],
        phases={b[0]: b[1] - a[1] for a, b in pairwise(present)},
        kilobytes=found["bytes"] / 1000,
    )


def phase_text(readies: Sequence[Ready]) -> str:
    """The median of each phase over ``readies`` and the median payload, in words."""
    names = [k for k in readies[0].phases if all(k in r.phases for r in readies)]
    medians = ", ".join(f"{k} {statistics.median(r.phases[k] for r in readies):.3f}" for k in names)
    kilobytes = statistics.median(r.kilobytes for r in readies)
    runs = statistics.median(r.runs for r in readies)
    reconnects = sum(r.reconnects for r in readies)
    text = f"median phases (s): {medians}; {kilobytes:.0f} kB received; {runs:g} run(s) each"
    return text + (f"; {reconnects} websocket reconnection(s)" if reconnects else "")


def seconds_text(samples: Sequence[float]) -> str:
    """``1.23, 4.56 s``."""
    return ", ".join(f"{s:.2f}" for s in samples) + " s"


def goto(page: Page, url: str, path: str, charts: int | None, timeout: float = LONG_S) -> Ready:
    """Open ``path`` by its deep link (July 2013) and wait until it is ready."""
    return settle(
        page,
        lambda: page.goto(f"{url}{path}{LINK}", wait_until="commit"),
        charts,
        navigates=True,
        timeout=timeout,
    )


def combobox(page: Page, label: str, option: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """Opening a selectbox and typing (untimed), and the Enter that picks (timed)."""
    box = page.get_by_role("combobox", name=label, exact=True)

    def prepare() -> None:
        box.click()
        box.fill(option)  # the option list is virtualised: filter rather than scroll

    return prepare, lambda: box.press("Enter")


def radio(page: Page, group: str, option: str) -> Callable[[], None]:
    """Clicking one option of a radio group or segmented control, by the visible labels."""
    return page.get_by_role("radiogroup", name=group).get_by_text(option, exact=True).click


def rerun_key(page: Page, heading: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """A click on the page's title (untimed, off any input), and ``R``: an empty rerun."""
    return page.get_by_role("heading", name=heading).click, lambda: page.keyboard.press("r")


def new_page(browser: Browser, timeout: float) -> Page:
    """A page in a new browser context (own cache, own Streamlit session), logging."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.add_init_script(INIT_SCRIPT)
    context.set_default_timeout(timeout * 1000)
    return context.new_page()


@contextmanager
def fresh_page(browser: Browser) -> Iterator[Page]:
    """:func:`new_page`, its context closed afterwards."""
    page = new_page(browser, LONG_S)
    try:
        yield page
    finally:
        page.context.close()


def clean(ready: Ready, where: str) -> Ready:
    """``ready`` unless the page showed an exception or a raw database error."""
    if ready.errors or ready.db_errors:
        raise BenchError(
            f"{where}: {ready.errors} exception(s), {ready.db_errors} raw database error(s)"
        )
    return ready


# ---- the measurements ----


def open_drift_result(run: Run, page: Page) -> None:
    """Open Feature drift on July 2013 and make sure its drift run is stored (Run once)."""
    clean(goto(page, run.url, FEATURE_DRIFT[0], None), "Feature drift")
    if page.get_by_text(NO_RESULT).is_visible():
        button = page.get_by_role("button", name=RUN_DRIFT)
        took = clean(settle(page, button.click, FEATURE_DRIFT[1]), RUN_DRIFT)
        run.note(f"Feature drift: the drift run of July 2013 took {took.seconds:.1f} s")


@dataclass(frozen=True)
class Change:
    """One widget change: an untimed preparation, the timed action, what then shows."""

    prepare: Callable[[], None] | None
    act: Callable[[], object]
    charts: int
    texts: tuple[str, ...] = ()


def time_changes(
    run: Run, page: Page, what: str, changes: Sequence[Change], targeted: bool = True
) -> Measurement:
    """One untimed pass over ``changes`` (warming each), then ``repeat`` timed, in turn.

    Untimed changes finish the last round, so the page ends on ``changes[-1]``.
    ``targeted``: held to the warm-change target, else shown for comparison.
    """
    readies = []
    timed = range(len(changes), len(changes) + run.repeat)
    for i in range(timed.stop + (-timed.stop) % len(changes)):
        change = changes[i % len(changes)]
        if change.prepare is not None:
            change.prepare()
        ready = clean(settle(page, change.act, change.charts, change.texts), what)
        if i in timed:
            readies.append(ready)
    run.note(f"{what}: {seconds_text([r.seconds for r in readies])}; {phase_text(readies)}")
    return Measurement(what, [r.seconds for r in readies], *(WARM_TARGETS if targeted else ()))


def measure_widgets(run: Run) -> list[Measurement]:
    """Warm widget changes on Feature drift and Timeline, and empty reruns beside them."""
    with fresh_page(run.browser) as page:
        open_drift_result(run, page)
        values, title = FEATURE_VALUES
        features = [
            Change(*combobox(page, FEATURE, v), FEATURE_DRIFT[1], (title.format(v),))
            for v in values
        ]
        shown = title.format(values[-1])  # numeric, so the view toggle is there
        views = [
            Change(None, radio(page, VIEW, label), FEATURE_DRIFT[1], (shown, axis))
            for label, axis in VIEW_VALUES
        ]
        out = [
            time_changes(run, page, "warm: Feature drift feature select", features),
            time_changes(run, page, "warm: histogram/ECDF toggle", views),
            time_changes(
                run,
                page,
                "empty rerun (R key): Feature drift",
                [Change(*rerun_key(page, "Feature drift"), FEATURE_DRIFT[1])],
                targeted=False,
            ),
        ]
        clean(goto(page, run.url, *TIMELINE), "Timeline")
        periods = [
            Change(*combobox(page, TIMELINE_WINDOW, p), TIMELINE[1]) for p in TIMELINE_PERIODS
        ]
        out += [
            time_changes(run, page, "warm: Timeline period change", periods),
            time_changes(
                run,
                page,
                "empty rerun (R key): Timeline",
                [Change(*rerun_key(page, "Timeline"), TIMELINE[1])],
                targeted=False,
            ),
        ]
    return out


def measure_first_paint(run: Run) -> list[Measurement]:
    """The Overview on the warm server: in new browser contexts (an empty browser cache, a
    first visit ever), then in new tabs of a browser that has opened the app once (the
    app's JavaScript, Plotly's included, comes from the browser's cache)."""
    readies, paints = [], []
    for _ in range(run.repeat):
        with fresh_page(run.browser) as page:
            readies.append(clean(goto(page, run.url, *OVERVIEW), "Overview"))
            paints.append(
                page.evaluate(
                    "() => performance.getEntriesByName('first-contentful-paint')[0].startTime"
                )
                / 1000
            )
    tabs = []
    with fresh_page(run.browser) as first:
        clean(goto(first, run.url, *OVERVIEW), "Overview")  # untimed: fills the cache
        for _ in range(run.repeat):
            tab = first.context.new_page()
            try:
                tabs.append(clean(goto(tab, run.url, *OVERVIEW), "Overview, new tab"))
            finally:
                tab.close()
    ready = [r.seconds for r in readies]
    tab_ready = [r.seconds for r in tabs]
    run.note(f"first paint, Overview ready: {seconds_text(ready)}; {phase_text(readies)}")
    run.note(f"first paint, browser's first contentful paint: {seconds_text(paints)}")
    run.note(f"first paint, new tab: {seconds_text(tab_ready)}; {phase_text(tabs)}")
    return [
        Measurement("first paint, first visit: Overview ready", ready, p95_target=2.0),
        Measurement("first paint: browser's first contentful paint", paints),
        Measurement(
            "first paint, new tab of the browser: Overview ready", tab_ready, p95_target=2.0
        ),
    ]


def measure_performance(run: Run) -> list[Measurement]:
    """Performance: the first visit (cold caches), then periods it has not shown yet."""
    with fresh_page(run.browser) as page:
        visits = [("first visit (week)", clean(goto(page, run.url, *PERFORMANCE), "Performance"))]
        for period in NEW_PERIODS:
            change = radio(page, PERIODS, period)
            ready = settle(page, change, PERFORMANCE[1], watch=METRIC_TITLE.format(period))
            visits.append((f"new period ({period})", clean(ready, f"Performance, {period}")))
    first_chart, whole = [], []
    for label, ready in visits:
        assert ready.first_chart is not None  # the page has charts
        first_chart.append(ready.first_chart)
        whole.append(ready.seconds)
        run.note(
            f"Performance {label}: first chart {ready.first_chart:.2f} s, whole page "
            f"{ready.seconds:.2f} s; {phase_text([ready])}"
        )
    return [
        Measurement("Performance first visit: first chart", first_chart[:1], p95_target=2.0),
        Measurement("Performance first visit: whole page", whole[:1], p95_target=4.0),
        Measurement("Performance new period: first chart", first_chart[1:], p95_target=2.0),
        Measurement("Performance new period: whole page", whole[1:], p95_target=4.0),
    ]


def measure_mmd(run: Run) -> list[Measurement]:
    """The Timeline with the MMD detector on its 12 newest tested weekly windows."""
    what = "Timeline with MMD (12 windows)"
    option, title = MMD
    with fresh_page(run.browser) as page:
        clean(goto(page, run.url, *TIMELINE), "Timeline")
        prepare, act = combobox(page, TIMELINE_DETECTOR, option)
        prepare()
        started = time.perf_counter()
        try:
            ready = clean(
                settle(page, act, TIMELINE[1] + 1, (title,), timeout=run.mmd_timeout), what
            )
        except BenchError as exc:
            waited = time.perf_counter() - started
            run.note(f"{what}: {exc}")
            return [Measurement(what, [waited], None, 15.0, [f"not drawn in {waited:.0f} s"])]
    run.note(f"{what}: chart drawn after {ready.seconds:.1f} s; {phase_text([ready])}")
    return [Measurement(what, [ready.seconds], p95_target=15.0)]


def measure_pack(run: Run) -> list[Measurement]:
    """Review pack builds (July 2013, its drift run stored first) until Download shows."""
    with fresh_page(run.browser) as page:
        open_drift_result(run, page)
        clean(goto(page, run.url, *REVIEW_PACK), "Review pack")
        build = page.get_by_role("button", name=BUILD_PACK)
        download = page.get_by_role("button", name=DOWNLOAD_PACK)
        builds = []
        for _ in range(run.repeat):
            builds.append(clean(settle(page, build.click, REVIEW_PACK[1]), BUILD_PACK))
            expect(download).to_be_visible(timeout=1000)  # drawn by the run just finished
        with page.expect_download() as saved:
            download.click()
        archive = zipfile.ZipFile(io.BytesIO(Path(saved.value.path()).read_bytes()))
    charts = [n for n in archive.namelist() if n.startswith("charts/")]
    seconds = [r.seconds for r in builds]
    run.note(
        f"review pack builds: {seconds_text(seconds)} (the first starts kaleido's Chromium); "
        f"{phase_text(builds)}; the ZIP holds {len(charts)} charts"
    )
    flagged = [] if len(charts) == PACK_CHARTS else [f"{len(charts)} charts in the ZIP"]
    return [Measurement("review pack build → download button", seconds, None, 5.0, flagged)]


class ImportLoop(threading.Thread):
    """``python -m monitoring import`` of a shifted copy of a small CSV, again and again."""

    def __init__(self, db: Path, sample: Path, workdir: Path) -> None:
        super().__init__(name="import-loop", daemon=True)
        self.db, self.sample, self.workdir = db, sample, workdir
        self.stop = threading.Event()
        self.seconds: list[float] = []
        self.failures: list[str] = []

    def run(self) -> None:
        con = duckdb.connect()  # in memory: the database file is the app's and the import's
        con.execute("CREATE TABLE sample AS SELECT * FROM read_csv(?)", [str(self.sample)])
        n = 0
        while not self.stop.is_set():
            n += 1
            path = self.workdir / f"import_{n}.csv"
            # New timestamps and ids each time, so no file is a duplicate of another.
            con.execute(
                "COPY (SELECT * REPLACE ("
                f"scheduled_departure + to_minutes({n}) AS scheduled_departure, "
                f"flight_id || '/bench{n}' AS flight_id) FROM sample) TO {sql_text(path)}"
            )
            started = time.perf_counter()
            done = subprocess.run(
                [*IMPORT_COMMAND, str(path), "--spec", str(SPEC), "--db", str(self.db)],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=False,
            )
            self.seconds.append(time.perf_counter() - started)
            if done.returncode:
                self.failures.append((done.stderr.strip().splitlines() or ["(no message)"])[-1])
            path.unlink()


def sql_text(path: Path) -> str:
    """``path`` as an SQL string literal (DuckDB's COPY takes no parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


def write_import_sample(db: Path, target: Path) -> int:
    """A few thousand of the demo model's records as CSV; returns how many."""
    lo, hi = IMPORT_WINDOW
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute(
            f"COPY ({RECORDS_SQL} WHERE scheduled_departure >= '{lo}' "
            f"AND scheduled_departure < '{hi}') TO {sql_text(target)}"
        )
        (rows,) = con.execute("SELECT count(*) FROM read_csv(?)", [str(target)]).fetchone()
    finally:
        con.close()
    return int(rows)


@dataclass
class Session:
    """One browser context of the load test, its place in the page cycle and its load."""

    page: Page
    turn: int
    started: float | None = None
    target: tuple[str, int] = OVERVIEW

    def open_next(self, url: str) -> None:
        """Start loading the next page of the cycle (returns once the response starts)."""
        self.target = LOAD_CYCLE[self.turn % len(LOAD_CYCLE)]
        self.turn += 1
        self.started = time.perf_counter()
        self.page.goto(f"{url}{self.target[0]}{LINK}", wait_until="commit")


def measure_load(run: Run) -> list[Measurement]:
    """8 sessions loading pages in turn while an import loop appends records.

    Each browser context opens the Overview once first, untimed, as a returning user's
    browser has the app's JavaScript (Plotly's alone is 4.7 MB) cached; the browsers
    still share this machine's cores with the server.
    """
    with fresh_page(run.browser) as page:
        open_drift_result(run, page)  # so Feature drift shows its charts on every load
    sessions = [Session(new_page(run.browser, LOAD_TIMEOUT_S), i) for i in range(SESSIONS)]
    for s in sessions:  # untimed: each browser's cache then holds the app's JavaScript
        clean(goto(s.page, run.url, *OVERVIEW), "Overview")
    importer = ImportLoop(run.db, run.workdir / IMPORT_SAMPLE, run.workdir)
    readies: dict[str, list[Ready]] = {path: [] for path, _ in LOAD_CYCLE}
    flagged: list[str] = []
    importer.start()
    deadline = time.perf_counter() + run.load_seconds
    try:
        while time.perf_counter() < deadline or any(s.started is not None for s in sessions):
            for s in sessions:
                if s.started is None:
                    if time.perf_counter() < deadline:
                        try:
                            s.open_next(run.url)
                        except PlaywrightError as exc:
                            flagged.append(f"{s.target[0]}: {exc.message.splitlines()[0]}")
                            s.started = None
                    continue
                want = wanted(s.target[1], (), LOAD_TIMEOUT_S)
                found = s.page.evaluate(READY_CALL, [0, want])
                if found is not None:
                    readies[s.target[0]].append(as_ready(found, time.perf_counter(), s.started))
                    s.started = None
                elif time.perf_counter() - s.started > LOAD_TIMEOUT_S:
                    flagged.append(f"{s.target[0]}: not ready after {LOAD_TIMEOUT_S:g} s")
                    s.started = None
            time.sleep(0.05)
    finally:
        importer.stop.set()
        importer.join()
        for s in sessions:
            s.page.context.close()
    done = [r for rs in readies.values() for r in rs]
    loads = [r.seconds for r in done] + [LOAD_TIMEOUT_S] * sum("not ready" in f for f in flagged)
    errors, db_errors = sum(r.errors for r in done), sum(r.db_errors for r in done)
    imports = len(importer.seconds)
    by_page = ", ".join(
        f"{path} {statistics.median(r.seconds for r in rs):.1f} s (n={len(rs)})"
        for path, rs in readies.items()
        if rs
    )
    run.note(
        f"load: {len(loads)} page loads by {SESSIONS} sessions; median by page: {by_page}; "
        f"{phase_text(done)}; {errors} page exception(s), {db_errors} raw database error "
        f"text(s); imports {imports - len(importer.failures)} of {imports} succeeded, "
        f"median {statistics.median(importer.seconds or [0]):.1f} s each"
    )
    for line in importer.failures[:5] + flagged[:5]:
        run.note(f"  load: {line}")
    if importer.failures:
        flagged.append(f"{len(importer.failures)} failed imports")
    if errors or db_errors:
        flagged.append(f"{errors} exceptions, {db_errors} raw database errors")
    return [
        Measurement(f"{SESSIONS} sessions + import loop: page ready", loads, None, 5.0, flagged)
    ]


MEASURE: dict[str, Callable[[Run], list[Measurement]]] = {
    "performance": measure_performance,  # first: the server's caches are still cold
    "firstpaint": measure_first_paint,
    "widgets": measure_widgets,
    "pack": measure_pack,
    "mmd": measure_mmd,
    "load": measure_load,  # last: its imports change the data every cache is keyed by
}


# ---- the server ----


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def app_server(db: Path, log: Path) -> Iterator[tuple[str, int]]:
    """``streamlit run app.py`` on ``db``; yields its URL and pid, and always stops it."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true"]
    command += ["--server.address=127.0.0.1", f"--server.port={port}"]
    command += ["--server.fileWatcherType=none"]
    with log.open("wb") as out:
        server = subprocess.Popen(
            command,
            cwd=REPO,
            env={**os.environ, "DRIFTWATCH_DB": str(db)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                        if answer.read() == b"ok":
                            break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise BenchError(f"streamlit did not start: {log.read_text()}") from None
                    time.sleep(0.2)
            yield url, server.pid
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(pid: int, limit: float = IDLE_LIMIT_S) -> float:
    """Wait until the server uses under 5 % of a core for 1 s (at most ``limit`` s).

    Not for correctness: so one measurement's leftovers (the detectors' background
    import, a cache being filled) do not land on the next. Returns the wait.
    """
    started = time.monotonic()
    used = cpu_seconds(pid)
    while time.monotonic() - started < limit:
        time.sleep(1.0)
        now = cpu_seconds(pid)
        if now - used < 0.05:
            break
        used = now
    return time.monotonic() - started


def load_average() -> str:
    """The machine's 1-minute load average, as the kernel reports it."""
    return Path("/proc/loadavg").read_text().split()[0]


# ---- the report ----


def table(measurements: Sequence[Measurement]) -> str:
    """``what | median | p95 | target | met?`` as aligned text."""
    rows = [("what", "median", "p95", "target", "met?")]
    for m in measurements:
        met = {None: "—", True: "yes", False: "NO"}[m.met]
        if m.flagged:
            met += f" ({len(m.flagged)} flagged: {m.flagged[0][:60]})"
        what = f"{m.what} (n={len(m.samples)})"
        rows.append((what, f"{m.median:.2f} s", f"{m.p95:.2f} s", m.target, met))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-|-".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def as_json(measurements: Sequence[Measurement], run: Run, wall: float, loads: list[str]) -> str:
    """The results, the detail lines, the wall time and the load averages as JSON."""
    return json.dumps(
        {
            "wall_seconds": round(wall, 1),
            "load_averages": loads,
            "details": run.details,
            "measurements": [
                {
                    "what": m.what,
                    "samples": [round(s, 3) for s in m.samples],
                    "median": round(m.median, 3),
                    "p95": round(m.p95, 3),
                    "target": m.target,
                    "met": m.met,
                    "flagged": m.flagged,
                }
                for m in measurements
            ],
        },
        indent=2,
        ensure_ascii=False,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated, of: {','.join(MEASURE)}")
    parser.add_argument("--repeat", type=int, default=7, help="samples per repeated measurement")
    parser.add_argument("--db", type=Path, help="a database with the demo models (copied)")
    parser.add_argument("--mmd-timeout", type=float, default=300.0, help="seconds")
    parser.add_argument("--load-seconds", type=float, default=60.0, help="seconds")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args()
    chosen = list(MEASURE) if args.only is None else args.only.split(",")
    unknown = sorted(set(chosen) - set(MEASURE))
    if unknown:
        parser.error(f"unknown measurement(s) {unknown}; choose from {','.join(MEASURE)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    started = time.perf_counter()
    loads = [load_average()]
    measurements: list[Measurement] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench_ui_") as tmp:
        workdir = Path(tmp)
        db = workdir / "driftwatch.duckdb"
        if args.db is None:
            print("building the demo database …", file=sys.stderr, flush=True)
            demo = [sys.executable, "-m", "monitoring", "demo", "--db", str(db)]
            subprocess.run(demo, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        else:
            shutil.copyfile(args.db, db)
        if "load" in chosen:  # before the server holds the file
            rows = write_import_sample(db, workdir / IMPORT_SAMPLE)
            print(f"import loop: {rows:,} records per file", file=sys.stderr)
        with (
            app_server(db, workdir / "streamlit.log") as (url, pid),
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            run = Run(browser, url, db, workdir, args.repeat, args.mmd_timeout, args.load_seconds)
            with fresh_page(browser) as page:  # a warm server: its imports done, routing on
                clean(goto(page, url, *OVERVIEW), "Overview")
            for name in (n for n in MEASURE if n in chosen):
                waited = wait_idle(pid)
                idle = "idle" if waited < IDLE_LIMIT_S else "still busy"
                run.note(f"{name}: server {idle} after {waited:.0f} s; load {load_average()}")
                try:
                    measurements += MEASURE[name](run)
                except (BenchError, PlaywrightError) as exc:
                    failures.append(f"{name}: {exc}")
                    run.note(f"{name} FAILED: {exc}")
                    # The server's own words (a traceback) say why; the log goes with tmp.
                    log_tail = (workdir / "streamlit.log").read_text(errors="replace")
                    print(log_tail[-4000:], file=sys.stderr, flush=True)
                loads.append(load_average())
            browser.close()
    wall = time.perf_counter() - started
    print("\n".join(["", *run.details, ""]))
    print(table(measurements))
    print(f"\nwall time {wall:.0f} s; 1-minute load average {', '.join(loads)} (2 cores)")
    for failure in failures:
        print(f"FAILED {failure}")
    if args.json:
        print(as_json(measurements, run, wall, loads))
    return 0 if not failures and all(m.met is not False for m in measurements) else 1


if __name__ == "__main__":
    sys.exit(main())
