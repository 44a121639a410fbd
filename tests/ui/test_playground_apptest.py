"""The playground page through ``streamlit.testing`` (AppTest): page logic without a browser.

AppTest cannot type into the Ace editors, so tests set their session keys (``state.SCHEMA_TEXT`` …)
and rerun, exactly as the editors' design allows. Runs go to the real local engine (the session
fixture ``local_engine_url``), which the app finds through ``SOP_LOCAL_ENGINE_PORT``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from components import state
from structured_output.errors import CallError
from structured_output.request import ImageInput, Request
from structured_output.result import RunResult, Usage, finish
from structured_output.runs.history import History
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
RUN_TIMEOUT_S = 300  # a run on the 2-core CI machine, model already loaded

SCHEMA = json.dumps({
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}, indent=2)


def table_with(at: Any, column: str) -> Any:
    """The first table on the page with ``column`` (the page also shows the history and keyword tables)."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column; tables: {[list(f.value.columns) for f in at.dataframe]}")

def plain(text: str) -> str:
    """Markdown as the user reads it: the escaping backslashes and the invisible word joiners that keep
    URLs from becoming links removed."""
    return text.replace("\\", "").replace("\u2060", "")


def texts(at: AppTest) -> str:
    """Every piece of text the page shows, unescaped, for "does the page say X" checks."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "code", "text"):
        parts.extend(plain(str(e.value)) for e in getattr(at, kind))
    parts.extend(e.label for e in at.expander)
    return "\n".join(parts)


def run_button(at: AppTest) -> Any:
    return at.button(key=state.RUN_BUTTON)


def ace_args(at: AppTest, text_key: str) -> dict[str, Any]:
    """The arguments the page gave one Ace editor (its text, its gutter annotations)."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        for child in getattr(node, "children", {}).values():
            proto = getattr(child, "proto", None)
            if getattr(child, "type", "") == "component_instance" and f"{text_key}.__ace" in proto.id:
                found.append(json.loads(proto.json_args))
            walk(child)

    walk(at._tree)
    assert found, f"no Ace editor for {text_key}"
    return found[-1]


def _app_without_navigation() -> None:
    """``app.py`` minus ``st.navigation``: the sidebar, then the playground page.

    AppTest (Streamlit 1.67) drops every sidebar element from its tree on the second run of an app
    that uses ``st.navigation`` (the browser is not affected), so tests that drive sidebar widgets
    run the same components through this harness.
    """
    import runpy
    from pathlib import Path

    import components
    from components import connection, state

    state.init_defaults()
    connection.sidebar()
    runpy.run_path(str(Path(components.__file__).resolve().parents[1] / "views" / "playground.py"))


@pytest.fixture
def make_app(monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """An AppTest pointed at an engine port (by default a closed port and no auto start).

    ``nav=True`` runs ``app.py`` itself; ``nav=False`` the harness above, for sidebar interactions.
    """

    def make(engine_url: str | None = None, *, nav: bool = True) -> AppTest:
        port = urlparse(engine_url).port if engine_url else free_port()
        monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(port))
        monkeypatch.setenv("SOP_LOCAL_ENGINE_AUTOSTART", "0")
        monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
        if nav:
            at = AppTest.from_file(APP, default_timeout=60)
        else:
            at = AppTest.from_function(_app_without_navigation, default_timeout=60)
        at.run()
        assert not at.exception, at.exception
        return at

    return make


@pytest.fixture
def engine_app(make_app: Callable[..., AppTest], local_engine_url: str) -> Iterator[AppTest]:
    yield make_app(local_engine_url, nav=False)


# ---------------------------------------------------------------- default state and lint

