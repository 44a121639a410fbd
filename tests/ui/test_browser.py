"""The real app in headless Chromium (Debian's, driven by Playwright) against the real local engine.

Types a schema into the Ace editor, picks JSON Schema mode, uploads an image, runs, and checks the
three panels. Screenshots at 1280x800 go to ``test-artifacts/`` to be looked at.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from PIL import Image, ImageDraw, ImageFont

from structured_output.runs.store import RunStore
from tests.page_waits import after_rerun, commit_editors
from tests.servers import start_app, stop_process

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}
RUN_TIMEOUT_MS = 300_000
ACE = 'iframe[title="streamlit_ace.streamlit_ace"]'

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
BROKEN_SCHEMA = '{\n  "type": "object",\n  "properties": {\n    "name": {"type": "string"}\n  ,\n}'


def profile_card() -> bytes:
    """A PNG with the getting-started person on it, for the engine's OCR to read."""
    img = Image.new("RGB", (560, 150), "white")
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 30)
    except OSError:
        font = ImageFont.load_default(size=30)
    draw.text((20, 20), "Name: Alex Brown", fill="black", font=font)
    draw.text((20, 80), "Age: 34", fill="black", font=font)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def app_url(local_engine_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run app.py`` on a free port, pointed at the test engine."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (bash scripts/setup.sh --test installs it)")
    env = {"SOP_LOCAL_ENGINE_PORT": str(urlparse(local_engine_url).port), "DASHSCOPE_API_KEY": ""}
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    proc, url = start_app(log, env=env, timeout_s=60)
    KEPT[url] = RunStore(log.parent / "playground.sqlite3")  # where start_app has the app keep its state
    try:
        yield url
    finally:
        stop_process(proc)


KEPT: dict[str, RunStore] = {}  # app URL -> the store it keeps runs and editors in (SQLite)


def forget_kept(url: str) -> None:
    """Start the next page of ``url`` from the example: the app keeps the last session's editors and runs
    (a reload loses nothing), so a test after another would otherwise begin where that one ended."""
    store = KEPT.get(url)
    if store is not None:
        store.clear_drafts()
        store.clear_runs()


@pytest.fixture
def page(app_url: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport=VIEWPORT)
        pg.set_default_timeout(60_000)
        pg.goto(app_url)
        try:
            yield pg
        finally:
            browser.close()


def shot(page: object, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"playground-{name}.png"
    page.screenshot(path=str(path))  # type: ignore[attr-defined]
    return path


# True once nothing on the page moved between two animation frames (a scroll or a layout ending).
_STILL = """() => new Promise(done => {
    const where = () => [...document.querySelectorAll('*')].filter(e => e.scrollTop).map(e => e.scrollTop)
        .concat([window.scrollY, document.body.scrollHeight]).join();
    const before = where();
    requestAnimationFrame(() => requestAnimationFrame(() => done(where() === before)));
})"""


def settled(page: object) -> None:
    """Wait until the app is idle: no script run going on (Streamlit's status widget gone) and nothing
    scrolling or growing, so a screenshot shows what the page shows."""
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=120_000)  # type: ignore[attr-defined]
    page.wait_for_function(_STILL, timeout=30_000)  # type: ignore[attr-defined]


def scroll_to_top_of(page: object, locator: object) -> None:
    """Bring ``locator`` to the top of the viewport, just under Streamlit's header bar."""
    locator.evaluate("e => e.scrollIntoView({block: 'start'})")  # type: ignore[attr-defined]
    page.mouse.wheel(0, -70)  # type: ignore[attr-defined]
    settled(page)


def replace_editor_text(page: object, index: int, text: str) -> None:
    """Select everything in the ``index``-th Ace editor and insert ``text`` (no auto-closed brackets)."""
    frame = page.frame_locator(ACE).nth(index)  # type: ignore[attr-defined]
    content = frame.locator(".ace_content")
    content.click()
    page.keyboard.press("Control+A")  # type: ignore[attr-defined]
    page.keyboard.press("Delete")  # type: ignore[attr-defined]
    page.keyboard.insert_text(text)  # type: ignore[attr-defined]


