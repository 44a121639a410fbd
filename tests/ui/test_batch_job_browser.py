"""The batch page's job path in headless Debian Chromium against the real local engine: start a job,
reload the page (a new session: nothing of the job is left in the browser), find the job in the service's
list, open it and read its results. Screenshots at 1280x800, light and dark, go to test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.ui import test_browser as base
from tests.ui.test_compare_batch_browser import open_page, paste_lines, shot

pytestmark = pytest.mark.browser

app_url = base.app_url
page = base.page
RUN_TIMEOUT_MS = base.RUN_TIMEOUT_MS


def test_a_job_is_found_again_after_a_reload(page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    expect.set_options(timeout=60_000)
    expect(page.get_by_text("Structured output playground")).to_be_visible()
    open_page(page, "Batch", "Batch")
    paste_lines(page, "I am Alex Brown, 34 years old.\nLi Wei is 20.")
    page.get_by_text("A batch job", exact=True).click()
    start = page.get_by_role("button", name="Start a job of 2 rows")
    expect(start).to_be_enabled()
    jobs = page.get_by_role("combobox", name=re.compile("Batch jobs on this service"))
    base.settled(page)
    start.click()
    # the list picks the job just started: its line says 2 rows (the shared engine holds other tests' jobs,
    # and the list may show the newest of those until this one is created)
    mine = page.get_by_text(re.compile(r"batch_[0-9a-f]+-\d+: [a-z ]+ · \d+ of 2 rows"))
    expect(mine).to_be_visible()
    job_id = re.search(r"batch_[0-9a-f]+-\d+", mine.inner_text()).group(0)  # type: ignore[union-attr]
    expect(jobs).to_have_value(re.compile(re.escape(job_id) + " · qwen-flash · created "))
    base.scroll_to_top_of(page, jobs)
    shot(page, "batch-job-01-started")

    page.reload()  # a new session: the page knows nothing of the job
    expect(page.get_by_role("heading", name="Batch")).to_be_visible()
    page.get_by_text("A batch job", exact=True).click()
    jobs = page.get_by_role("combobox", name=re.compile("Batch jobs on this service"))
    expect(jobs).to_have_value(re.compile(re.escape(job_id) + " · "))  # the newest job, listed by the service
    page.get_by_role("button", name="Open", exact=True).filter(has_text="Open").click()  # not the list's toggle
    done = page.get_by_text(re.compile(re.escape(job_id) + r" completed: 2 answered"))
    expect(done).to_be_visible(timeout=3 * RUN_TIMEOUT_MS)
    expect(page.get_by_text("2 of 2 rows shown.")).to_be_visible()
    expect(page.get_by_role("heading", name="Summary by model and mode")).to_be_visible()
    base.scroll_to_top_of(page, page.get_by_role("heading", name="Results"))
    shot(page, "batch-job-02-results-light")
    page.emulate_media(color_scheme="dark")  # Streamlit follows the system theme
    base.settled(page)
    shot(page, "batch-job-03-results-dark")
    base.scroll_to_top_of(page, jobs)
    shot(page, "batch-job-04-list-dark")


def test_expected_values_are_scored_beside_validity(page: object) -> None:
    """Issue 14: the mode column in view without scrolling sideways, and "valid" set beside "correct"."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    expect.set_options(timeout=60_000)
    expect(page.get_by_text("Structured output playground")).to_be_visible()
    open_page(page, "Batch", "Batch")
    page.get_by_text("Upload a file", exact=True).click()
    page.locator('input[type="file"]').set_input_files(files=[{
        "name": "people.csv", "mimeType": "text/csv",
        "buffer": b"text,expected.name,expected.age\n\"I am Alex Brown, 34 years old.\",Alex Brown,34\n"
                  b"Li Wei is 20.,Li Wei,21\n"}])
    expect(page.get_by_text(re.compile(r"correctness scored on name, age"))).to_be_visible()
    page.get_by_role("button", name="Run 2 rows").click()
    expect(page.get_by_text(re.compile(r"2 rows done in \d+ s"))).to_be_visible(timeout=3 * RUN_TIMEOUT_MS)
    expect(page.get_by_text(re.compile("valid says the output fits the schema; correct compares it"))).to_be_visible()
    # the grid draws its headers on a canvas: their order is AppTest's to check, their look the screenshot's
    base.scroll_to_top_of(page, page.get_by_role("heading", name="Results"))
    shot(page, "batch-correct-01-light")
    page.emulate_media(color_scheme="dark")
    base.scroll_to_top_of(page, page.get_by_role("heading", name="Summary by model and mode"))
    shot(page, "batch-correct-02-summary-dark")
