"""The Tokens view in headless Chromium against the real local engine: turn the Token view on, run the
getting-started request (JSON Object mode, streamed), open the view and hover a token: its tooltip
shows the probability under the grammar, the model's own, and the alternatives. In the light and the
dark theme (the tooltip follows it); screenshots at 1280x800 go to ``test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ui.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, RUN_TIMEOUT_MS, VIEWPORT, settled
from tests.ui.test_browser import app_url as app_url  # the fixture, for this module

pytestmark = pytest.mark.browser

TOOLTIP_BACKGROUND = {"light": "rgb(255, 255, 255)", "dark": "rgb(31, 36, 48)"}  # components/token_view.THEMES


@pytest.fixture(params=["light", "dark"])
def themed_page(request: pytest.FixtureRequest, app_url: str) -> Iterator[tuple[object, str]]:
    from playwright.sync_api import sync_playwright

    scheme = request.param
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport=VIEWPORT, color_scheme=scheme)
        pg.set_default_timeout(60_000)
        pg.goto(app_url)
        try:
            yield pg, scheme
        finally:
            browser.close()


def test_tokens_view_after_a_run_and_a_hovered_token(themed_page: tuple[object, str]) -> None:
    from playwright.sync_api import Page, expect

    page, scheme = themed_page
    assert isinstance(page, Page)
    expect.set_options(timeout=60_000)
    expect(page.locator('[data-testid="stSidebar"]').get_by_text("Local engine ready")).to_be_visible()
    page.get_by_text("Token view (logprobs)").click()
    expect(page.get_by_role("switch", name="Token view (logprobs)")).to_be_checked()
    page.get_by_role("button", name="Run").click()

    tokens = page.locator(".st-key-result_tokens")
    expect(tokens).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(tokens).to_contain_text("chosen among allowed tokens")
    expect(tokens).to_contain_text("the grammar overrode the model's first choice")
    strip = tokens.locator(".tv-tok")
    expect(strip.first).to_be_visible()
    assert strip.count() >= 5
    assert '"name"' in "".join(strip.evaluate_all("els => els.map(e => e.firstChild.textContent)"))

    tip = strip.first.locator(".tv-tip")
    expect(tip).to_be_hidden()
    strip.first.hover()
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("under the grammar")
    expect(tip).to_contain_text("the model alone")
    expect(tip).to_contain_text("alternatives")
    assert tip.evaluate("e => getComputedStyle(e).backgroundColor") == TOOLTIP_BACKGROUND[scheme]
    settled(page)  # the picture after the tooltip has been painted
    ARTIFACTS.mkdir(exist_ok=True)
    strip.first.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.mouse.wheel(0, -170)  # the summary line above the strip, the tooltip below it, in one picture
    settled(page)
    strip.first.hover()
    page.screenshot(path=str(ARTIFACTS / f"tokens-{scheme}-hover.png"))

    # a token reached with the keyboard shows its tooltip too
    strip.nth(2).focus()
    expect(strip.nth(2).locator(".tv-tip")).to_be_visible()
