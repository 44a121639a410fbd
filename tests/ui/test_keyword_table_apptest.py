"""The keyword table beside the schema lint, and the line above a result that names what the local
engine did not enforce while decoding (with what validation afterwards found), through AppTest."""

from __future__ import annotations

import json
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from tests.ui.page_harness import RUN_TIMEOUT_S, open_page, plain, texts

TAGS_SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 40},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 12}, "uniqueItems": True,
                 "minItems": 1, "maxItems": 4},
    },
    "required": ["title", "tags"],
    "additionalProperties": False,
}
LOCAL = "Local engine (llguidance)"


def _frames(at: AppTest) -> list[Any]:
    return [d.value for d in at.dataframe]


def test_table_beside_the_schema_lint_names_each_keyword_per_target(monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(monkeypatch, "playground")
    at.radio(key=state.MODE).set_value("json_schema").run()
    at.session_state[state.SCHEMA_TEXT] = json.dumps(TAGS_SCHEMA)
    at.run()
    assert not at.exception
    page = texts(at)
    assert "Local engine (llguidance): not enforced while decoding; checked afterwards: uniqueItems" in page
    labels = [e.label for e in at.expander]
    assert "Keywords: what each target does with them (9)" in labels
    table = next(df for df in _frames(at) if "used at" in df.columns)
    row = table[table["keyword"] == "uniqueItems"].iloc[0]
    assert row["used at"] == "/properties/tags"
    assert row[LOCAL] == "○ afterwards only"
    assert row["DashScope (reference)"] == "? not documented"
    assert "○ afterwards only = not enforced while decoding; checked afterwards" in page  # the legend
    # the notes and sources tab: each keyword, each target, the note and where it comes from
    assert ("Local engine (llguidance): not enforced while decoding; checked afterwards. Not implemented by "
            "llguidance") in page
    assert "Source: Model Studio structured output reference, Configuration guide: 'Declare required fields'" in page
    # a schema that does not parse shows no table (the lint says why), and nothing breaks
    at.session_state[state.SCHEMA_TEXT] = '{"type": '
    at.run()
    assert not at.exception
    assert not any(e.label.startswith("Keywords:") for e in at.expander)


def test_a_picked_custom_server_gets_its_own_column(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a custom URL, the server picked (guessed from llama-server's port here) gets a column with what
    its docs say, and the caption under the lint speaks for it; the other servers get none."""
    at = open_page(monkeypatch, "playground")
    at.session_state[state.ENDPOINT] = "custom"
    at.session_state[state.CUSTOM_URL] = "http://127.0.0.1:8080/v1"
    at.session_state[state.MODE] = "json_schema"
    at.session_state[state.SCHEMA_TEXT] = json.dumps(TAGS_SCHEMA)
    at.run()
    assert not at.exception, at.exception
    assert at.session_state[state.CUSTOM_SERVER] == "llama-server"
    table = next(df for df in _frames(at) if "used at" in df.columns)
    assert "llama.cpp llama-server" in table.columns and "vLLM" not in table.columns
    row = table[table["keyword"] == "uniqueItems"].iloc[0]
    assert row["llama.cpp llama-server"] == "○ afterwards only"
    page = texts(at)
    assert "Your endpoint: llama.cpp llama-server" in plain(page) or "Your endpoint: **llama.cpp llama-server**" in page
    assert "llama.cpp llama-server: not enforced while decoding; checked afterwards: uniqueItems" in page
    at.selectbox(key=state.CUSTOM_SERVER).set_value("llama-cpp-python").run()
    table = next(df for df in _frames(at) if "used at" in df.columns)
    assert set(table["llama-cpp-python server"]) == {"✗ refused"} and "llama.cpp llama-server" not in table.columns


@pytest.mark.engine
def test_result_names_what_was_not_enforced_and_whether_the_answer_satisfied_it(
        monkeypatch: pytest.MonkeyPatch, local_engine_url: str) -> None:
    at = open_page(monkeypatch, "playground", local_engine_url, timeout=RUN_TIMEOUT_S)
    at.radio(key=state.MODE).set_value("json_schema").run()
    at.session_state[state.SYSTEM_PROMPT] = "List the title and the tags of the post and return them in JSON format."
    at.session_state[state.USER_TEXT] = "Post: 'Cooking pasta at home' tagged food, italian, dinner."
    at.session_state[state.SCHEMA_TEXT] = json.dumps(TAGS_SCHEMA)
    at.run()
    at.button(key=state.RUN_BUTTON).click().run(timeout=RUN_TIMEOUT_S)
    assert not at.exception, at.exception
    notices = [plain(i.value) for i in at.info if "not enforced while decoding" in plain(i.value)]
    assert len(notices) == 1, texts(at)
    notice = notices[0]
    assert notice.startswith("not enforced while decoding: uniqueItems at /properties/tags")
    entry = at.session_state[state.HISTORY].get(at.session_state[state.CURRENT])
    answer = json.loads(entry.result.content)
    unique = len(set(answer["tags"])) == len(answer["tags"])
    expected = "the answer happens to satisfy it" if unique else "the answer breaks it (see the validation)"
    assert f"uniqueItems at /properties/tags: {expected}" in notice
    # JSON Object mode: no grammar from the schema, so no such line
    at.radio(key=state.MODE).set_value("json_object").run()
    at.button(key=state.RUN_BUTTON).click().run(timeout=RUN_TIMEOUT_S)
    assert not any("not enforced while decoding" in plain(i.value) for i in at.info)
