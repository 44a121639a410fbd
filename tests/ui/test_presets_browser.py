"""The presets page in headless Chromium (Debian's, driven by Playwright) against the real local engine.

Reaches the page through the sidebar, runs two client forms of the getting-started example here (each
tab beside its own documented result), searches, runs the receipt-image preset (documented beside live,
with the differences), opens it in the playground, and looks at the save/export/import tab.
Screenshots at 1280x800 go to ``test-artifacts/presets-*.png``; the forms are shot in light and dark.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from structured_output.presets import load_presets
from tests.ui import test_browser
from tests.ui.test_browser import ARTIFACTS, RUN_TIMEOUT_MS, scroll_to_top_of, settled

# The playground's browser fixtures, shared: the app on a free port pointed at the test engine, and
# Debian's Chromium at 1280x800 on it.
app_url = test_browser.app_url
browser_page = test_browser.page

pytestmark = pytest.mark.browser
PRESETS = load_presets()
BACKGROUND_IS = "() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor "
COUNT = f"{len(PRESETS)} of {len(PRESETS)} presets · {sum(len(p.variants()) for p in PRESETS)} client forms"


@pytest.fixture(scope="module", autouse=True)
def own_user_presets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The app server (started after this, by ``app_url``) gets an empty user-presets folder, so the
    counts below do not depend on presets saved on this machine."""
    old = os.environ.get("SOP_USER_PRESETS_DIR")
    os.environ["SOP_USER_PRESETS_DIR"] = str(tmp_path_factory.mktemp("user-presets"))
    yield
    if old is None:
        os.environ.pop("SOP_USER_PRESETS_DIR", None)
    else:
        os.environ["SOP_USER_PRESETS_DIR"] = old


