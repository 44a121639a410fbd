"""The app in headless Chromium against llama-cpp-python's server as a custom URL: the models list,
the server's documented support, JSON Schema mode refused (not retried), a JSON Object answer and its
notes. Screenshots at 1280x800, light and dark, go to ``test-artifacts/custom-server-*.png``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from structured_output.runs.store import RunStore
from tests.servers import free_port, start_app, stop_process
from tests.thirdparty.conftest import ThirdPartyServer
from tests.ui.test_browser import ACE, ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, RUN_TIMEOUT_MS, VIEWPORT, settled

pytestmark = [pytest.mark.browser, pytest.mark.thirdparty]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run app.py`` on a free port; no local engine is needed (autostart off)."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (bash scripts/setup.sh --test installs it)")
    env = {"SOP_LOCAL_ENGINE_PORT": str(free_port()), "SOP_LOCAL_ENGINE_AUTOSTART": "0",
           "SOP_RECENT_URLS_FILE": str(tmp_path_factory.mktemp("recent") / "recent_urls.json"), "DASHSCOPE_API_KEY": ""}
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    proc, url = start_app(log, env=env)
    _STORE.append(RunStore(log.parent / "playground.sqlite3"))  # where start_app keeps its runs and editors
    try:
        yield url
    finally:
        stop_process(proc)


_STORE: list[RunStore] = []


@pytest.fixture(autouse=True)
def _fresh_editors(app_url: str) -> None:
    """Each theme's walk starts from the example: not from the editors (custom URL, temperature) and
    the runs the app kept from the walk before."""
    _STORE[-1].clear_drafts()
    _STORE[-1].clear_runs()


def _to_top(page: object, locator: object) -> None:
    locator.evaluate("e => e.scrollIntoView({block: 'start'})")  # type: ignore[attr-defined]
    page.mouse.wheel(0, -70)  # type: ignore[attr-defined]
    settled(page)  # the scroll and st.json's drawing done before the picture


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_custom_url_run_against_llama_cpp_python(app_url: str, llama_cpp_server: ThirdPartyServer,
                                                    theme: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT, color_scheme=theme)
        page.set_default_timeout(60_000)
        expect.set_options(timeout=30_000)  # a busy 2-core machine redraws slowly
        try:
            page.goto(app_url)
            title = page.get_by_text("Structured output playground")
            expect(title).to_be_visible(timeout=60_000)
            side = page.locator('[data-testid="stSidebar"]')
            side.locator('[data-testid="stSelectbox"]').filter(has_text="Endpoint").click()
            page.get_by_role("option", name="Custom OpenAI-compatible URL").click()
            url_box = side.get_by_role("textbox", name="Base URL").last
            url_box.fill(llama_cpp_server.base_url)
            url_box.press("Enter")
            # the server's one model is listed and filled in
            expect(page.get_by_text("Models this server lists (1)")).to_be_visible(timeout=60_000)
            expect(page.get_by_role("textbox", name="Model")).to_have_value(llama_cpp_server.model)
            side.locator('[data-testid="stSelectbox"]').filter(has_text="Server").click()
            page.get_by_role("option", name="llama-cpp-python server").click()
            expect(side.get_by_text("llama-cpp-python server, as its docs say")).to_be_visible()

            page.get_by_role("radio", name="JSON Schema").check(force=True)
            page.get_by_role("button", name="Run").click()
            expect(page.get_by_text("not supported by this server").first).to_be_visible(timeout=RUN_TIMEOUT_MS)
            expect(page.get_by_text("This server does not support response_format type 'json_schema'")).to_be_visible()
            expect(page.get_by_text("running again later usually works")).to_have_count(0)
            # runs are numbered by the app's kept history (SQLite), which the light run has added to already
            first = page.get_by_text(re.compile(r"^Run #\d+ ·")).first.inner_text()
            run_no = int(re.match(r"Run #(\d+)", first).group(1))  # type: ignore[union-attr]
            ARTIFACTS.mkdir(exist_ok=True)
            _to_top(page, page.get_by_role("heading", name="Result"))
            page.screenshot(path=str(ARTIFACTS / f"custom-server-json-schema-{theme}.png"))

            page.get_by_role("radio", name="JSON Object").check(force=True)
            for i, text in enumerate(["Output JSON only.", "List three colors."]):
                page.frame_locator(ACE).nth(i).locator(".ace_content").click()
                page.keyboard.press("Control+A")
                page.keyboard.press("Delete")
                page.keyboard.insert_text(text)
                title.click()  # the editor sends its text when it loses focus
            # greedy (temperature 0): sampled at the server's default, the small model may nest keys on and on
            # ("0": {"1": {...) until the cap cuts it off, and the run's verdict would depend on the server's seed
            page.get_by_text("Set temperature").click()
            slider = page.get_by_role("slider")
            expect(slider).to_be_visible()
            slider.focus()
            slider.press("Home")
            expect(slider).to_have_attribute("aria-valuetext", "0.00")
            # capped: llama.cpp's grammar may let white space run on to the context's end
            page.get_by_text("Set max_tokens").click()
            expect(page.get_by_role("spinbutton", name="max_tokens")).to_be_visible()
            expect(page.get_by_text("Run is disabled")).to_have_count(0)
            page.get_by_role("button", name="Run").click()
            expect(page.get_by_text(f"Run #{run_no + 1} ·")).to_be_visible(timeout=RUN_TIMEOUT_MS)
            parsed = page.locator(".st-key-result_parsed")
            expect(parsed.get_by_text("succeeded")).to_be_visible()
            _to_top(page, page.get_by_role("heading", name="Result"))
            page.screenshot(path=str(ARTIFACTS / f"custom-server-json-object-{theme}.png"))
            _to_top(page, title)
            page.screenshot(path=str(ARTIFACTS / f"custom-server-models-{theme}.png"))
        finally:
            browser.close()
    assert Path(ARTIFACTS / f"custom-server-json-object-{theme}.png").is_file()
