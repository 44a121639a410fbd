"""A person's session in headless Chromium (issue 14), against the real local engine: their own task in
JSON Object mode with no false "invalid", Run within reach at 1280x800 and Ctrl+Enter from an editor, the
result brought into view with the exact text in the Output panel, a reload that keeps the history and
the editors, "Open in playground" over edits asking first, the editors in the dark theme, and a
screenshot of every page in light and dark (``test-artifacts/session-*.png``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.page_waits import after_rerun, app_idle
from tests.ui import test_browser
from tests.ui.test_browser import ACE, ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, RUN_TIMEOUT_MS, VIEWPORT

app_url = test_browser.app_url  # the app on a free port, pointed at the test engine (module scope)

pytestmark = pytest.mark.browser
OWN_SYSTEM = "Extract the product, its unit price and the quantity. Return JSON."
OWN_USER = "I ordered 3 blue mugs at 4.50 each."
HEADING_IN_VIEW = """(name) => {
    const h = [...document.querySelectorAll('h4')].find(e => e.textContent.trim() === name);
    if (!h) return false;
    const r = h.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight;
}"""
NO_SKELETONS = "() => document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0"
PAGES = {"playground": "", "presets": "presets", "compare": "compare", "batch": "batch"}


@pytest.fixture(scope="module")
def browser(app_url: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def open_page(browser: object, url: str, scheme: str = "light") -> object:
    from playwright.sync_api import expect

    page = browser.new_context(viewport=VIEWPORT, color_scheme=scheme).new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(90_000)
    page.goto(url)
    if not url.rstrip("/").endswith(tuple(p for p in PAGES.values() if p)):
        for i in range(3):
            expect(page.frame_locator(ACE).nth(i).locator(".ace_editor")).to_be_visible()
    settle(page)
    return page


def settle(page: object) -> None:
    """No script run going on (Streamlit's own script-run state), never a fixed sleep."""
    app_idle(page)


def shot(page: object, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"session-{name}.png"
    page.screenshot(path=str(path))  # type: ignore[attr-defined]
    return path


def type_into(page: object, index: int, text: str) -> None:
    page.frame_locator(ACE).nth(index).locator(".ace_content").click()  # type: ignore[attr-defined]
    page.keyboard.press("Control+A")  # type: ignore[attr-defined]
    page.keyboard.press("Delete")  # type: ignore[attr-defined]
    page.keyboard.insert_text(text)  # type: ignore[attr-defined]


def editor_text(page: object, index: int) -> str:
    """The text an editor draws, soft wraps undone."""
    drawn = page.frame_locator(ACE).nth(index).locator(".ace_content").inner_text()  # type: ignore[attr-defined]
    return " ".join(drawn.split())


def text_above_its_box(page: object, index: int) -> float:
    """How far an editor's text sits above its visible box (0 when drawn where it is seen): a native
    scroll Ace never undoes drew replaced text out of sight."""
    content = page.frame_locator(ACE).nth(index).locator(".ace_content")  # type: ignore[attr-defined]
    return content.evaluate("e => e.parentElement.getBoundingClientRect().top - e.getBoundingClientRect().top")


def in_view(locator: object) -> bool:
    box = locator.bounding_box()  # type: ignore[attr-defined]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"]


def test_own_task_ctrl_enter_reload_and_open_over_edits(browser: object, app_url: str) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=90_000)
    page = open_page(browser, app_url)
    run = page.get_by_role("button", name="Run")  # type: ignore[attr-defined]
    assert in_view(run), "Run is out of reach at the top of the page"
    shot(page, "playground-light")

    # their own task over the example's schema: validation against it turns off, and says why
    type_into(page, 0, OWN_SYSTEM)
    type_into(page, 1, OWN_USER)
    # click away. The editors post their text as it is typed (after a short pause), so the rerun may
    # already be over: wait on what the page then says, not on a rerun.
    page.get_by_text("Structured output playground").click()  # type: ignore[attr-defined]
    expect(page.get_by_text("prompts are no longer that example's")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.get_by_text("· not validated ·")).to_be_visible()  # type: ignore[attr-defined]
    settle(page)
    expect(page.get_by_role("radio", name="nothing")).to_be_checked()  # type: ignore[attr-defined]
    assert OWN_USER in editor_text(page, 1)
    for i in range(2):  # drawn, not an empty-looking editor holding the text
        assert text_above_its_box(page, i) == 0
    shot(page, "own-task")

    # Ctrl+Enter from inside an editor runs it; the result comes into view
    page.frame_locator(ACE).nth(1).locator(".ace_content").click()  # type: ignore[attr-defined]
    page.keyboard.press("End")  # type: ignore[attr-defined]
    page.keyboard.press("Control+Enter")  # type: ignore[attr-defined]
    # a long run shows its stage and the tokens so far, not a bare spinner
    expect(page.get_by_text(re.compile(r"Decoding: \d+ pieces? so far"))).to_be_visible(  # type: ignore[attr-defined]
        timeout=RUN_TIMEOUT_MS)
    shot(page, "run-stages")
    output = page.locator(".st-key-result_raw")  # type: ignore[attr-defined]
    expect(output).to_contain_text("exactly as received", timeout=RUN_TIMEOUT_MS)
    settle(page)
    assert editor_text(page, 1) == OWN_USER  # Ctrl+Enter ran, it did not add a line
    # the result is scrolled into view (a smooth scroll: wait for the heading to arrive in the window)
    page.wait_for_function(HEADING_IN_VIEW, arg="Result", timeout=30_000)  # type: ignore[attr-defined]
    validation = page.locator(".st-key-result_validation")  # type: ignore[attr-defined]
    expect(validation).to_contain_text("Not checked: you chose to validate against nothing")
    expect(validation).not_to_contain_text("validation error")
    expect(page.locator(".st-key-result_engine_notes")).to_contain_text("steered the keys")  # type: ignore[attr-defined]
    expect(output.get_by_text("Raw response:")).to_be_visible()  # collapsed, one line
    shot(page, "result-light")

    # a reload keeps the history and the editors
    page.reload()  # type: ignore[attr-defined]
    for i in range(3):
        expect(page.frame_locator(ACE).nth(i).locator(".ace_editor")).to_be_visible()  # type: ignore[attr-defined]
    settle(page)
    assert OWN_SYSTEM in editor_text(page, 0) and OWN_USER in editor_text(page, 1)
    expect(page.get_by_role("button", name="Reopen in the editors")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.get_by_role("radio", name="nothing")).to_be_checked()  # type: ignore[attr-defined]

    # Open in playground over those edits asks first
    after_rerun(page, lambda: page.get_by_role("link", name="Presets").click())  # type: ignore[attr-defined]
    first = page.get_by_role("button", name="Open in playground").first  # type: ignore[attr-defined]
    first.click()
    dialog = page.get_by_role("dialog")  # type: ignore[attr-defined]
    expect(dialog).to_contain_text("Replace your edits?")
    shot(page, "open-over-edits")
    dialog.get_by_role("button", name="Keep my edits").click()
    expect(dialog).to_have_count(0)
    first.click()
    page.get_by_role("dialog").get_by_role("button", name="Replace and open").click()  # type: ignore[attr-defined]
    expect(page.get_by_text("Structured output playground")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.frame_locator(ACE).nth(1).locator(".ace_editor")).to_be_visible()  # type: ignore[attr-defined]
    settle(page)
    assert OWN_USER not in editor_text(page, 1)
    page.context.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_light_and_dark(browser: object, app_url: str, scheme: str) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=90_000)
    page = open_page(browser, app_url, scheme)
    editor = page.frame_locator(ACE).nth(0).locator(".ace_editor")  # type: ignore[attr-defined]
    klass = editor.get_attribute("class") or ""
    assert ("ace-tomorrow-night" in klass) == (scheme == "dark"), klass
    expect(page.locator('[data-testid="stAppDeployButton"]')).to_be_hidden()  # type: ignore[attr-defined]
    shot(page, f"playground-{scheme}")
    for name, path in PAGES.items():
        if not path:
            continue
        page.goto(f"{app_url}/{path}")  # type: ignore[attr-defined]
        expect(page.locator('[data-testid="stMainBlockContainer"] h3').first).to_be_visible()  # type: ignore[attr-defined]
        settle(page)
        page.wait_for_function(NO_SKELETONS, timeout=60_000)  # type: ignore[attr-defined]
        shot(page, f"{name}-{scheme}")
    page.context.close()  # type: ignore[attr-defined]
