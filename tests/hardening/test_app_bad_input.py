"""Bad input at the app level (AppTest, the real pages with the sidebar): each gets a specific message
on the page, never a traceback, and the page stays usable. Uploads go through the real file
uploaders (images on the playground, rows on the batch page, presets on the presets page).
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from components import state
from structured_output.jsontext import MAX_SCHEMA_CHARS
from structured_output.request import MAX_IMAGE_BYTES
from tests.hardening.conftest import no_traceback, plain, texts
from tests.hardening.figures import BadInput, Figures

pytestmark = pytest.mark.hardening


def png(size: tuple[int, int] = (40, 20)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "white").save(buf, format="PNG")
    return buf.getvalue()


def bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG file that declares 900 megapixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


def gif() -> bytes:
    buf = io.BytesIO()
    Image.new("P", (4, 4)).save(buf, format="GIF")
    return buf.getvalue()


# ---------------------------------------------------------------- the schema editor

def deep_schema(levels: int) -> str:
    schema: dict = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}}
    return json.dumps(schema)


SCHEMAS = {
    "not JSON": ('{"type": "object",, }', "The schema is not valid JSON", True),
    "not a JSON Schema": ('{"type": "objekt"}', "is not a valid JSON Schema", False),
    "a JSON array, not a schema": ("[1, 2, 3]", "not", True),
    "huge": ('{"description": "' + "x" * (MAX_SCHEMA_CHARS + 10) + '"}', "the limit is", True),
    "very deep": (deep_schema(80), "nests more than 64 levels deep", True),
    "thousands of [ (too deep to read)": ("[" * 5000, "The schema is not valid JSON", True),
    "unresolvable $ref": ('{"type": "object", "properties": {"a": {"$ref": "#/$defs/nope"}}}', "points at nothing",
                          False),
    "odd Unicode and NUL": ('{"type": "object", "properties": {"\\u0000\u202e😀": {"type": "string"}}}',
                            "Valid JSON Schema", False),
}


@pytest.mark.parametrize("case", list(SCHEMAS))
def test_schema_editor_input(make_app: Callable[..., AppTest], case: str, fig: Figures) -> None:
    text, needle, blocks = SCHEMAS[case]
    at = make_app()
    at.radio(key=state.MODE).set_value("json_schema").run()
    at.session_state[state.SCHEMA_TEXT] = text
    at.run()
    no_traceback(at)
    page = texts(at)
    assert needle in page, page[-1500:]
    assert at.button(key=state.RUN_BUTTON).disabled is blocks
    shown = [plain(str(e.value)) for kind in ("error", "warning", "info", "success", "caption", "markdown")
             for e in getattr(at, kind)]
    message = next(m for m in shown if needle in m).splitlines()[0]
    fig.bad_inputs.append(BadInput(f"schema editor: {case}", "app",
                                   ("blocks Run: " if blocks else "sendable: ") + message, True))
    at.session_state[state.SCHEMA_TEXT] = '{"type": "object"}'  # the page is still usable
    at.run()
    no_traceback(at)
    assert not at.button(key=state.RUN_BUTTON).disabled


# ---------------------------------------------------------------- image uploads

IMAGES = {
    "over the size limit": ("big.png", png() + b"\0" * (MAX_IMAGE_BYTES + 1), "the limit is 10 MB per image"),
    "corrupt (truncated PNG)": ("cut.png", png((200, 200))[:120], "damaged"),
    "not an image (text named .png)": ("notes.png", b"just some text, not pixels", "is not an image Pillow can read"),
    "a GIF named .png": ("anim.png", gif(), "is a GIF image; only PNG, JPEG and WebP"),
    "empty file": ("empty.jpg", b"", "is empty (0 bytes)"),
    "decompression bomb": ("bomb.png", bomb_png(), "too many pixels to decode safely"),
}


@pytest.mark.parametrize("case", list(IMAGES))
def test_image_upload(make_app: Callable[..., AppTest], case: str, fig: Figures) -> None:
    name, data, needle = IMAGES[case]
    at = make_app()
    at.session_state[state.USER_TEXT] = "Kept: my message 😀"
    at.run()
    uploader = at.file_uploader[0]
    uploader.set_value((name, data, "image/png")).run()
    no_traceback(at)
    errors = [plain(e.value) for e in at.error]
    message = next((e for e in errors if needle in e), None)
    assert message is not None and name in message, errors
    assert at.session_state[state.IMAGES] == []
    assert at.session_state[state.USER_TEXT] == "Kept: my message 😀"
    fig.bad_inputs.append(BadInput(f"image upload: {case}", "app", message, True))
    at.file_uploader[0].set_value(("fine.png", png(), "image/png")).run()  # a good one is taken afterwards
    no_traceback(at)
    assert [i.name for i in at.session_state[state.IMAGES]] == ["fine.png"]


# ---------------------------------------------------------------- the batch page

BATCH_FILES = {
    "non-UTF-8 CSV": ("rows.csv", "text\nZürich\n".encode("latin-1"), "not UTF-8 text"),
    "JSONL with a broken line": ("rows.jsonl", b'{"text": "a"}\n{"text": \n', "line 2, column 10: not JSON"),
    "CSV with too many values": ("rows.csv", b"text\n1,2\n", "more values than header columns"),
    "binary junk": ("rows.txt", bytes(range(256)) * 4, "not UTF-8 text"),
}


@pytest.mark.parametrize("case", list(BATCH_FILES))
def test_batch_upload(make_app: Callable[..., AppTest], case: str, fig: Figures) -> None:
    name, data, needle = BATCH_FILES[case]
    at = make_app("batch")
    at.radio(key=state.BATCH_SOURCE).set_value("upload").run()
    at.file_uploader(key=state.BATCH_UPLOAD).set_value(("good.csv", b"text\n\"I am Alex, 34.\"\n", "text/csv")).run()
    assert at.session_state[state.BATCH_ROWS] == [{"text": "I am Alex, 34."}]
    at.file_uploader(key=state.BATCH_UPLOAD).set_value((name, data, "text/plain")).run()
    no_traceback(at)
    errors = [plain(e.value) for e in at.error]
    message = next((e for e in errors if needle in e), None)
    assert message is not None and name in message, errors
    assert "The 1 rows of good.csv are kept." in message
    assert at.session_state[state.BATCH_ROWS] == [{"text": "I am Alex, 34."}]
    fig.bad_inputs.append(BadInput(f"batch upload: {case}", "app", message, True))


@pytest.mark.parametrize("template", ["{text:>999999999}", "{text!r}", "{text.__class__.__mro__}", "{unclosed"])
def test_batch_template(make_app: Callable[..., AppTest], template: str, fig: Figures) -> None:
    at = make_app("batch")
    at.text_area(key=state.BATCH_PASTE).input("I am Alex, 34.\nI am Li Wei, 20.").run()
    at.radio(key=state.BATCH_FILL).set_value("template").run()
    at.text_area(key=state.BATCH_TEMPLATE).input(template).run()
    no_traceback(at)
    run = at.button(key=state.BATCH_RUN_BUTTON)
    why = " ".join(plain(c.value).replace(":red[Run is disabled:] ", "Run disabled: ") for c in at.caption
                   if "Run is disabled" in c.value)
    assert run.disabled and "template" in why, why
    fig.bad_inputs.append(BadInput(f"batch template {template}", "app", why, True))
    at.text_area(key=state.BATCH_TEMPLATE).input("Extract JSON: {text}").run()
    assert not at.button(key=state.BATCH_RUN_BUTTON).disabled


# ---------------------------------------------------------------- the presets page

PRESET_FILES = {
    "not JSON (YAML with a Python tag)": (b"!!python/object/apply:os.system ['touch PWNED']\n", "not valid JSON"),
    "not UTF-8": (b"\xff\xfe{}", "not UTF-8 text"),
    "a field of the wrong type": (json.dumps({"format": 1, "id": "x", "title": "t", "section": "s",
                                              "model": "qwen-plus", "mode": "json_object", "temperature": "hot",
                                              "user_text": "json"}).encode(), "temperature"),
    "nested 5000 deep": (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
}


@pytest.mark.parametrize("case", list(PRESET_FILES))
def test_preset_import(make_app: Callable[..., AppTest], case: str, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch, fig: Figures) -> None:
    monkeypatch.setenv("SOP_USER_PRESETS_DIR", str(tmp_path / "presets"))
    monkeypatch.chdir(tmp_path)  # a payload that ran would leave PWNED here
    data, needle = PRESET_FILES[case]
    at = make_app("presets")
    uploader = next(u for u in at.file_uploader if (u.key or "").startswith("presets.import"))
    uploader.set_value(("bad.json", data, "application/json")).run()
    no_traceback(at)
    errors = [plain(e.value) for e in at.error]
    message = next((e for e in errors if "Not imported" in e and needle in e), None)
    assert message is not None and "bad.json" in message, errors
    assert not (tmp_path / "PWNED").exists() and not list((tmp_path / "presets").glob("*.json"))
    fig.bad_inputs.append(BadInput(f"preset import: {case}", "app", message, True))


# ---------------------------------------------------------------- against the engine

@pytest.mark.engine
def test_prompt_longer_than_the_context(make_app: Callable[..., AppTest], local_engine_url: str,
                                        fig: Figures) -> None:
    at = make_app(port=int(local_engine_url.rsplit(":", 1)[1]), timeout=300)
    long_text = "Return JSON. " + "a long line of words " * 2500
    at.session_state[state.USER_TEXT] = long_text
    at.run()
    at.button(key=state.RUN_BUTTON).click().run(timeout=300)
    no_traceback(at)
    errors = " ".join(plain(e.value) for e in at.error)
    assert "HTTP 400" in errors and "the local model's context holds 8192 tokens" in errors, errors
    assert at.session_state[state.USER_TEXT] == long_text
    fig.bad_inputs.append(BadInput("prompt longer than the local model's context", "app",
                                   errors[:200], True))


@pytest.mark.engine
def test_odd_unicode_in_every_field_runs_and_shows(make_app: Callable[..., AppTest], local_engine_url: str,
                                                   fig: Figures) -> None:
    """RTL, emoji, NUL in the prompts, schema keys, enum values and schema name: sent, answered, shown."""
    at = make_app(port=int(local_engine_url.rsplit(":", 1)[1]), timeout=300)
    key, value = "名前\u202e😀\x00", "ﷺ\u202e👩‍👩‍👧\x00"
    at.radio(key=state.MODE).set_value("json_schema").run()
    at.text_input(key=state.SCHEMA_NAME).input("n\u202e😀").run()
    at.session_state[state.SYSTEM_PROMPT] = "\u202eمرحبا\u202c 😀 \x00 Return JSON."
    at.session_state[state.USER_TEXT] = "שלום 👩‍👩‍👧 \x00 \ufeff end"
    at.session_state[state.SCHEMA_TEXT] = json.dumps({"type": "object", "properties": {key: {"enum": [value]}},
                                                      "required": [key], "additionalProperties": False})
    at.run()
    at.button(key=state.RUN_BUTTON).click().run(timeout=300)
    no_traceback(at)
    entry = at.session_state[state.HISTORY].entries[0]
    assert entry.result.error is None and entry.result.parse.value == {key: value}
    assert entry.verdict == "valid" and "Valid against the schema" in texts(at)
    fig.bad_inputs.append(BadInput("odd Unicode (RTL, emoji, NUL) in every field", "app",
                                   f"sent, answered and shown: {entry.result.content!r}", True))


@pytest.mark.engine
def test_schema_llguidance_cannot_compile_is_the_servers_400(make_app: Callable[..., AppTest],
                                                             local_engine_url: str, fig: Figures) -> None:
    """Valid JSON Schema the grammar compiler refuses (a lookbehind pattern): sendable, and the engine's
    400 names the problem on the page."""
    at = make_app(port=int(local_engine_url.rsplit(":", 1)[1]), timeout=300)
    at.radio(key=state.MODE).set_value("json_schema").run()
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": "(?<=a)b"}},
              "required": ["code"], "additionalProperties": False}
    at.session_state[state.SCHEMA_TEXT] = json.dumps(schema)
    at.run()
    assert not at.button(key=state.RUN_BUTTON).disabled
    at.button(key=state.RUN_BUTTON).click().run(timeout=300)
    no_traceback(at)
    errors = " ".join(plain(e.value) for e in at.error)
    assert "HTTP 400" in errors and "cannot enforce this JSON Schema" in errors, errors
    assert at.session_state[state.SCHEMA_TEXT] == json.dumps(schema)
    fig.bad_inputs.append(BadInput("schema llguidance cannot compile (lookbehind pattern)", "app", errors[:200], True))
