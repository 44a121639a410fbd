"""The real app in headless Chromium, for what only a browser shows:

- model output (and a server's error text) holding ``<script>``, an ``<img onerror>``, Markdown and
  bare links is shown as text: no script runs, no element or link is created from it;
- five browser sessions at once against one app server: each runs once and sees its own result, its
  own history and its own typed text;
- a key typed in the sidebar and the ``DASHSCOPE_API_KEY`` of the app's environment never reach the
  page, even from a server that echoes the key, nor the app server's log.

The app runs as ``streamlit run app.py`` against the session's local engine; a ``RecordingServer``
plays a custom OpenAI-compatible endpoint.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from structured_output.runs.store import RunStore
from tests.hardening.conftest import ROOT
from tests.hardening.figures import Fault, Figures, Load
from tests.page_waits import after_rerun, commit_editors
from tests.servers import start_app, stop_process
from tests.unit.recording_server import RecordingServer, Reply

pytestmark = [pytest.mark.browser, pytest.mark.engine, pytest.mark.hardening]

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}
ACE = 'iframe[title="streamlit_ace.streamlit_ace"]'
ARTIFACTS = ROOT / "test-artifacts"
RUN_TIMEOUT_MS = 300_000
EVIL = ('<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2"> '
        '[click me](http://evil.example/md) http://evil.example/bare **bold** :red[red] $x^2$')
ENV_KEY = "sk-canaryenv-" + secrets.token_hex(12)


@pytest.fixture(scope="module")
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def app(local_engine_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``streamlit run app.py`` on a free port with a canary ``DASHSCOPE_API_KEY``; (url, log path)."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (bash scripts/setup.sh --test installs it)")
    tmp = tmp_path_factory.mktemp("hardening-app")
    env = {"SOP_LOCAL_ENGINE_PORT": str(urlparse(local_engine_url).port), "DASHSCOPE_API_KEY": ENV_KEY,
           "SOP_USER_PRESETS_DIR": str(tmp / "presets")}
    log_path = tmp / "streamlit.log"
    proc, url = start_app(log_path, env=env)
    try:
        yield url, log_path
    finally:
        stop_process(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def open_app(browser: Any, url: str) -> Any:
    from playwright.sync_api import expect

    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.set_default_timeout(90_000)
    page.goto(url)
    expect(page.get_by_text("Structured output playground")).to_be_visible()
    for i in range(3):
        expect(page.frame_locator(ACE).nth(i).locator(".ace_editor")).to_be_visible()
    return page


def replace_editor_text(page: Any, index: int, text: str) -> None:
    """Select all in the ``index``-th Ace editor and insert ``text`` (no auto-closed brackets)."""
    page.frame_locator(ACE).nth(index).locator(".ace_content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def text_box(scope: Any, label: str) -> Any:
    return scope.locator(f'input[aria-label="{label}"]')


def editor_text(page: Any, index: int) -> str:
    return page.frame_locator(ACE).nth(index).locator(".ace_content").inner_text()




def pick_sidebar_option(page: Any, label: str, option: str) -> None:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text=label)
    box.click()
    after_rerun(page, lambda: page.get_by_role("option", name=option).click())


def assert_inert(page: Any) -> None:
    """Nothing from the model or server text became markup or ran."""
    assert page.evaluate("() => window.__pwned") is None
    links = page.evaluate("""() => [...document.querySelectorAll('a[href*="evil.example"]')].map(a => {
        let e = a, trail = [];
        while (e && trail.length < 12) {
            trail.push(e.getAttribute('data-testid') || e.className || e.tagName);
            e = e.parentElement;
        }
        return a.outerHTML.slice(0, 200) + ' <- ' + trail.join(' < ');
    })""")
    assert not links, links
    assert page.locator('img[src="x"]').count() == 0
    frames_with_script = page.evaluate(
        "() => [...document.querySelectorAll('script')].filter(s => s.textContent.includes('__pwned')).length")
    assert frames_with_script == 0


def test_model_output_and_server_errors_are_shown_as_text(browser: Any, app: tuple[str, Path],
                                                          server: RecordingServer, fig: Figures) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=90_000)
    page = open_app(browser, app[0])
    after_rerun(page, lambda: page.get_by_role("radio", name="JSON Schema").check(force=True))
    # The schema forces the model to write the hostile text: an enum of one value.
    schema = {"type": "object", "properties": {"note": {"type": "string", "enum": [EVIL]}}, "required": ["note"],
              "additionalProperties": False}
    replace_editor_text(page, 2, json.dumps(schema, indent=2))
    commit_editors(page)
    expect(page.get_by_text("Valid JSON Schema.")).to_be_visible()
    page.get_by_role("button", name="Run").click()
    raw = page.locator(".st-key-result_raw")
    parsed = page.locator(".st-key-result_parsed")
    expect(raw).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(raw).to_contain_text("stream chunks")  # the text arrives in pieces, one chunk a line
    for piece in ("script", "window"):
        expect(raw).to_contain_text(piece)
    expect(parsed).to_contain_text("<script>window.__pwned = 1</script>")
    expect(parsed).to_contain_text("[click me](http://evil.example/md)")
    expect(page.locator(".st-key-result_validation")).to_contain_text("Valid against the schema")
    assert_inert(page)

    # A server whose error message carries the same text: the error box shows it as text too.
    pick_sidebar_option(page, "Endpoint", "Custom OpenAI-compatible URL")
    sidebar = page.locator('[data-testid="stSidebar"]')
    url_box = text_box(sidebar, "Base URL")
    url_box.fill(f"http://127.0.0.1:{server.port}/v1")
    after_rerun(page, lambda: url_box.press("Enter"))
    model_box = text_box(page, "Model")
    model_box.fill("hostile-server")
    after_rerun(page, lambda: model_box.press("Enter"))
    server.replies[:] = [Reply(400, {"error": {"message": f"bad request: {EVIL}", "code": EVIL}})]
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("HTTP 400").first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.locator('[data-testid="stAlert"]').filter(has_text="bad request").first).to_contain_text(
        "<script>window.__pwned = 1</script>")
    assert_inert(page)
    page.get_by_text("Compare two runs").click()  # an expander: the two outputs side by side, no rerun
    expect(page.locator('[data-testid="stExpander"]').filter(has_text="Compare two runs")
           .locator('[data-testid="stCode"]').nth(1)).to_be_visible()
    assert_inert(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "hardening-hostile-output.png"), full_page=True)
    fig.faults.append(Fault("hostile model output and server error (<script>, <img onerror>, links) shown as text",
                            "browser", True, True, True))
    page.context.close()


def test_five_browser_sessions_at_once(browser: Any, app: tuple[str, Path], fig: Figures) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=90_000)
    # The app keeps the editors of its last session (SQLite): start these five from the defaults (the local
    # engine), not from the custom URL of the test before.
    RunStore(app[1].parent / "playground.sqlite3").clear_drafts()
    started = time.monotonic()
    pages = [open_app(browser, app[0]) for _ in range(5)]
    names = ["Alex Brown", "Li Wei", "Ana Souza", "Omar Haddad", "Yuki Sato"]
    for page, name in zip(pages, names, strict=True):
        replace_editor_text(page, 1, f"My name is {name} and I am 3{len(name) % 10} years old.")
        commit_editors(page)
    for page in pages:  # all five runs in flight together: the engine queues them
        expect(page.get_by_role("button", name="Run")).to_be_enabled()
        page.get_by_role("button", name="Run").click()
    request_ids = []
    for page, name in zip(pages, names, strict=True):
        raw = page.locator(".st-key-result_raw")
        expect(raw).to_contain_text("request id", timeout=RUN_TIMEOUT_MS)
        # its own history: one run (numbered by the app's SQLite history, so not always #1)
        expect(page.get_by_text(re.compile(r"^Run #\d+ ·")).first).to_be_visible()
        assert page.get_by_text(re.compile(r"^Run #\d+ ·")).count() == 1
        assert name in editor_text(page, 1)  # its own text, untouched by the others
        caption = raw.locator('[data-testid="stCaptionContainer"]').first.inner_text()
        request_ids.append(caption.rsplit("request id", 1)[1].strip())
    assert len(set(request_ids)) == 5, request_ids
    took = time.monotonic() - started
    for page in pages:
        page.context.close()
    fig.loads.append(Load("5 browser sessions at once, one app server", 5, 5, 0, 5, seconds=took))


def test_keys_never_reach_the_page_or_the_log(browser: Any, app: tuple[str, Path], server: RecordingServer,
                                              fig: Figures) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=90_000)
    typed = "sk-canarytyped-" + secrets.token_hex(12)
    page = open_app(browser, app[0])
    pick_sidebar_option(page, "Endpoint", "DashScope Singapore")
    expect(page.locator('[data-testid="stSidebar"]').get_by_text("from the environment")).to_be_visible()
    assert ENV_KEY not in page.content()

    pick_sidebar_option(page, "Endpoint", "Custom OpenAI-compatible URL")
    sidebar = page.locator('[data-testid="stSidebar"]')
    text_box(sidebar, "Base URL").fill(f"http://127.0.0.1:{server.port}/v1")
    after_rerun(page, lambda: text_box(sidebar, "Base URL").press("Enter"))
    text_box(page, "Model").fill("echo-model")
    after_rerun(page, lambda: text_box(page, "Model").press("Enter"))
    key_box = text_box(sidebar, "API key (optional)")
    key_box.fill(typed)
    key_box.press("Enter")
    expect(sidebar.get_by_text("A typed key is set for this session.")).to_be_visible()
    expect(key_box).to_have_value("")  # taken out of the field once entered
    server.replies[:] = [Reply(401, {"error": {"message": "Incorrect API key provided: {AUTH}"}}, echo_auth=True)]
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("HTTP 401").first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    assert server.requests[-1].headers["authorization"] == f"Bearer {typed}"
    expect(page.get_by_text("[redacted key]").first).to_be_visible()
    page.get_by_text("Code for this request").click()  # an expander: opened in the page, no rerun
    expect(page.locator('[data-testid="stExpander"]').filter(has_text="Code for this request")
           .locator('[data-testid="stCode"]').first).to_be_visible()
    html = page.content()
    for frame in page.frames:
        html += frame.content()
    assert typed not in html and ENV_KEY not in html
    frames = len(page.frames)
    page.context.close()
    log = app[1].read_text(errors="replace")
    assert typed not in log and ENV_KEY not in log
    fig.notes.append(f"Browser: a typed key and the environment's key appear in 0 of {frames} frames "
                     f"of the page and 0 of {len(log.splitlines())} app-server log lines "
                     "(server echoing the key).")
