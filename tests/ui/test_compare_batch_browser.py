"""The compare and batch pages in headless Debian Chromium (Playwright) against the real local engine:
compare across modes shows three columns; a batch of three pasted lines fills the table and summary;
Cancel on a longer batch keeps the rows already done. Screenshots at 1280x800 go to test-artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ui import test_browser as base

pytestmark = pytest.mark.browser

# the app server and the browser page of the playground's browser test (module-scoped server)
app_url = base.app_url
page = base.page
RUN_TIMEOUT_MS = base.RUN_TIMEOUT_MS


def shot(pg: object, name: str) -> Path:
    base.ARTIFACTS.mkdir(exist_ok=True)
    path = base.ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path))  # type: ignore[attr-defined]
    return path


def open_page(pg: object, title: str, heading: str) -> None:
    from playwright.sync_api import expect

    pg.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()  # type: ignore[attr-defined]
    expect(pg.get_by_role("heading", name=heading)).to_be_visible()  # type: ignore[attr-defined]


def paste_lines(pg: object, text: str) -> None:
    box = pg.get_by_role("textbox", name="One input a line")  # type: ignore[attr-defined]
    box.fill(text)
    box.press("Control+Enter")  # commit the text area's value (a rerun)


def test_compare_across_modes_shows_three_columns(page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    expect.set_options(timeout=60_000)
    expect(page.get_by_text("Structured output playground")).to_be_visible()
    open_page(page, "Compare", "Compare")
    run = page.get_by_role("button", name="Run 3 columns")
    expect(run).to_be_enabled()
    expect(page.frame_locator(base.ACE).nth(2).locator(".ace_editor")).to_be_visible()
    shot(page, "compare-01-input")

    run.click()
    expect(page.get_by_role("heading", name="Field by field")).to_be_visible(timeout=3 * RUN_TIMEOUT_MS)
    for i, label in enumerate(["None (plain text)", "JSON Object", "JSON Schema"]):
        head = page.locator(f".st-key-cmp_col{i}_head")
        expect(head).to_contain_text(f"{'ABC'[i]} · {label}")
        expect(head).to_contain_text("tokens out")
    # the plain column says what strict parsing made of the answer, whichever way it went
    plain = page.locator(".st-key-cmp_col0_parsed")
    expect(plain).to_contain_text(re.compile(r"Not valid JSON at line \d+, column \d+|Strict json.loads succeeded"))
    for i in (1, 2):
        expect(page.locator(f".st-key-cmp_col{i}_parsed")).to_contain_text("Strict json.loads succeeded")
    expect(page.locator(".st-key-cmp_col2_validation")).to_contain_text("Valid against the schema")
    base.scroll_to_top_of(page, page.get_by_role("heading", name="Results"))
    shot(page, "compare-02-columns")
    base.scroll_to_top_of(page, page.get_by_role("heading", name="Field by field"))
    shot(page, "compare-03-fields")


def test_batch_of_three_pasted_lines(page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    expect.set_options(timeout=60_000)
    expect(page.get_by_text("Structured output playground")).to_be_visible()
    open_page(page, "Batch", "Batch")
    paste_lines(page, "I am Alex Brown, 34 years old.\nLi Wei is 20.\nMaria Garcia, aged 41.")
    expect(page.get_by_text("3 rows", exact=True)).to_be_visible()
    run = page.get_by_role("button", name="Run 3 rows")
    expect(run).to_be_enabled()
    run.click()
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Running · \d of 3 rows done"))).to_be_visible()
    shot(page, "batch-01-running")

    expect(page.get_by_text(re.compile(r"3 rows done in \d+ s"))).to_be_visible(timeout=3 * RUN_TIMEOUT_MS)
    expect(page.get_by_text("3 of 3 rows shown.")).to_be_visible()
    expect(page.get_by_role("button", name="Download CSV")).to_be_visible()
    expect(page.get_by_role("button", name="Download JSONL")).to_be_visible()
    expect(page.get_by_role("heading", name="Summary by model and mode")).to_be_visible()
    base.scroll_to_top_of(page, page.get_by_role("heading", name="Results"))
    shot(page, "batch-02-results")
    base.scroll_to_top_of(page, page.get_by_role("heading", name="Summary by model and mode"))
    expect(page.locator('[data-testid="stVegaLiteChart"]').last).to_be_visible()  # the charts are drawn
    base.settled(page)
    shot(page, "batch-03-summary")


def test_cancel_keeps_the_rows_done(page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    expect.set_options(timeout=60_000)
    expect(page.get_by_text("Structured output playground")).to_be_visible()
    open_page(page, "Batch", "Batch")
    paste_lines(page, "Alex Brown is 34.")
    repeat = page.get_by_role("spinbutton", name="Repeat each row")
    repeat.fill("8")
    repeat.press("Enter")
    run = page.get_by_role("button", name="Run 8 rows")
    expect(run).to_be_enabled()
    run.click()
    expect(page.get_by_text(re.compile(r"Running · [1-7] of 8 rows done"))).to_be_visible(timeout=RUN_TIMEOUT_MS)
    page.get_by_role("button", name="Cancel").click()
    status = page.get_by_text(re.compile(r"Cancelled after [1-7] of 8 rows"))
    expect(status).to_be_visible(timeout=RUN_TIMEOUT_MS)
    done = int(re.search(r"after (\d) of 8", status.inner_text()).group(1))  # type: ignore[union-attr]
    expect(page.get_by_text(f"{done} of {done} rows shown.")).to_be_visible()
    expect(page.get_by_role("button", name="Run 8 rows")).to_be_enabled()  # ready for another batch
    base.scroll_to_top_of(page, page.get_by_role("heading", name="Results"))
    shot(page, "batch-04-cancelled")
