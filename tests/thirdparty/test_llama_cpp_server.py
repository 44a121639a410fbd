"""The playground against a real third-party OpenAI-compatible server: llama-cpp-python's own, on the
local engine's GGUF, reached as a custom URL through the playground's own code path (``clients.run``,
``servers.list_models``, the playground page in AppTest). What it does, recorded here and in
``structured_output/data/servers.json``:

- JSON Schema mode: HTTP 500 with a validation body ("Input should be 'text' or 'json_object'"). The
  playground must call that "this server does not support response_format type 'json_schema'", say
  what it accepts, and ask once (no retries), not "running again later usually works".
- JSON Object mode: JSON, but often ``{}`` or an object followed by runs of spaces, tabs and newlines
  (llama.cpp's JSON grammar lets white space run on). The Parsed panel must say so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from structured_output.clients import run
from structured_output.output_notes import describe_output
from structured_output.request import Request
from structured_output.servers import list_models, load_recent_urls
from tests.servers import free_port
from tests.thirdparty.conftest import ThirdPartyServer
from tests.ui.page_harness import texts

pytestmark = pytest.mark.thirdparty

SCHEMA = json.dumps({"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                     "required": ["name", "age"], "additionalProperties": False})
# With this prompt (greedy decoding) the 270M model writes a small object and llama.cpp's grammar then
# lets it run on in white space; the exact answer still varies between calls (the server reuses its
# KV cache), so the tests check that what came back is described, whatever it is.
PADDED_PROMPT = {"system_prompt": "Output JSON only.", "user_text": "List three colors.", "temperature": 0.0,
                 "max_tokens": 64}


def request(server: ThirdPartyServer, **kw: object) -> Request:
    base: dict[str, object] = dict(model=server.model, endpoint="custom", custom_base_url=server.base_url,
                                   mode="json_object", system_prompt="Extract the name and age and return the "
                                   "information in JSON format.", user_text="My name is Alex Brown. I am 34.")
    base.update(kw)
    return Request(**base)  # type: ignore[arg-type]


def test_models_are_listed_through_the_sdk(llama_cpp_server: ThirdPartyServer) -> None:
    listed = list_models(llama_cpp_server.base_url)
    assert listed.error is None
    assert listed.ids == [llama_cpp_server.model]
    assert llama_cpp_server.model.endswith(".gguf")  # llama-cpp-python names the model by its path


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_json_schema_mode_is_a_finding_not_a_transient_failure(llama_cpp_server: ThirdPartyServer,
                                                               stream: bool) -> None:
    before = llama_cpp_server.chat_posts()
    result = run(request(llama_cpp_server, mode="json_schema", schema_text=SCHEMA, schema_name="user_info",
                         stream=stream))
    err = result.error
    assert err is not None and err.status == 500
    assert err.kind == "unsupported", err
    assert "Input should be 'text' or 'json_object'" in err.message  # the server's own words, kept
    assert "does not support response_format type 'json_schema'" in err.hint
    assert "It accepts 'text' or 'json_object'" in err.hint and "JSON Object mode" in err.hint
    assert "running again later usually works" not in err.hint
    assert err.retries == 0 and result.retries == 0
    if before >= 0:  # the server saw one request: the SDK did not retry the 500
        assert llama_cpp_server.chat_posts() - before == 1


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_json_object_answer_is_described(llama_cpp_server: ThirdPartyServer, stream: bool) -> None:
    result = run(request(llama_cpp_server, stream=stream, **PADDED_PROMPT))
    assert result.error is None, result.error
    assert result.parse is not None and result.parse.ok, result.content
    assert isinstance(result.parse.value, dict)
    content = result.content or ""
    trail = content[len(content.rstrip()):]
    notes = {n.kind: n.text for n in describe_output(content, result.parse)}
    # llama.cpp's JSON grammar allows white space after the closing brace and the model often takes it
    # (seen: "\n  ", "\n  \t  \t  \t…"); whatever came back, the note counts it exactly, or is absent.
    if trail:
        note = notes["trailing_whitespace"]
        assert note.startswith(f"{len(trail)} character{'s' if len(trail) != 1 else ''} of white space")
        for ch, name in (("\n", "newline"), (" ", "space"), ("\t", "tab")):
            n = trail.count(ch)
            assert (f"{n} {name}" in note) == (n > 0), (note, repr(trail))
    else:
        assert "trailing_whitespace" not in notes
    if result.parse.value == {}:
        assert "empty_object" in notes
    else:
        assert "empty_object" not in notes
    if stream:
        assert isinstance(result.raw, list) and len(result.raw) > 2 and result.finish_reason in ("stop", "length")
        assert result.ttft_s is not None


# ---------------------------------------------------------------- what the user sees (AppTest)

def _playground_with_sidebar() -> None:
    """The sidebar, then the playground page (AppTest drops sidebar elements of an ``st.navigation``
    app on its second run; the browser is not affected)."""
    import runpy
    from pathlib import Path

    import components
    from components import connection, state

    state.init_defaults()
    connection.sidebar()
    runpy.run_path(str(Path(components.__file__).resolve().parents[1] / "views" / "playground.py"))


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppTest:
    monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(free_port()))
    monkeypatch.setenv("SOP_LOCAL_ENGINE_AUTOSTART", "0")
    monkeypatch.setenv("SOP_RECENT_URLS_FILE", str(tmp_path / "recent_urls.json"))
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    at = AppTest.from_function(_playground_with_sidebar, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_playground_against_the_server(app: AppTest, llama_cpp_server: ThirdPartyServer, tmp_path: Path) -> None:
    at = app
    at.selectbox(key=state.ENDPOINT).set_value("custom").run()
    at.text_input(key=state.CUSTOM_URL).input(llama_cpp_server.base_url).run()
    # the server's models are listed and its only one is put in the model field
    assert at.text_input(key=state.CUSTOM_MODEL).value == llama_cpp_server.model
    assert at.selectbox(key=state.CUSTOM_MODEL_PICK).options == [llama_cpp_server.model]
    # the URL is remembered, in the session and in the data folder, without any key
    assert at.session_state[state.RECENT_URLS][0] == llama_cpp_server.base_url
    assert load_recent_urls(tmp_path / "recent_urls.json")[0] == llama_cpp_server.base_url
    # which server it is: picked by the user (port 8000 would be ambiguous, a free port guesses nothing)
    at.selectbox(key=state.CUSTOM_SERVER).set_value("llama-cpp-python").run()
    page = texts(at)
    assert "llama-cpp-python server, as its docs say: JSON Object :green[yes] · JSON Schema :red[no]" in page

    at.radio(key=state.MODE).set_value("json_schema").run()
    at.session_state[state.SCHEMA_TEXT] = SCHEMA
    at.run()
    assert "its docs say it does not take response_format type json_schema" in texts(at).replace("`", "")
    at.button(key=state.RUN_BUTTON).click().run(timeout=300)
    page = texts(at)
    assert "HTTP 500" in page
    assert "This server does not support response_format type 'json_schema'" in page
    assert "running again later usually works" not in page and "after 1 retr" not in page

    at.radio(key=state.MODE).set_value("json_object").run()
    at.session_state[state.SYSTEM_PROMPT] = PADDED_PROMPT["system_prompt"]
    at.session_state[state.USER_TEXT] = PADDED_PROMPT["user_text"]
    at.session_state[state.SET_TEMPERATURE] = True
    at.session_state[state.TEMPERATURE] = 0.0
    at.session_state[state.SET_MAX_TOKENS] = True
    at.session_state[state.MAX_TOKENS] = PADDED_PROMPT["max_tokens"]
    at.session_state[state.EDITOR_VERSION] += 1
    at.run()
    at.button(key=state.RUN_BUTTON).click().run(timeout=300)
    assert not at.exception, at.exception
    page = texts(at)
    assert "Strict json.loads succeeded." in page.replace("`", "")
    content = at.session_state[state.HISTORY].entries[-1].result.content or ""
    for note in describe_output(content, at.session_state[state.HISTORY].entries[-1].result.parse):
        assert note.text in page  # each note is a line of the Parsed panel
