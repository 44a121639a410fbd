"""The schema workbench on the playground page through AppTest (issue 18): a schema from an example,
its changes undone, the last parsed answer taken as the example; runs go to the real local engine.

AppTest cannot type into the Ace editors: the example is a plain text area, and the schema editor's text
is read back from ``state.SCHEMA_TEXT`` and from the arguments the page gave the Ace widget.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from structured_output.workbench.share import LINK_PARAM
from tests.servers import free_port
from tests.ui.page_harness import APP, RUN_TIMEOUT_S, plain, texts
from tests.ui.test_playground_apptest import ace_args

EXAMPLE = {"name": "Alex Brown", "age": 34, "hobbies": ["basketball", "traveling"]}


def page(monkeypatch: pytest.MonkeyPatch, engine_url: str | None = None) -> AppTest:
    port = urlparse(engine_url).port if engine_url else free_port()
    monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(port))
    monkeypatch.setenv("SOP_LOCAL_ENGINE_AUTOSTART", "0")
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return page(monkeypatch)


@pytest.fixture
def engine_app(monkeypatch: pytest.MonkeyPatch, local_engine_url: str) -> Iterator[AppTest]:
    yield page(monkeypatch, local_engine_url)


def editor_schema(at: AppTest) -> dict[str, Any]:
    text = at.session_state[state.SCHEMA_TEXT]
    assert ace_args(at, state.SCHEMA_TEXT)["defaultValue"] == text  # the editor was remounted with it
    return json.loads(text)


def change_box(at: AppTest, change_id: str) -> Any:
    return at.checkbox(key=state.wb_change_key(at.session_state[state.WB_GENERATION], change_id))


def make(at: AppTest, example: str) -> AppTest:
    at.text_area(key=state.WB_EXAMPLE).set_value(example).run()
    at.button(key="wb_make").click().run()
    assert not at.exception, at.exception
    return at


def test_an_example_becomes_the_editors_schema_and_each_change_can_be_undone(app: AppTest) -> None:
    at = app
    mine = at.session_state[state.SCHEMA_TEXT]
    make(at, json.dumps(EXAMPLE))
    schema = editor_schema(at)
    assert schema == {"type": "object",
                      "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                                     "hobbies": {"type": "array", "items": {"type": "string"}}},
                      "required": ["name", "age", "hobbies"], "additionalProperties": False}
    page = texts(at)
    assert "2 of 2 changes applied" in page
    labels = [plain(c.label) for c in at.checkbox]
    assert 'removed "$schema": "http://json-schema.org/schema#"' in labels
    assert '$: "additionalProperties": false added' in labels
    assert "the reference recommends false to output only defined fields" in page  # each change says why
    assert "Valid JSON Schema." in page  # the editor's lint reads the new schema

    change_box(at, "additionalProperties:$").uncheck().run()
    assert "additionalProperties" not in editor_schema(at)
    assert "1 of 2 changes applied" in texts(at)
    change_box(at, "additionalProperties:$").check().run()
    assert editor_schema(at)["additionalProperties"] is False

    at.button(key="wb_back").click().run()
    assert at.session_state[state.SCHEMA_TEXT] == mine  # the user's own schema, back


def test_a_bad_example_says_where_and_keeps_the_text_and_the_schema(app: AppTest) -> None:
    at = app
    mine = at.session_state[state.SCHEMA_TEXT]
    bad = '{"name": "Alex",\n "age": }'
    make(at, bad)
    assert "The example is not valid JSON at line 2, column 9" in texts(at)
    assert at.text_area(key=state.WB_EXAMPLE).value == bad
    assert at.session_state[state.SCHEMA_TEXT] == mine
    make(at, "[1, 2]")
    assert "The example is an array, not a JSON object." in texts(at)


def test_an_optional_field_is_offered_as_required_with_null_unticked(app: AppTest) -> None:
    at = make(app, json.dumps({"items": [{"sku": "a1"}, {"sku": "b2", "note": "gift"}]}))
    box = change_box(at, "required:$.items[*]")
    assert box.value is False
    assert editor_schema(at)["properties"]["items"]["items"]["required"] == ["sku"]
    box.check().run()
    item = editor_schema(at)["properties"]["items"]["items"]
    assert item["required"] == ["sku", "note"] and item["properties"]["note"]["type"] == ["string", "null"]


@pytest.mark.engine
def test_the_last_parsed_answer_becomes_a_schema_that_validates_a_json_schema_run(engine_app: AppTest) -> None:
    at = engine_app
    at.button(key="wb_last").click().run()  # no run yet
    assert "There is no parsed answer to take" in texts(at)
    at.button(key=state.RUN_BUTTON).click().run(timeout=RUN_TIMEOUT_S)  # JSON Object mode, the default example
    assert not at.exception, at.exception
    [entry] = at.session_state[state.HISTORY].entries
    assert entry.result.parse is not None and entry.result.parse.ok, entry.result.content
    answer = entry.result.parse.value
    at.button(key="wb_last").click().run()
    assert json.loads(at.text_area(key=state.WB_EXAMPLE).value) == answer
    schema = editor_schema(at)
    assert set(schema["required"]) == set(answer) and schema["additionalProperties"] is False

    at.radio(key=state.MODE).set_value("json_schema").run()
    at.button(key=state.RUN_BUTTON).click().run(timeout=RUN_TIMEOUT_S)
    assert not at.exception, at.exception
    latest = at.session_state[state.HISTORY].entries[0]
    assert latest.request.mode == "json_schema" and json.loads(latest.request.schema_text) == schema
    assert latest.result.verdict == "valid", (latest.result.content, latest.result.validation)
    assert set(latest.result.parse.value) == set(answer)
    assert "Valid against the schema" in texts(at)


# ---------------------------------------------------------------- answers that build up live

@pytest.mark.engine
def test_a_streamed_answer_is_shown_as_a_growing_object_and_validated_once_at_the_end(
        engine_app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    from components import live_parsed

    painted: list[str] = []
    paint = live_parsed.LiveParsed.paint

    def recording(self: live_parsed.LiveParsed, text: str) -> None:
        painted.append(text)
        paint(self, text)

    monkeypatch.setattr(live_parsed.LiveParsed, "paint", recording)
    at = engine_app
    at.radio(key=state.MODE).set_value("json_schema").run()
    assert at.session_state[state.STREAM] is True  # streaming is on by default
    at.button(key=state.RUN_BUTTON).click().run(timeout=RUN_TIMEOUT_S)
    assert not at.exception, at.exception
    [entry] = at.session_state[state.HISTORY].entries
    final = entry.result.parse.value
    assert entry.result.verdict == "valid" and isinstance(final, dict)
    from structured_output.workbench.partial import read_partial

    partials = [read_partial(t) for t in painted]
    growing = [p.value for p in partials if p is not None]
    assert growing, f"no partial object was painted: {painted!r}"
    assert any(0 < len(v) < len(final) or (len(v) == len(final) and v != final) for v in growing), growing
    assert all(entry.result.content.startswith(t) for t in painted)  # each paint a prefix of the answer
    assert "Parsed so far" not in texts(at)  # once complete, the panels take over
    assert "Valid against the schema" in texts(at)


# ---------------------------------------------------------------- retries

# Keys the default prompt never names: a JSON Object answer to "extract the name and age" misses them.
RENAMED = json.dumps({"type": "object", "properties": {"full_name": {"type": "string"}, "years": {"type": "integer"}},
                      "required": ["full_name", "years"], "additionalProperties": False}, indent=2)


def test_retries_are_off_by_default_and_take_a_number_of_attempts(app: AppTest) -> None:
    at = app
    assert at.toggle(key=state.WB_RETRY).value is False
    assert not [n for n in at.number_input if n.key == state.WB_RETRY_ATTEMPTS]
    at.toggle(key=state.WB_RETRY).set_value(True).run()
    assert at.number_input(key=state.WB_RETRY_ATTEMPTS).value == 3


@pytest.mark.engine
def test_a_failing_json_object_run_is_retried_and_every_attempt_listed(engine_app: AppTest) -> None:
    at = engine_app
    at.session_state[state.SCHEMA_TEXT] = RENAMED
    at.run()
    at.toggle(key=state.WB_RETRY).set_value(True).run()
    at.number_input(key=state.WB_RETRY_ATTEMPTS).set_value(2).run()
    at.button(key=state.RUN_BUTTON).click().run(timeout=2 * RUN_TIMEOUT_S)
    assert not at.exception, at.exception
    entries = at.session_state[state.HISTORY].entries  # newest first
    out = at.session_state[state.WB_RETRIES][entries[0].id]
    first = out.attempts[0]
    assert first.verdict == "invalid", first.result.content  # the small model answers name and age
    assert out.calls == 2 == len(entries)  # the retry happened, and each attempt is a run in the history
    second = out.attempts[1]
    sent_back = second.request.followups
    assert sent_back[0] == {"role": "assistant", "content": first.result.content}
    assert "'full_name' is a required property" in sent_back[1]["content"]
    assert second.result.error is None and second.entry is entries[0]
    ins, outs = out.tokens()
    assert ins > 0 and outs > 0
    page = texts(at)
    assert f"{out.calls} calls, {ins + outs} tokens ({ins} in, {outs} out)" in page
    assert "Attempt 1: invalid" in page and f"Attempt 2: {second.verdict}" in page
    rows = next(f.value for f in at.dataframe if "attempt" in f.value.columns)
    assert list(rows["verdict"]) == [first.verdict, second.verdict]


@pytest.mark.engine
def test_compare_sets_json_object_with_retries_beside_json_schema(monkeypatch: pytest.MonkeyPatch,
                                                                   local_engine_url: str) -> None:
    from tests.ui.page_harness import open_page

    at = open_page(monkeypatch, "compare", local_engine_url)
    at.session_state[state.SCHEMA_TEXT] = RENAMED
    at.run()
    at.pills(key=state.CMP_MODES).set_value(["json_schema"]).run()
    assert at.button(key=state.CMP_RUN_BUTTON).disabled
    assert "Pick at least two modes." in texts(at)
    at.toggle(key=state.CMP_RETRIES).set_value(True).run()
    at.number_input(key=state.CMP_RETRY_ATTEMPTS).set_value(2).run()
    assert "A JSON Schema · B JSON Object + retries (up to 2)" in texts(at)
    at.button(key=state.CMP_RUN_BUTTON).click().run(timeout=3 * RUN_TIMEOUT_S)
    assert not at.exception, at.exception
    schema_col, retried_col = at.session_state[state.CMP_RESULTS]
    assert schema_col.retry is None and schema_col.result.verdict == "valid"
    assert retried_col.retry is not None and retried_col.retry.attempts[0].verdict == "invalid"
    assert retried_col.retry.calls == 2 and retried_col.result is retried_col.retry.final.result
    page = texts(at)
    ins, outs = retried_col.retry.tokens()
    assert (f"B · JSON Object + retries took 2 calls and {ins + outs} tokens to end {retried_col.result.verdict}; "
            f"A · JSON Schema took 1 call and {schema_col.result.usage.total_tokens} tokens to end valid") in page
    assert "eliminates the need for extra validation or retries" in page
    assert len(at.session_state[state.HISTORY]) == 3  # every call, in the history


# ---------------------------------------------------------------- errors pointed at

def _show(at: AppTest, content: str) -> Any:
    """A finished run of the editor's schema whose answer is ``content`` (parsed and validated for real),
    shown in the result panels as after a Run."""
    from structured_output.request import Request
    from structured_output.result import RunResult, finish

    req = Request(schema_text=at.session_state[state.SCHEMA_TEXT], system_prompt="JSON", user_text="Alex, 34")
    entry = at.session_state[state.HISTORY].add(req, finish(RunResult(content=content, finish_reason="stop"),
                                                            req.schema()))
    at.session_state[state.CURRENT] = entry.id
    at.run()
    assert not at.exception, at.exception
    return entry


def html_blocks(at: AppTest) -> list[str]:
    return [h.proto.body for h in at.get("html") if "wb-mark" in h.proto.body]


def test_a_picked_validation_error_is_marked_in_answer_parsed_result_and_schema_gutter(app: AppTest) -> None:
    at = app
    answer = '{"name": "Alex Brown",\n "age": "34"}'
    entry = _show(at, answer)
    assert [r.path for r in entry.result.validation.errors] == ["$.age"]
    assert "Select an error's row to mark its place" in texts(at)
    assert not [a for a in ace_args(at, state.SCHEMA_TEXT)["annotations"] if a["text"].startswith("Pointed at")]

    at.session_state[state.errors_table_key("result", entry.id)] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    page = texts(at)
    assert "Pointed at $.age: '34' is not of type 'integer'" in page
    raw, parsed = html_blocks(at)
    assert '<mark class="wb-mark"' in raw and '>&quot;age&quot;: &quot;34&quot;</mark>' in raw
    assert '>&quot;age&quot;: &quot;34&quot;</mark>' in parsed  # the parsed result, pretty-printed
    assert "line 2, column 2" in page and "line 3, column 3" in page  # where each of the two texts has it
    [mark] = [a for a in ace_args(at, state.SCHEMA_TEXT)["annotations"] if a["text"].startswith("Pointed at")]
    schema_lines = at.session_state[state.SCHEMA_TEXT].split("\n")
    assert '"type": "integer"' in schema_lines[mark["row"]] and mark["type"] == "warning"
    assert f"marked in the schema editor's gutter, line {mark['row'] + 1}" in page

    at.session_state[state.SCHEMA_TEXT] = at.session_state[state.SCHEMA_TEXT].replace('"integer"', '"number"')
    at.run()  # the schema changed since the run: its lines mean nothing for that run any more
    assert not [a for a in ace_args(at, state.SCHEMA_TEXT)["annotations"] if a["text"].startswith("Pointed at")]
    assert "the editor's schema has changed since this run" in texts(at)


def test_a_parse_error_is_marked_at_its_line_and_column_in_the_answer(app: AppTest) -> None:
    at = app
    _show(at, '{"name": "Alex Brown",\n "age": 34,,\n}')
    page = texts(at)
    assert "Where the parse stopped :gray[line 2, column 12: Expecting property name" in page
    [raw] = html_blocks(at)
    from components.error_pointer import MARK_STYLE

    assert raw.endswith(f'34,<mark class="wb-mark" style="{MARK_STYLE}">,</mark>\n}}</pre>')  # the second comma


# ---------------------------------------------------------------- share

from tests.ui.test_presets_apptest import downloads as downloads  # noqa: E402  (the fixture, for this module)


def share_uploader(at: AppTest) -> Any:
    return next(u for u in at.file_uploader if u.label == "Open a shared run (.json)")


@pytest.mark.engine
def test_a_retried_run_shared_as_a_file_and_a_link_reopens_in_a_new_session(
        monkeypatch: pytest.MonkeyPatch, local_engine_url: str, downloads: list[tuple[bytes, str | None]],
        tmp_path: Any) -> None:
    at = page(monkeypatch, local_engine_url)
    at.session_state[state.SCHEMA_TEXT] = RENAMED
    at.session_state[state.USER_TEXT] = "Hello, I am Alex Brown, 34 years old."
    at.run()
    at.toggle(key=state.WB_RETRY).set_value(True).run()
    at.number_input(key=state.WB_RETRY_ATTEMPTS).set_value(2).run()
    at.button(key=state.RUN_BUTTON).click().run(timeout=2 * RUN_TIMEOUT_S)
    assert not at.exception, at.exception
    final = at.session_state[state.HISTORY].entries[0]
    out = at.session_state[state.WB_RETRIES][final.id]
    assert [b for b in at.get("download_button") if b.label == "Download run (.json)"]
    data, name = downloads[-1]
    assert name == f"run-{final.id}.json"
    shared = json.loads(data)
    assert [a["verdict"] for a in shared["attempts"]] == [a.verdict for a in out.attempts]
    assert shared["attempts"][0]["raw"] and shared["lint"] is not None and shared["verdict"] == final.verdict
    link = next(c.value for c in at.code if "?run=" in c.value)
    query = link.split("?run=", 1)[1]

    # a new session (its own history file: another browser, another machine) opens the file: the editors, the
    # history and the attempts come back
    monkeypatch.setenv("SOP_HISTORY_DB", str(tmp_path / "other.sqlite3"))
    other = page(monkeypatch, local_engine_url)
    assert not other.session_state[state.HISTORY].entries
    other.session_state[state.USER_TEXT] = "something else"
    other.run()
    share_uploader(other).set_value((name, data, "application/json")).run()
    assert not other.exception, other.exception
    assert other.session_state[state.USER_TEXT] == "Hello, I am Alex Brown, 34 years old."
    assert other.session_state[state.SCHEMA_TEXT] == RENAMED
    assert ace_args(other, state.SCHEMA_TEXT)["defaultValue"] == RENAMED  # the editors were remounted with it
    entries = other.session_state[state.HISTORY].entries
    assert [e.verdict for e in reversed(entries)] == [a.verdict for a in out.attempts]
    assert [e.result.content for e in reversed(entries)] == [a.result.content for a in out.attempts]
    page_text = texts(other)
    assert f"its {out.calls} attempts are in the history" in page_text
    assert out.summary().split(":")[0] in page_text  # the attempts box, as after the run

    # a bad file is refused by name, and nothing is lost
    share_uploader(other).set_value(("notes.json", b'{"format": "nope"}', "application/json")).run()
    assert "notes.json could not be opened: The file is not a shared run" in texts(other)
    assert other.session_state[state.SCHEMA_TEXT] == RENAMED

    # and a link opened in a third session fills its editors
    monkeypatch.setenv("SOP_HISTORY_DB", str(tmp_path / "third.sqlite3"))
    third = page(monkeypatch, local_engine_url)
    third.query_params[LINK_PARAM] = query
    third.run()
    assert not third.exception, third.exception
    assert third.session_state[state.USER_TEXT] == "Hello, I am Alex Brown, 34 years old."
    assert third.session_state[state.SCHEMA_TEXT] == RENAMED and third.session_state[state.MODE] == "json_object"
    assert "Opened the request from the link" in texts(third)
    third.run()
    assert "Opened the request from the link" not in texts(third)  # said once; the rerun does not reopen it


def test_a_damaged_link_says_so_and_keeps_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(free_port()))
    monkeypatch.setenv("SOP_LOCAL_ENGINE_AUTOSTART", "0")
    at.query_params[LINK_PARAM] = "eJzLSM3JyVcozy_KSQEAGgQEXQ"[:10]
    at.run()
    assert not at.exception, at.exception
    assert "The link could not be opened: The link's `run` parameter is damaged" in texts(at)
    assert at.session_state[state.USER_TEXT] == state.DEFAULT_USER_TEXT


# ---------------------------------------------------------------- the field table

def field_table(at: AppTest) -> Any:
    from components.field_table_editor import table_key

    key = table_key(at.session_state[state.SCHEMA_TEXT])
    return key, next(t for t in at.data_editor if t.key == key)


def test_the_field_table_and_the_json_edit_each_other(app: AppTest) -> None:
    at = app
    key, table = field_table(at)  # the default schema: name, age, email
    assert list(table.value["field"]) == ["name", "age", "email"]
    assert list(table.value["required"]) == [True, True, False]
    assert table.value["description"][0] == "User name"

    # the table edits the JSON: age becomes a number, a nested object with one field is added
    at.session_state[key] = {"edited_rows": {1: {"type": "number"}}, "deleted_rows": [],
                             "added_rows": [{"field": "address", "type": "object", "required": True},
                                            {"field": "address.city", "type": "string", "required": True,
                                             "description": "City"}]}
    at.run()
    assert not at.exception, at.exception
    schema = editor_schema(at)
    assert schema["properties"]["age"] == {"type": "number", "description": "User age"}
    assert schema["properties"]["address"] == {"type": "object", "properties": {"city": {
        "type": "string", "description": "City"}}, "required": ["city"], "additionalProperties": False}
    assert schema["required"] == ["name", "age", "address"] and schema["additionalProperties"] is False

    # the JSON edits the table: a field typed in the JSON is a row
    schema["properties"]["tags"] = {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}
    at.session_state[state.SCHEMA_TEXT] = json.dumps(schema, indent=2)
    at.run()
    _, table = field_table(at)
    assert list(table.value["field"])[-2:] == ["tags", "tags[]"] and table.value["enum"].iloc[-1] == "a, b"


def test_rows_that_make_no_schema_leave_the_json_and_a_schema_the_table_cannot_show_says_why(app: AppTest) -> None:
    at = app
    before = at.session_state[state.SCHEMA_TEXT]
    key, _ = field_table(at)
    at.session_state[key] = {"edited_rows": {}, "deleted_rows": [],
                             "added_rows": [{"field": "address.city", "type": "string", "required": True}]}
    at.run()
    assert "Row 4 (address.city): there is no row for 'address' before it" in texts(at)
    assert "The JSON is unchanged until the table makes a schema." in texts(at)
    assert at.session_state[state.SCHEMA_TEXT] == before

    at.session_state[state.SCHEMA_TEXT] = json.dumps({"type": "object", "properties": {
        "email": {"type": "string", "format": "email"}}})
    at.run()
    assert "The table cannot show `format` at $.email." in texts(at)
    assert not [t for t in at.data_editor if t.key and t.key.startswith("wb_table_")]  # the JSON is the only editor