def test_default_state_renders_ready_to_run(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    page = texts(at)
    assert "Structured output playground" in page
    assert at.selectbox(key=state.ENDPOINT).value == "local"
    assert at.selectbox(key=state.MODEL).value == "qwen-flash"
    assert at.radio(key=state.MODE).value == "json_object"
    badges = " ".join(m.value for m in at.markdown)
    assert ":green-badge[:material/check: JSON Object]" in badges and "thinking switch" in badges
    assert not run_button(at).disabled
    assert "Valid JSON Schema." in page  # the editor's example schema lints clean
    assert "Local engine not running" in page and "SOP_LOCAL_ENGINE_AUTOSTART=0" in page
    assert "Every run is listed here" in page and "never the API key" in page
    # the three editors are mounted with the session's text
    assert ace_args(at, state.USER_TEXT)["defaultValue"].startswith("Hello everyone, my name is Alex Brown")
    assert ace_args(at, state.SCHEMA_TEXT)["mode"] == "json"


def test_schema_parse_error_shows_line_and_column_and_blocks_run(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    at.radio(key=state.MODE).set_value("json_schema").run()
    at.session_state[state.SCHEMA_TEXT] = '{\n  "type": "object",\n  "properties": {,\n}'
    at.run()
    errors = [plain(e.value) for e in at.error]
    assert any("The schema is not valid JSON" in e and "(line 3, column 18)" in e for e in errors)
    assert run_button(at).disabled
    assert any("Run is disabled" in plain(c.value) for c in at.caption)
    marks = ace_args(at, state.SCHEMA_TEXT)["annotations"]
    assert marks == [{"row": 2, "column": 17, "type": "error", "text": marks[0]["text"]}]
    # fixing it enables Run again
    at.session_state[state.SCHEMA_TEXT] = SCHEMA
    at.run()
    assert not run_button(at).disabled and ace_args(at, state.SCHEMA_TEXT)["annotations"] == []


def test_meta_validation_and_strict_advice(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    at.radio(key=state.MODE).set_value("json_schema").run()
    at.session_state[state.SCHEMA_TEXT] = '{"type": "objekt"}'
    at.run()
    assert "The schema is not a valid JSON Schema at type" in texts(at)
    assert not run_button(at).disabled  # the server's own answer is worth seeing: not blocking
    at.session_state[state.SCHEMA_TEXT] = '{"type": "object", "properties": {"a": {"type": "string"}}}'
    at.run()
    labels = [e.label for e in at.expander]
    assert "Schema advice (1)" in labels  # additionalProperties; optional fields need not be required
    page = texts(at)
    assert "does not set `additionalProperties: false`" in page
    assert "The reference › Get output in a specified format" in page  # where the rule comes from
    at.toggle(key=state.STRICT).set_value(False).run()
    assert "Schema advice (2)" in [e.label for e in at.expander]  # strict: false still gets the reference's advice
    assert "Recommended to set to true for strict format compliance" in texts(at)
    at.selectbox(key=state.ENDPOINT).set_value("custom").run()
    at.session_state[state.CUSTOM_URL] = "https://api.openai.com/v1"
    at.toggle(key=state.STRICT).set_value(True).run()
    assert "This target is OpenAI, whose strict mode demands every property in `required`" in texts(at)


def test_schema_lint_in_json_object_mode_is_about_validation_only(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    at.session_state[state.SCHEMA_TEXT] = ""
    at.run()
    assert "No schema: the output will be parsed but not validated." in texts(at)
    assert not run_button(at).disabled


def test_missing_json_keyword_warns_but_can_still_be_sent(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    at.session_state[state.SYSTEM_PROMPT] = "Extract the name and age."
    at.session_state[state.USER_TEXT] = "My name is Alex Brown, and I am 25 years old."
    at.run()
    warnings = [plain(w.value) for w in at.warning]
    assert any("JSON Object mode needs the word \"json\"" in w and "still send it" in w for w in warnings)
    assert not run_button(at).disabled


def test_empty_user_message_blocks_run(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    at.session_state[state.USER_TEXT] = "   "
    at.run()
    assert run_button(at).disabled
    assert any("The user message is empty." in plain(e.value) for e in at.error)


def test_unsupported_combination_warns_and_stays_sendable(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    at.selectbox(key=state.MODEL).set_value("qwen-max").run()
    at.radio(key=state.MODE).set_value("json_schema").run()
    badges = " ".join(m.value for m in at.markdown)
    assert ":gray-badge[:material/close: JSON Schema]" in badges
    assert "The reference does not list qwen-max for JSON Schema mode." in texts(at)
    assert not run_button(at).disabled
    assert all(r.key != state.THINKING for r in at.radio)  # qwen-max has no thinking mode
    assert "This model has no thinking mode." in texts(at)


def test_thinking_switch_and_structured_output_in_thinking_mode(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    at.radio(key=state.THINKING).set_value("on").run()
    assert "Structured output is not supported in thinking mode." in texts(at)
    assert not run_button(at).disabled
    at.selectbox(key=state.MODEL).set_value("kimi-k2-thinking").run()
    assert "This model always thinks." in texts(at)


def test_max_tokens_shows_the_going_live_warning(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    at.checkbox(key=state.SET_MAX_TOKENS).check().run()
    page = texts(at)
    assert "Going live: leave max_tokens unset with structured output" in page.replace("**", "").replace("`", "")
    assert "max_tokens is set to 64" in page


def test_custom_endpoint_takes_a_free_text_model_and_needs_a_url(make_app: Callable[..., AppTest]) -> None:
    at = make_app(nav=False)
    at.selectbox(key=state.ENDPOINT).set_value("custom").run()
    assert at.text_input(key=state.CUSTOM_MODEL) is not None
    assert "Protocol: OpenAI-compatible" in texts(at)
    at.text_input(key=state.CUSTOM_MODEL).input("llama3.2").run()
    assert run_button(at).disabled
    assert "needs a base URL" in texts(at)
    at.text_input(key=state.CUSTOM_URL).input("http://localhost:11434/v1").run()
    assert not run_button(at).disabled
    badges = " ".join(m.value for m in at.markdown)
    assert "not in the reference" in badges


def test_image_in_state_is_previewed_and_non_vision_model_warned(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(buf, format="PNG")
    at.session_state[state.IMAGES] = [ImageInput("image/png", buf.getvalue(), name="ticket.png")]
    at.run()
    page = texts(at)
    assert "ticket.png" in page and "qwen-flash does not take images" in page
    at.button(key="req.image_remove.0").click().run()
    assert at.session_state[state.IMAGES] == []


def test_image_url_is_checked(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    at.text_input(key=state.IMAGE_URL).input("not a url").run()
    at.button(key="req.image_url_add").click().run()
    assert "is not a full http(s) URL" in texts(at) and at.session_state[state.IMAGES] == []
    at.text_input(key=state.IMAGE_URL).input("https://example.com/receipt.jpg").run()
    at.button(key="req.image_url_add").click().run()
    assert [i.url for i in at.session_state[state.IMAGES]] == ["https://example.com/receipt.jpg"]


# ---------------------------------------------------------------- keys and errors (no model needed)

def test_typed_key_is_never_shown_back_or_stored_with_a_run(make_app: Callable[..., AppTest]) -> None:
    secret = "sk-test-never-show-0123456789"
    at = make_app(nav=False)
    at.selectbox(key=state.ENDPOINT).set_value("custom").run()
    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens: a refused connection
    at.text_input(key=state.CUSTOM_URL).input(dead).run()
    at.text_input(key=state.CUSTOM_MODEL).input("some-model").run()
    at.text_input(key=state.KEY_INPUT).input(secret).run()
    assert at.text_input(key=state.KEY_INPUT).value == ""  # taken out of the widget at once
    assert at.session_state[state.CUSTOM_KEY] == secret
    assert "A typed key is set for this session." in texts(at)
    run_button(at).click().run(timeout=120)
    page = texts(at)
    assert "could not be reached" in page and "Check the URL, that the server runs" in page
    assert secret not in page
    entry = at.session_state[state.HISTORY].entries[0]
    assert secret not in json.dumps(entry.request.to_dict()) and secret not in str(entry.result)
    # switching to DashScope does not reuse the custom server's key, and vice versa
    at.selectbox(key=state.ENDPOINT).set_value("intl").run()
    assert "No key yet" in texts(at)


def test_an_error_keeps_everything_the_user_typed(make_app: Callable[..., AppTest]) -> None:
    at = make_app(nav=False)
    at.selectbox(key=state.ENDPOINT).set_value("custom").run()
    at.text_input(key=state.CUSTOM_URL).input(f"http://127.0.0.1:{free_port()}/v1").run()
    at.text_input(key=state.CUSTOM_MODEL).input("my-model").run()
    at.radio(key=state.MODE).set_value("json_schema").run()
    at.session_state[state.SYSTEM_PROMPT] = "My own system prompt"
    at.session_state[state.USER_TEXT] = "My own user message"
    at.session_state[state.SCHEMA_TEXT] = SCHEMA
    at.run()
    run_button(at).click().run(timeout=120)
    assert any("Connection" in e.value for e in at.error)
    assert at.session_state[state.SYSTEM_PROMPT] == "My own system prompt"
    assert at.session_state[state.USER_TEXT] == "My own user message"
    assert at.session_state[state.SCHEMA_TEXT] == SCHEMA
    assert at.radio(key=state.MODE).value == "json_schema"
    assert at.text_input(key=state.CUSTOM_MODEL).value == "my-model"
    assert ace_args(at, state.USER_TEXT)["defaultValue"] in ("My own user message", state.DEFAULT_USER_TEXT)


def test_model_output_and_server_text_are_never_rendered(make_app: Callable[..., AppTest]) -> None:
    """A reply holding HTML or Markdown shows its characters; nothing of it becomes markup."""
    evil = '<script>alert(1)</script> [click](http://evil.example) **bold** :red[x]'
    at = make_app()
    h = History()
    result = finish(RunResult(raw={"choices": [{"message": {"content": evil}}]}, content=evil, finish_reason="stop",
                              usage=Usage(1, 2), latency_s=0.5), None)
    h.add(Request(model="qwen-flash", mode="json_object", user_text="x"), result, at=datetime(2025, 1, 1))
    err = RunResult(error=CallError("http", f"bad {evil}", f"hint {evil}", 400, "InvalidParameter", "rid-1"))
    h.add(Request(model="qwen-flash", user_text="x"), finish(err, None))
    at.session_state[state.HISTORY] = h
    at.session_state[state.CURRENT] = 1
    at.run()
    assert "Not valid JSON" in texts(at)
    md_like = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success")
               for e in getattr(at, kind)]
    for value in md_like:
        assert "<script>" not in value and "](http://evil" not in value and "**bold**" not in value
    assert any(evil in str(c.value) for c in at.code)  # the output itself is there, as text
    invalid = finish(RunResult(content=json.dumps({"name": evil}), finish_reason="stop"),
                     {"type": "object", "properties": {"name": {"type": "integer"}}})
    h.add(Request(model="qwen-flash", user_text="x"), invalid)
    at.session_state[state.CURRENT] = 3
    at.run()
    assert "1 validation error" in texts(at)
    for value in [e.value for kind in ("markdown", "caption", "error") for e in getattr(at, kind)]:
        assert "<script>" not in value and "](http://evil" not in value and "**bold**" not in value
    assert any(evil in plain(m.value) for m in at.markdown)  # the message quotes the value, escaped
    assert evil in " ".join(table_with(at, "message")["message"])  # and the table holds it as plain text
    at.session_state[state.CURRENT] = 2
    at.run()
    errors = [e.value for e in at.error]
    assert any("HTTP 400" in e and "InvalidParameter" in e for e in errors)
    assert all("<script>" not in e and "](http" not in e for e in errors)
    assert any(evil in plain(e) for e in errors)


# ---------------------------------------------------------------- against the real local engine

@pytest.mark.engine
def test_engine_status_is_ready_and_reused(engine_app: AppTest) -> None:
    assert "Local engine ready (reused)" in plain(" ".join(s.value for s in engine_app.sidebar.success))


@pytest.mark.engine
def test_run_shows_raw_parsed_and_validation_side_by_side(engine_app: AppTest) -> None:
    at = engine_app
    at.radio(key=state.MODE).set_value("json_schema").run()
    at.session_state[state.SCHEMA_TEXT] = SCHEMA
    at.run()
    run_button(at).click().run(timeout=RUN_TIMEOUT_S)
    assert not at.exception, at.exception
    page = texts(at)
    for title in ("Output", "Parsed result", "Validation"):
        assert f"**{title}**" in [m.value for m in at.markdown]
    assert "The answer's text exactly as received" in page and "· request id" in page
    assert re.search(r"Raw response: \d+ stream chunks, as received", page)  # collapsed, one line
    value = at.json[0].value
    parsed = json.loads(value) if isinstance(value, str) else value
    # the tree is this run's own answer (the grammar alone guarantees the keys and types)
    [entry] = at.session_state[state.HISTORY].entries
    assert parsed == entry.result.parse.value and entry.result.content is not None
    assert entry.result.content in [c.value for c in at.code]  # the Output panel: the exact text
    assert json.loads(entry.result.content) == parsed
    assert set(parsed) == {"name", "age"} and isinstance(parsed["age"], int)
    assert "Valid against the schema" in page
    assert "Finish" in page and "Served by" in page and "gemma" in page
    rows = table_with(at, "verdict")
    assert list(rows["verdict"]) == ["valid"] and list(rows["mode"]) == ["JSON Schema"]


@pytest.mark.engine
def test_native_protocol_without_streaming(engine_app: AppTest) -> None:
    at = engine_app
    at.radio(key=state.PROTOCOL).set_value("native").run()
    at.toggle(key=state.STREAM).set_value(False).run()
    run_button(at).click().run(timeout=RUN_TIMEOUT_S)
    assert not at.exception, at.exception
    page = texts(at)
    assert "exactly as received" in page and "· request id" in page and "Raw response: as received" in page
    assert "stream chunks" not in page
    raw = json.loads(next(c.value for c in at.code if '"output"' in c.value))
    assert "output" in raw and "usage" in raw  # the native shape, as received
    entry = at.session_state[state.HISTORY].entries[0]
    assert entry.request.protocol == "native" and entry.result.error is None


@pytest.mark.engine
def test_json_object_output_is_validated_against_the_editor_schema(engine_app: AppTest) -> None:
    at = engine_app
    at.session_state[state.SCHEMA_TEXT] = json.dumps({"type": "object", "required": ["hobby_count"]})
    at.run()
    run_button(at).click().run(timeout=RUN_TIMEOUT_S)
    page = texts(at)
    assert "schema from the editor, not sent in this mode" in page
    if at.session_state[state.HISTORY].entries[0].verdict == "invalid":
        table = table_with(at, "message")
        assert list(table.columns) == ["path", "message", "keyword", "schema path"]
        assert "'hobby_count' is a required property" in " ".join(table["message"])


@pytest.mark.engine
def test_missing_json_keyword_is_sent_and_the_servers_error_shown(engine_app: AppTest) -> None:
    at = engine_app
    at.session_state[state.SYSTEM_PROMPT] = "Extract the name and age."
    at.session_state[state.USER_TEXT] = "My name is Alex Brown, and I am 25 years old."
    at.run()
    run_button(at).click().run(timeout=RUN_TIMEOUT_S)
    errors = " ".join(plain(e.value) for e in at.error)
    assert "HTTP 400" in errors and "must contain the word 'json'" in errors
    assert 'Add the word "JSON"' in " ".join(plain(i.value) for i in at.info)
    assert at.session_state[state.SYSTEM_PROMPT] == "Extract the name and age."


@pytest.mark.engine
def test_max_tokens_truncation_is_called_out(engine_app: AppTest) -> None:
    at = engine_app
    at.checkbox(key=state.SET_MAX_TOKENS).check().run()
    at.number_input(key=state.MAX_TOKENS).set_value(5).run()
    run_button(at).click().run(timeout=RUN_TIMEOUT_S)
    page = texts(at)
    assert "The output was cut off" in page and "Not valid JSON" in page
    assert at.session_state[state.HISTORY].entries[0].verdict == "truncated"


@pytest.mark.engine
def test_history_reopen_and_compare(engine_app: AppTest) -> None:
    at = engine_app
    run_button(at).click().run(timeout=RUN_TIMEOUT_S)  # run 1: JSON Object, the default prompts
    at.radio(key=state.MODE).set_value("json_schema").run()
    at.session_state[state.SCHEMA_TEXT] = SCHEMA
    at.session_state[state.USER_TEXT] = "I am Jane Smith and I am 30 years old."
    at.run()
    run_button(at).click().run(timeout=RUN_TIMEOUT_S)  # run 2: JSON Schema, another message
    h: History = at.session_state[state.HISTORY]
    assert [e.id for e in h.entries] == [2, 1]
    table = table_with(at, "run")
    assert list(table["run"]) == [2, 1] and list(table["mode"]) == ["JSON Schema", "JSON Object"]

    # the user edits, then reopens run 1: every field comes back and the editors remount with it
    at.session_state[state.SYSTEM_PROMPT] = "something else entirely"
    at.run()
    version = at.session_state[state.EDITOR_VERSION]
    at.selectbox(key=state.HISTORY_PICK).set_value(1).run()
    at.button(key="run.reopen").click().run()
    assert at.session_state[state.SYSTEM_PROMPT] == state.DEFAULT_SYSTEM_PROMPT
    assert at.session_state[state.USER_TEXT] == state.DEFAULT_USER_TEXT
    assert at.radio(key=state.MODE).value == "json_object"
    assert at.session_state[state.EDITOR_VERSION] == version + 1
    assert ace_args(at, state.SYSTEM_PROMPT)["defaultValue"] == state.DEFAULT_SYSTEM_PROMPT
    assert at.session_state[state.CURRENT] == 1
    assert "Run #1" in " ".join(plain(c.value) for c in at.caption)

    # compare the two outputs
    assert "Compare two runs" in [e.label for e in at.expander]
    assert at.selectbox(key=state.COMPARE_A).value == 1 and at.selectbox(key=state.COMPARE_B).value == 2
    outputs = {e.output_text() for e in h.entries}
    shown = {c.value for c in at.code}
    assert outputs <= shown
    both_parsed = all(e.result.parse is not None and e.result.parse.ok for e in h.entries)
    page = texts(at)
    if both_parsed:
        assert "difference" in page or "The two parsed results are identical." in page


def test_compare_marks_keys_types_and_values_or_lines(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    h = History()
    a = finish(RunResult(content='{"name": "Alex Brown", "age": "34 years old", "email": "a@b.c"}',
                         finish_reason="stop"), None)
    b = finish(RunResult(content='{"name": "Alex Brown", "age": 34}', finish_reason="stop"), None)
    c = finish(RunResult(content='Sure! Here it is: {"name": "Alex"', finish_reason="length"), None)
    for result in (a, b, c):
        h.add(Request(model="qwen-flash", user_text="x"), result)
    at.session_state[state.HISTORY] = h
    at.session_state[state.COMPARE_A] = 1
    at.session_state[state.COMPARE_B] = 2
    at.run()
    table = table_with(at, "change")  # the diff table, not the history or keyword tables
    assert table.to_dict("records") == [
        {"path": "$.age", "change": "type", "left": '"34 years old"', "right": "34"},
        {"path": "$.email", "change": "removed", "left": '"a@b.c"', "right": ""},
    ]
    assert "**2 differences** (A → B)" in texts(at)
    at.selectbox(key=state.COMPARE_B).set_value(3).run()  # run 3 does not parse: a line diff instead
    diff = next(c.value for c in at.code if c.language == "diff")
    assert "--- run 1" in diff and "+++ run 3" in diff and '+Sure! Here it is: {"name": "Alex"' in diff


@pytest.mark.parametrize(("name", "rule", "badge"), [
    ("qwen-plus-2025-09-11", "qwen-plus snapshot from 2025-09-11: JSON Object since 2024-12-20; "
                             "JSON Schema since 2025-07-28", ":green-badge[:material/check: JSON Schema]"),
    ("qwen-plus-2025-01-25", "no JSON Schema: listed from qwen-plus-2025-07-28 on, and this snapshot (2025-01-25) "
                             "is earlier", ":gray-badge[:material/close: JSON Schema]"),
    ("deepseek-v3.2", "JSON Object not listed in the reference", ":gray-badge[:material/help: JSON Object]"),
])
def test_typed_name_shows_the_rule_it_matched(make_app: Callable[..., AppTest], name: str, rule: str,
                                             badge: str) -> None:
    make_app()  # the environment: no engine, no key
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[state.MODEL] = name  # as typed into the select box (AppTest cannot type a new option)
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key=state.MODEL).value == name
    assert rule in texts(at)
    assert badge in " ".join(m.value for m in at.markdown)
