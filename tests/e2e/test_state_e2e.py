"""Deep links and page switches in a real browser: each page's link, opened in a fresh
context, draws the same choices; choices survive going to another page and back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from monitoring.demo import CLASSIFIER
from tests.e2e.conftest import wait_ready

pytestmark = pytest.mark.e2e
LOADED = 300_000  # ms: a first Performance visit on a loaded 2-core machine takes minutes
WIDGETS = '[data-testid="stSelectbox"], [data-testid="stRadio"], [data-testid="stDateInput"]'


# A picker's label and options as text, then its chosen value: an input's value, a radio's
# checked option (inner text alone holds a select box's label, not its value).
_STATE = """els => els.map(e => [e.innerText.replace(/\\s+/g, ' ').trim(),
    ...Array.from(e.querySelectorAll('input')).map(i =>
        i.type === 'radio' ? (i.checked ? 'checked ' + i.value : '') : i.value)].join(' | '))"""


def state(page) -> list[str]:
    """What the page's pickers show (label, options and chosen value), in page order."""
    # Pickers inside a collapsed expander are drawn lazily, on some loads and not others.
    outside = f':is({WIDGETS}):not([data-testid="stExpander"] *)'
    return page.locator(f'[data-testid="stMain"] {outside}').evaluate_all(_STATE)


def open_fresh(browser, url: str, pickers: bool = True):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(LOADED)
    page.goto(url)
    # A fresh tab reads "not running" before its first script run starts: wait for the title.
    page.locator('[data-testid="stMain"] h1').first.wait_for()
    if pickers:  # the title comes before the page's first picker: wait for that too
        page.locator(f'[data-testid="stMain"] :is({WIDGETS})').first.wait_for()
    wait_ready(page)
    return context, page


def nav(page, name: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=name).click()
    wait_ready(page)


def test_each_pages_link_reproduces_its_view(app_url: str, browser) -> None:
    links = {
        "feature_drift": f"model={CLASSIFIER}&period=month&window=2013-07-01&correction=fdr",
        "timeline": f"model={CLASSIFIER}&period=month&feature=dest&range_from=2013-02-01",
        "performance": f"model={CLASSIFIER}&period=month&metric=roc_auc&window=2013-07-01",
        "review_pack": f"model={CLASSIFIER}&detector=ks&parts=table,volume",
        "upload": f"model={CLASSIFIER}",
        "data": f"model={CLASSIFIER}&from=2013-07-01&to=2013-07-31",
    }
    for path, query in links.items():
        pickers = path not in ("upload", "data")  # a file uploader and tabs only
        first, page = open_fresh(browser, f"{app_url}/{path}?{query}", pickers)
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)
        shown, link = state(page), page.url
        first.close()
        # The link the page wrote, in a fresh context.
        again, copy = open_fresh(browser, link, pickers)
        assert state(copy) == shown, path
        expect(copy.locator('[data-testid="stException"]')).to_have_count(0)
        again.close()
        if path == "feature_drift":
            assert "2013-07-01" in " ".join(shown) and "window=2013-07-01" in link
        if path == "performance":
            assert "ROC AUC" in " ".join(shown)


def test_choices_survive_a_page_switch(app_url: str, page) -> None:
    page.set_default_timeout(LOADED)
    page.goto(f"{app_url}/feature_drift?model={CLASSIFIER}&period=month&window=2013-07-01")
    # As in open_fresh: a fresh tab reads "not running" before its first run draws anything.
    page.locator(f'[data-testid="stMain"] :is({WIDGETS})').first.wait_for()
    wait_ready(page)
    drift = state(page)
    assert any("2013-07-01" in s for s in drift)
    nav(page, "Timeline")
    assert "window=" not in page.url
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Window").first.click()
    page.get_by_role("option", name="per month").click()
    wait_ready(page)
    assert "period=month" in page.url
    timeline = state(page)
    nav(page, "Feature drift")
    assert state(page) == drift
    assert "period=month" in page.url and "window=2013-07-01" in page.url
    nav(page, "Timeline")
    assert state(page) == timeline and "period=month" in page.url


def test_the_online_expander_stays_open_when_toggled(app_url: str, page) -> None:
    page.goto(f"{app_url}/timeline?model={CLASSIFIER}&period=month")
    wait_ready(page)
    expander = page.locator('[data-testid="stExpander"]').filter(has_text="Online detector")
    expander.locator("summary").click()  # its header (the toggle inside also names it)
    toggle = expander.get_by_text("Run the online detector")
    expect(toggle).to_be_visible()
    expect(expander.get_by_text("ERT (expected run time)")).to_be_visible()
    toggle.click()
    wait_ready(page)
    expect(expander.locator('[data-testid="stPlotlyChart"]')).to_be_visible()
    assert "online=" in page.url
