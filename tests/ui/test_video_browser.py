"""Video in the real app (headless Chromium against the real local engine): upload the scoreboard
clip, set the rate, see the filmstrip with times, run in JSON Schema mode on the local vision model,
and get events that parse and validate. Screenshots at 1280x800, light and dark, in test-artifacts/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ui.test_browser import ACE, RUN_TIMEOUT_MS, app_url, page, replace_editor_text, shot  # noqa: F401

pytestmark = pytest.mark.browser
CLIP = Path(__file__).resolve().parents[2] / "presets" / "assets" / "scoreboard.mp4"
PRESET = json.loads((CLIP.parents[1] / "13-video-scoreboard-events.json").read_text())


def test_upload_filmstrip_run_events(page: object, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    expect.set_options(timeout=90_000)
    expect(page.locator('[data-testid="stSidebar"]').get_by_text("Local engine ready")).to_be_visible()
    page.get_by_role("radio", name="JSON Schema").check(force=True)
    model_box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Model")
    model_box.click()
    page.keyboard.type("local-gemma3")
    page.get_by_role("option", name="local-gemma3-270m").click()  # the catalog's vision + JSON Schema model
    replace_editor_text(page, 2, json.dumps(PRESET["schema"], indent=2))
    expect(page.get_by_text("Valid JSON Schema.")).to_be_visible()
    replace_editor_text(page, 1, PRESET["user_text"])
    expect(page.get_by_text("Video", exact=True)).to_be_visible()

    rate = page.locator('[data-testid="stNumberInput"]').filter(has_text="Sampling rate").locator("input")
    rate.fill("0.5")
    rate.press("Enter")
    bad = tmp_path / "notes.mp4"
    bad.write_bytes(b"this is text, not a video" * 40)
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Upload a short clip")
    uploader.locator('input[type="file"]').set_input_files(str(bad))
    expect(page.get_by_text("is not a video PyAV can read")).to_be_visible()
    expect(page.get_by_test_id("stFileChipName")).to_have_count(0)  # the uploader is cleared once read
    uploader.locator('input[type="file"]').first.set_input_files(str(CLIP))
    strip = page.get_by_text("scoreboard.mp4: 6 frames of 12.0 s at 0.5 fps")
    expect(strip).to_be_visible()
    expect(page.get_by_text("is not a video PyAV can read")).to_have_count(0)
    for t in ("00:00.0", "00:04.0", "00:10.0"):
        expect(page.get_by_text(t, exact=False).first).to_be_visible()
    expect(page.get_by_text("fps cannot be sent")).to_be_visible()  # compatible protocol, 0.5 fps
    expect(page.get_by_text("reads each frame's text by OCR")).to_be_visible()
    strip.scroll_into_view_if_needed()
    _frames_shown(page)
    shot(page, "video-01-filmstrip-light")

    page.get_by_role("button", name="Run").click()
    parsed = page.locator(".st-key-result_parsed")
    validation = page.locator(".st-key-result_validation")
    expect(parsed).to_contain_text("Strict json.loads succeeded", timeout=RUN_TIMEOUT_MS * 3)
    expect(parsed).to_contain_text('"events"')
    expect(validation).to_contain_text("Valid against the schema")
    page.get_by_role("heading", name="Result").scroll_into_view_if_needed()
    shot(page, "video-02-result-light")

    page.emulate_media(color_scheme="dark")
    strip.scroll_into_view_if_needed()
    _frames_shown(page)
    shot(page, "video-03-filmstrip-dark")


def _frames_shown(page: object) -> None:  # noqa: F811
    """Every picture of the page drawn (the filmstrip's frames load after their captions)."""
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)", timeout=60_000)
