"""Code export on the playground: one tab a language for the current state, the local engine's base
URL, the Pydantic form in JSON Schema mode, and the key never written into the code. (That the code
runs is tested in tests/domain/test_snippets_engine.py, against the local engine.)"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from structured_output.catalog import local_engine_port
from structured_output.presets import get_preset
from tests.ui.page_harness import open_page

SECRET = "sk-typed-secret-0123456789"


@pytest.fixture
def playground(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return open_page(monkeypatch, "playground")


def code_blocks(at: AppTest) -> dict[str, str]:
    """The snippets under the "Code for this request" expander, by tab title."""
    box = next(e for e in at.expander if e.label == "Code for this request")
    return {tab.label: tab.code[0].value for tab in box.tabs}


def test_tabs_for_json_object_mode_point_at_the_local_engine(playground: AppTest) -> None:
    blocks = code_blocks(playground)
    assert list(blocks) == ["Python · openai", "Python · dashscope", "Node.js", "curl · compatible", "curl · native",
                            "Java"]
    base = f"http://127.0.0.1:{local_engine_port()}"
    assert f"{base}/compatible-mode/v1" in blocks["Python · openai"]
    assert f"{base}/api/v1" in blocks["curl · native"]
    assert 'os.getenv("DASHSCOPE_API_KEY")' in blocks["Python · openai"]
    assert "process.env.DASHSCOPE_API_KEY" in blocks["Node.js"]
    assert "$DASHSCOPE_API_KEY" in blocks["curl · compatible"]
    assert '"type": "json_object"' in blocks["curl · compatible"]
    assert state.DEFAULT_USER_TEXT in blocks["Python · openai"]


def test_json_schema_mode_offers_a_parse_form_only_when_it_sends_the_same_schema(playground: AppTest) -> None:
    at = playground
    at.radio(key=state.MODE).set_value("json_schema").run()
    blocks = code_blocks(at)
    assert list(blocks)[:5] == ["Python · openai", "Python · Pydantic", "Python · dashscope", "Node.js",
                                "Node.js · zod"]
    # the editor's schema is not what parse would send: the forms say what they would change instead
    for tab in ("Python · Pydantic", "Node.js · zod"):
        assert "is not offered for this request" in blocks[tab] and ".parse(" not in blocks[tab]
    assert "chat.completions.create(" in blocks["Node.js"] and "json_schema" in blocks["Node.js"]
    assert "JSON Schema not supported" in " ".join(c.value for c in at.caption)  # Java's note, said as such
    # the schema parse itself sends for the reference's UserInfo class: now the Pydantic form is offered
    form = get_preset("json-schema-getting-started", "python-openai-parse")
    at.session_state[state.SCHEMA_TEXT] = form.schema_text
    at.session_state[state.SCHEMA_NAME] = form.schema_name
    at.run()
    blocks = code_blocks(at)
    assert "class UserInfo(BaseModel)" in blocks["Python · Pydantic"] and ".parse(" in blocks["Python · Pydantic"]
    if at.session_state[state.STREAM]:  # the same schema, but parse does not stream: its code says so
        assert "parse does not stream" in blocks["Python · Pydantic"]
    assert "is not offered" in blocks["Node.js · zod"]  # zod would send another schema (bounds, no titles)


def test_a_typed_key_never_appears_in_the_code(playground: AppTest) -> None:
    at = playground
    at.session_state[state.ENDPOINT] = "intl"
    at.session_state[state.DASHSCOPE_KEY] = SECRET
    at.run()
    blocks = code_blocks(at)
    assert all(SECRET not in code for code in blocks.values())
    assert "https://dashscope-intl.aliyuncs.com/compatible-mode/v1" in blocks["Python · openai"]
    assert all("DASHSCOPE_API_KEY" in code for code in blocks.values())