def shot(page: object, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"presets-{name}.png"
    page.screenshot(path=str(path))  # type: ignore[attr-defined]
    return path


def card(page: object, preset_id: str) -> object:
    return page.locator(f".st-key-presets_card__shipped__{preset_id}")  # type: ignore[attr-defined]


def test_browse_run_two_presets_and_open_one(browser_page: object) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    expect.set_options(timeout=60_000)
    expect(page.get_by_text("Structured output playground")).to_be_visible()
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Presets").click()
    expect(page.get_by_text(COUNT)).to_be_visible()
    expect(page.get_by_role("heading", name="Getting started")).to_be_visible()
    settled(page)
    shot(page, "01-library")

    # the getting-started example: its first form (Python openai), run here beside its documented result
    text = card(page, "getting-started")
    expect(text.get_by_role("tab")).to_have_count(6)
    text.get_by_role("button", name="Run here").click()
    expect(text.get_by_role("tab", name="Documented vs live")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(text.get_by_text("Expected outcome: JSON that parses")).to_be_visible()
    expect(text.get_by_text("the message content the reference shows")).to_be_visible()
    expect(text.get_by_text("on the local engine · served by")).to_be_visible()
    scroll_to_top_of(page, text)
    shot(page, "02-text-run")

    # another form of the same example, in its tab: Node.js, whose documented answer says "Name"/"Age"
    text.get_by_role("tab", name="Node.js · openai").click()
    # the form's note is in its details (compact rows): one click away
    text.locator('[data-testid="stExpander"] summary >> visible=true').filter(
        has_text="Prompts, schema and the reference's code").first.click()
    expect(text.get_by_text("the documented answer capitalizes the keys")).to_be_visible()
    expect(text.get_by_text("Documented vs live")).to_have_count(0)  # this form has not run yet
    text.get_by_role("button", name="Run here").click()
    expect(text.get_by_role("tab", name="Documented vs live")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(text.get_by_text('"Name": "Alex Brown",', exact=True)).to_be_visible()  # documented, capitalized
    page.mouse.move(5, 795)  # no tooltip over the card
    scroll_to_top_of(page, text)
    settled(page)
    shot(page, "02b-forms-light")
    page.emulate_media(color_scheme="dark")  # Streamlit follows the system theme
    page.wait_for_function(BACKGROUND_IS + "!== 'rgb(255, 255, 255)'")
    settled(page)
    shot(page, "02c-forms-dark")
    if text.locator('[data-testid="stDataFrame"]').count():  # the differences, marked, in the dark theme
        scroll_to_top_of(page, text.get_by_text("from the documented result"))
        settled(page)
        shot(page, "02d-forms-dark-diff")
    page.emulate_media(color_scheme="light")
    page.wait_for_function(BACKGROUND_IS + "=== 'rgb(255, 255, 255)'")

    # the curl native form documents the whole response body, with its usage figures
    text.get_by_role("tab", name="curl · DashScope native").click()
    native = text.get_by_role("tabpanel", name="curl · DashScope native")  # every tab has its own details
    native.get_by_text("Prompts, schema and the reference's code").click()
    expect(native.get_by_text("curl -X POST https://dashscope-intl.aliyuncs.com/api/v1/services/aigc/text-generation")
           ).to_be_visible()
    native.get_by_text("Prompts, schema and the reference's code").click()
    text.get_by_role("tab", name="Python · openai").click()
    expect(text.get_by_text("on the local engine · served by")).to_be_visible()  # its run is kept

    # the receipt-image preset, found by searching
    page.get_by_role("textbox", name="Search").fill("receipt")
    page.get_by_role("textbox", name="Search").press("Enter")
    expect(page.get_by_text(f"1 of {len(PRESETS)} presets · 6 client forms")).to_be_visible()
    image = card(page, "image-ticket-invoice")
    image.get_by_text("Prompts, schema and the reference's code").click()
    expect(image.get_by_text("The reference's image, unreachable offline")).to_be_visible()
    expect(image.locator("img").first).to_be_visible()
    scroll_to_top_of(page, image)
    shot(page, "03-image-details")
    image.get_by_text("Prompts, schema and the reference's code").click()  # fold it again

    image.get_by_role("button", name="Run here").click()
    expect(image.get_by_role("tab", name="Documented vs live")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(image.get_by_text("221021325353").first).to_be_visible()  # the documented invoice code
    expect(image.get_by_text("Expected outcome: JSON that parses")).to_be_visible()
    scroll_to_top_of(page, image.get_by_role("tab", name="Documented vs live"))
    shot(page, "04-image-run")
    if image.get_by_text("from the documented result").count():
        expect(image.locator('[data-testid="stDataFrame"]')).to_be_visible()
        # however the live result nests, the page says how many documented values it carries
        expect(image.get_by_text(re.compile(r"\d of 7 documented values came back under the same key"))).to_be_visible()
        image.locator('[data-testid="stDataFrame"]').scroll_into_view_if_needed()
        expect(image.locator('[data-testid="stDataFrame"] canvas').first).to_be_visible()
        settled(page)
        shot(page, "05-image-diff")

    # the full panels of the same run
    image.get_by_role("tab", name="Raw · parsed · validation").click()
    expect(image.get_by_text("Strict json.loads succeeded")).to_be_visible()

    # open it in the playground: model, prompts, the receipt and this run's result are there
    image.get_by_role("button", name="Open in playground").click()
    expect(page.get_by_text("Structured output playground")).to_be_visible()
    model_box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Model")
    expect(model_box.get_by_role("combobox")).to_have_value("qwen3-vl-plus")
    expect(page.get_by_text("receipt.png · ")).to_be_visible()
    expect(page.frame_locator('iframe[title="streamlit_ace.streamlit_ace"]').nth(1)
           .get_by_text("Extract the ticket information")).to_be_visible()
    # the third run of the session (getting-started's Python and Node.js forms, then the receipt): the one opened
    expect(page.get_by_text(re.compile(r"^Run #3 · .* · qwen3-vl-plus · JSON Object · parsed$"))).to_be_visible()
    scroll_to_top_of(page, page.get_by_text("Structured output playground"))
    shot(page, "06-opened-in-playground")
    scroll_to_top_of(page, page.get_by_role("heading", name="Result"))
    shot(page, "07-opened-run-result")

    # back on the presets page: save, export, import
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Presets").click()
    page.get_by_role("tab", name="Save · export · import").click()
    expect(page.get_by_text("The playground now holds: qwen3-vl-plus")).to_be_visible()
    settled(page)
    shot(page, "08-save-export-import")