def test_schema_image_run_and_three_panels(page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    expect.set_options(timeout=60_000)  # a rerun on a busy 2-core machine can take seconds
    expect(page.get_by_text("Structured output playground")).to_be_visible()
    expect(page.locator('[data-testid="stSidebar"]').get_by_text("Local engine ready")).to_be_visible()
    for i in range(3):
        expect(page.frame_locator(ACE).nth(i).locator(".ace_editor")).to_be_visible()
    shot(page, "01-default")

    # JSON Schema mode, and the local model (the one catalog entry with vision and JSON Schema)
    page.get_by_role("radio", name="JSON Schema").check(force=True)
    expect(page.get_by_text("Schema name", exact=True)).to_be_visible()
    model_box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Model")
    model_box.click()
    page.keyboard.type("local-gemma3")
    page.get_by_role("option", name="local-gemma3-270m").click()
    expect(model_box.get_by_role("combobox")).to_have_value("local-gemma3-270m")

    # a broken schema: the lint says where, the gutter marks the line, Run is disabled
    replace_editor_text(page, 2, BROKEN_SCHEMA)
    expect(page.get_by_text("The schema is not valid JSON").first).to_be_visible()
    expect(page.get_by_text("line 6, column 1").first).to_be_visible()
    expect(page.get_by_role("button", name="Run")).to_be_disabled()
    expect(page.frame_locator(ACE).nth(2).locator(".ace_gutter-cell.ace_error")).to_have_count(1)
    page.frame_locator(ACE).nth(2).locator(".ace_content").scroll_into_view_if_needed()
    shot(page, "02-schema-lint")

    # the real schema, and a user message about the image
    replace_editor_text(page, 2, json.dumps(SCHEMA, indent=2))
    expect(page.get_by_text("Valid JSON Schema.")).to_be_visible()
    replace_editor_text(page, 1, "Extract the person's name and age from the image.")
    commit_editors(page)  # the message's rerun done, so the upload's own rerun is not lost in it
    expect(page.get_by_role("button", name="Run")).to_be_enabled()

    # a file that is not an image is refused with a specific message; a real PNG is previewed
    fake = tmp_path / "notes.png"
    fake.write_bytes(b"this is text, not pixels")
    # the image uploader (a vision model also shows the video input's uploaders)
    image_input = page.get_by_role("region", name=re.compile(r"^Upload images")).get_by_test_id(
        "stFileUploaderDropzoneInput")
    after_rerun(page, lambda: image_input.set_input_files(str(fake)))
    expect(page.get_by_text("is not an image Pillow can read")).to_be_visible()
    expect(page.get_by_test_id("stFileChipName")).to_have_count(0)  # the uploader is cleared once read
    card = tmp_path / "profile.png"
    card.write_bytes(profile_card())
    image_input.set_input_files(str(card))
    preview = page.get_by_text("profile.png · ")  # the preview's caption: name and size
    expect(preview).to_be_visible()
    expect(page.get_by_test_id("stFileChipName")).to_have_count(0)  # the uploader is cleared once taken
    expect(page.get_by_text("is not an image Pillow can read")).to_have_count(0)
    preview.scroll_into_view_if_needed()
    shot(page, "03-image")

    # run: the output streams in, then the three panels
    page.get_by_role("button", name="Run").click()
    raw = page.locator(".st-key-result_raw")
    parsed = page.locator(".st-key-result_parsed")
    validation = page.locator(".st-key-result_validation")
    expect(raw).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(raw).to_contain_text("request id")
    expect(raw).to_contain_text("chat.completion.chunk")
    expect(parsed).to_contain_text("Strict json.loads succeeded")
    expect(parsed).to_contain_text('"name"')
    expect(parsed).to_contain_text('"age"')
    expect(validation).to_contain_text("Valid against the schema")
    expect(page.get_by_text("Served by")).to_be_visible()
    scroll_to_top_of(page, page.get_by_role("heading", name="Result"))
    shot(page, "04-result")

    # a second run in JSON Object mode, then the history and the comparison of the two
    page.get_by_role("radio", name="JSON Object").check(force=True)
    expect(page.get_by_text("Schema name", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("Run #2 ·")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Reopen in the editors")).to_be_visible()
    page.get_by_text("Compare two runs").click()
    expect(page.get_by_text("Run A")).to_be_visible()
    scroll_to_top_of(page, page.get_by_role("heading", name="History"))
    shot(page, "05-history-compare")
