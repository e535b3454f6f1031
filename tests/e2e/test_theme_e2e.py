"""Every page in the dark theme on an 800-px screen: readable text, nothing on top of a title.

Each page is screenshotted into ``shots/`` (git-ignored) to be looked at. The
checks are what a screenshot shows a person: the app is dark, every chart's
text (titles, annotations such as the statistics line, ticks, legends) stands
out from the background, no legend covers a chart's title, and nothing makes
the page wider than the screen.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from monitoring.demo import CLASSIFIER
from tests.conftest import REPO
from tests.e2e.conftest import wait_ready

pytestmark = pytest.mark.e2e

SHOTS = REPO / "shots"
WINDOW = f"model={CLASSIFIER}&from=2013-07-01&to=2013-08-01"
PAGES = ("", "feature_drift", "timeline", "performance", "upload", "data")

# Contrast of each chart text element against the app's background, in the page.
CONTRAST = """() => {
  const lum = (css) => {
    const [r, g, b] = css.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const app = document.querySelector('[data-testid="stApp"]');
  const bg = lum(getComputedStyle(app).backgroundColor);
  const worst = [];
  for (const t of document.querySelectorAll('.js-plotly-plot .main-svg text')) {
    // A heatmap cell's text sits on its cell, which plotly contrasts it with.
    if (!t.textContent.trim() || t.closest('.heatmaplayer')) continue;
    const fill = getComputedStyle(t).fill;
    if (!fill.startsWith('rgb')) continue;
    const l = lum(fill);
    const ratio = (Math.max(l, bg) + 0.05) / (Math.min(l, bg) + 0.05);
    worst.push([ratio, t.textContent.trim().slice(0, 40), fill]);
  }
  worst.sort((a, b) => a[0] - b[0]);
  return {background: bg, worst: worst.slice(0, 5)};
}"""

# Boxes of each chart's title and legend, to find a legend drawn over a title.
COVERED = """() => {
  const hits = [];
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const title = plot.querySelector('.gtitle');
    if (!title) continue;
    const t = title.getBoundingClientRect();
    for (const legend of plot.querySelectorAll('.legend')) {
      const l = legend.getBoundingClientRect();
      if (l.left < t.right && t.left < l.right && l.top < t.bottom && t.top < l.bottom) {
        hits.push(title.textContent.slice(0, 50));
      }
    }
  }
  return hits;
}"""


@pytest.fixture
def dark_narrow(browser: object):  # type: ignore[no-untyped-def]
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 800, "height": 900}, color_scheme="dark"
    )
    page = context.new_page()
    page.set_default_timeout(120_000)
    yield page
    context.close()


def test_every_page_reads_in_the_dark_at_800_px(app_url: str, dark_narrow) -> None:  # type: ignore[no-untyped-def]
    page = dark_narrow
    SHOTS.mkdir(exist_ok=True)
    problems: list[str] = []
    for name in PAGES:
        page.set_viewport_size({"width": 800, "height": 900})
        page.goto(f"{app_url}/{name}?{WINDOW}")
        wait_ready(page)
        # The first load can look idle before its script has started: wait for the page itself.
        expect(page.locator('[data-testid="stMain"] h1').first).to_be_visible()
        wait_ready(page)
        if name == "feature_drift":  # the table and distributions appear after a run
            page.get_by_role("button", name="Run drift tests").click()
            expect(page.get_by_text("Features drifted")).to_be_visible(timeout=180_000)
            wait_ready(page)
        charts = page.locator('[data-testid="stPlotlyChart"]')
        if charts.count():
            expect(charts.first.locator(".gtitle").first).to_be_attached()
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)
        label = name or "overview"
        # Streamlit scrolls inside its main block: grow the viewport to show it all.
        height = page.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
        )
        page.set_viewport_size({"width": 800, "height": min(max(900, height), 12_000)})
        page.wait_for_timeout(500)  # charts redraw at the new size
        page.screenshot(path=str(SHOTS / f"dark_800_{label}.png"))
        contrast = page.evaluate(CONTRAST)
        if contrast["background"] > 0.1:
            problems.append(f"{label}: the app is not dark (luminance {contrast['background']})")
        problems += [f"{label}: {text!r} ({fill}) at {ratio:.1f}:1" for ratio, text, fill in
                     contrast["worst"] if ratio < 3]  # fmt: skip
        problems += [f"{label}: a legend covers {title!r}" for title in page.evaluate(COVERED)]
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 800:
            problems.append(f"{label}: the page is {width} px wide on an 800-px screen")
    assert not problems, "\n".join(problems)
