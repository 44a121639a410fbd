"""The documented rules and every bad input: a specific 4xx in the protocol's error shape, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from local_engine.rules import JSON_KEYWORD_MESSAGE
from tests.engine.conftest import ALEX_MESSAGES, USER_SCHEMA, lower

pytestmark = pytest.mark.engine
NATIVE_TEXT = "/api/v1/services/aigc/text-generation/generation"
DOCUMENTED = ("'messages' must contain the word 'json' in some form, to use 'response_format' of type "
              "'json_object'.")
NO_JSON = [{"role": "user", "content": "My name is Alex Brown and I am 34."}]


def schema_format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "x", "strict": True, "schema": schema}}


def test_documented_json_keyword_text() -> None:
    assert JSON_KEYWORD_MESSAGE == DOCUMENTED


def test_json_object_without_json_word_compatible(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(model="qwen-plus", messages=NO_JSON, response_format={"type": "json_object"})
    assert info.value.status_code == 400
    body = info.value.body
    assert isinstance(body, dict) and body["message"] == DOCUMENTED
    assert body["type"] == "invalid_request_error" and body["code"] == "invalid_parameter_error"


def test_json_object_without_json_word_stream_compatible(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="must contain the word 'json'"):
        oai.chat.completions.create(model="qwen-plus", messages=NO_JSON, response_format={"type": "json_object"},
                                    stream=True)


def test_json_word_is_case_insensitive_and_any_message(oai: openai.OpenAI) -> None:
    messages = [{"role": "system", "content": "Answer as Json."}, *NO_JSON]
    r = oai.chat.completions.create(model="qwen-plus", messages=messages, response_format={"type": "json_object"},
                                    max_tokens=3)
    assert r.choices[0].message.content.startswith("{")


def test_json_object_without_json_word_native(ds: Any) -> None:
    r = ds.Generation.call(api_key="sk-local", model="qwen-plus", messages=NO_JSON, result_format="message",
                           response_format={"type": "json_object"})
    assert r.status_code == 400
    assert r.code == "InvalidParameter"
    assert r.message == DOCUMENTED
    assert r.request_id


def test_json_object_without_json_word_native_stream(ds: Any) -> None:
    responses = list(ds.Generation.call(api_key="sk-local", model="qwen-plus", messages=NO_JSON, stream=True,
                                        incremental_output=True, response_format={"type": "json_object"}))
    assert [(r.status_code, r.message) for r in responses] == [(400, DOCUMENTED)]


@pytest.mark.parametrize("mode", ["json_object", "json_schema"])
def test_thinking_with_structured_output_compatible(oai: openai.OpenAI, mode: str) -> None:
    fmt = {"type": "json_object"} if mode == "json_object" else schema_format(USER_SCHEMA)
    with pytest.raises(openai.BadRequestError, match="thinking mode") as info:
        oai.chat.completions.create(model="qwen-plus", messages=ALEX_MESSAGES, response_format=fmt,
                                    extra_body={"enable_thinking": True})
    assert info.value.body["param"] == "enable_thinking"


def test_thinking_off_is_fine(oai: openai.OpenAI) -> None:
    r = oai.chat.completions.create(model="qwen-plus", messages=ALEX_MESSAGES, max_tokens=3,
                                    response_format={"type": "json_object"}, extra_body={"enable_thinking": False})
    assert r.choices[0].finish_reason in ("stop", "length")


def test_thinking_with_structured_output_native(ds: Any) -> None:
    r = ds.Generation.call(api_key="sk-local", model="qwen-plus", messages=ALEX_MESSAGES, result_format="message",
                           response_format={"type": "json_object"}, enable_thinking=True)
    assert r.status_code == 400 and "thinking mode" in r.message


def test_model_listed_for_structured_output_in_thinking(oai: openai.OpenAI) -> None:
    """kimi-k2-thinking always thinks, yet the reference lists it for JSON Object mode."""
    r = oai.chat.completions.create(model="kimi-k2-thinking", messages=ALEX_MESSAGES, max_tokens=3,
                                    response_format={"type": "json_object"})
    assert r.choices[0].message.content.startswith("{")


def test_json_schema_on_unlisted_model(oai: openai.OpenAI, ds: Any) -> None:
    with pytest.raises(openai.BadRequestError, match="does not support response_format of type 'json_schema'"):
        oai.chat.completions.create(model="qwen-max", messages=ALEX_MESSAGES,
                                    response_format=schema_format(USER_SCHEMA))
    r = ds.Generation.call(api_key="sk-local", model="qwen-turbo", messages=ALEX_MESSAGES,
                           response_format=schema_format(USER_SCHEMA))
    assert r.status_code == 400 and "json_schema" in r.message and "qwen-plus" in r.message


def test_json_object_not_listed_is_accepted_and_said(oai: openai.OpenAI, ds: Any) -> None:
    """deepseek-v3.2 is listed for JSON Schema only: the reference says nothing of JSON Object mode on it,
    so the engine does not claim the service refuses it; it serves it and says so in a header."""
    raw = oai.chat.completions.with_raw_response.create(model="deepseek-v3.2", messages=ALEX_MESSAGES, max_tokens=3,
                                                        response_format={"type": "json_object"})
    assert raw.parse().choices[0].message.content.startswith("{")
    assert "JSON Object not listed in the reference" in raw.headers["x-local-engine-rule"]
    assert "The local engine accepts it" in raw.headers["x-local-engine-rule"]
    r = ds.Generation.call(api_key="sk-local", model="deepseek-v3.2", messages=ALEX_MESSAGES, result_format="message",
                           response_format={"type": "json_object"}, max_tokens=3)
    assert r.status_code == 200, r.message
    assert "not listed in the reference" in lower(r.headers)["x-local-engine-rule"]


# ---------------------------------------------------------------- names resolved by rule

def _refused_both(oai: openai.OpenAI, ds: Any, model: str, fmt: dict[str, Any], *expected: str) -> None:
    """``model`` with ``fmt`` is a 400 on both protocols, and the message says each of ``expected``."""
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(model=model, messages=ALEX_MESSAGES, response_format=fmt, max_tokens=3)
    body = info.value.body
    assert isinstance(body, dict) and body["param"].startswith("response_format"), body
    for text in expected:
        assert text in body["message"]
    r = ds.Generation.call(api_key="sk-local", model=model, messages=ALEX_MESSAGES, result_format="message",
                           response_format=fmt, max_tokens=3)
    assert (r.status_code, r.code) == (400, "InvalidParameter"), r.message
    for text in expected:
        assert text in r.message


@pytest.mark.parametrize(("model", "mode", "rule"), [
    ("qwen-plus-2025-09-11", "json_schema", "qwen-plus snapshot from 2025-09-11: JSON Schema since 2025-07-28"),
    ("qwen3-max-2025-12-01", "json_schema", "qwen3-max snapshot from 2025-12-01: JSON Schema since 2025-09-23"),
    ("qwen-turbo-2025-04-28", "json_object", "qwen-turbo snapshot from 2025-04-28: JSON Object since 2024-11-01"),
])
def test_snapshot_named_by_rule_is_served_with_its_series_rules(oai: openai.OpenAI, ds: Any, model: str, mode: str,
                                                               rule: str) -> None:
    fmt = {"type": "json_object"} if mode == "json_object" else schema_format(USER_SCHEMA)
    raw = oai.chat.completions.with_raw_response.create(model=model, messages=ALEX_MESSAGES, max_tokens=3,
                                                        response_format=fmt)
    assert raw.parse().choices[0].message.content.startswith("{")
    assert raw.headers["x-local-engine-rule"] == rule
    r = ds.Generation.call(api_key="sk-local", model=model, messages=ALEX_MESSAGES, result_format="message",
                           response_format=fmt, max_tokens=3)
    assert r.status_code == 200, r.message
    assert lower(r.headers)["x-local-engine-rule"] == rule


def test_snapshot_before_the_mode_existed_is_refused_with_the_date(oai: openai.OpenAI, ds: Any) -> None:
    _refused_both(oai, ds, "qwen-plus-2025-01-25", schema_format(USER_SCHEMA),
                  "does not support response_format of type 'json_schema'", "qwen-plus-2025-07-28",
                  "(2025-01-25) is earlier", "rule: qwen-plus snapshot from 2025-01-25")
    # the same snapshot has JSON Object mode (qwen-plus-2024-12-20 and later)
    r = oai.chat.completions.create(model="qwen-plus-2025-01-25", messages=ALEX_MESSAGES, max_tokens=3,
                                    response_format={"type": "json_object"})
    assert r.choices[0].message.content.startswith("{")


@pytest.mark.parametrize(("model", "base", "quote"), [
    ("qwen-vl-max-latest", "qwen-vl-max",
     "QwenVL-Max series: qwen-vl-max (excluding the latest and snapshot versions)"),
    ("qwen-vl-plus-2025-05-07", "qwen-vl-plus",
     "QwenVL-Plus series: qwen-vl-plus (excluding the latest and snapshot versions)"),
])
def test_excluded_vision_snapshots_are_refused_structured_output(oai: openai.OpenAI, ds: Any, model: str, base: str,
                                                                 quote: str) -> None:
    _refused_both(oai, ds, model, {"type": "json_object"}, "does not support response_format of type 'json_object'",
                  f"excludes the latest and snapshot versions of {base}", quote)
    # plain text is fine: only structured output is excluded
    r = oai.chat.completions.create(model=model, messages=ALEX_MESSAGES, max_tokens=2)
    assert r.choices[0].finish_reason in ("stop", "length")


def test_thinking_only_open_source_variant_is_refused(oai: openai.OpenAI, ds: Any) -> None:
    model = "qwen3-235b-a22b-thinking-2507"
    for fmt in ({"type": "json_object"}, schema_format(USER_SCHEMA)):
        _refused_both(oai, ds, model, fmt, "always thinks", "thinking-only variant (*-thinking*)",
                      "not supported in thinking mode")
    # its instruct sibling is a non-thinking Qwen3 model: JSON Object mode is fine
    r = oai.chat.completions.create(model="qwen3-235b-a22b-instruct-2507", messages=ALEX_MESSAGES, max_tokens=3,
                                    response_format={"type": "json_object"})
    assert r.choices[0].message.content.startswith("{")


def test_invalid_json_schema(oai: openai.OpenAI, ds: Any) -> None:
    bad = {"type": "object", "properties": {"age": {"type": "integr"}}}
    with pytest.raises(openai.BadRequestError, match=r"not valid at schema\['properties'\]\['age'\]\['type'\]"):
        oai.chat.completions.create(model="qwen-plus", messages=ALEX_MESSAGES, response_format=schema_format(bad))
    r = ds.Generation.call(api_key="sk-local", model="qwen-plus", messages=ALEX_MESSAGES,
                           response_format=schema_format({"type": "object", "required": "name"}))
    assert r.status_code == 400 and "JSON Schema is not valid" in r.message


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}, "required": ["a"]},
    {"type": "string", "pattern": "(?<=a)b"},
])
def test_schema_llguidance_cannot_compile(oai: openai.OpenAI, schema: dict[str, Any]) -> None:
    with pytest.raises(openai.BadRequestError, match="cannot enforce this JSON Schema") as info:
        oai.chat.completions.create(model="qwen-plus", messages=ALEX_MESSAGES, response_format=schema_format(schema))
    assert info.value.body["param"] == "response_format.json_schema.schema"


def test_schema_missing(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match=r"json_schema.schema` is required"):
        oai.chat.completions.create(model="qwen-plus", messages=ALEX_MESSAGES,
                                    response_format={"type": "json_schema", "json_schema": {"name": "x"}})


def test_unknown_model(oai: openai.OpenAI, ds: Any) -> None:
    with pytest.raises(openai.NotFoundError, match="does not exist") as info:
        oai.chat.completions.create(model="gpt-5", messages=ALEX_MESSAGES)
    assert info.value.body["code"] == "model_not_found"
    r = ds.Generation.call(api_key="sk-local", model="no-such-model", messages=ALEX_MESSAGES)
    assert r.status_code == 404 and r.code == "ModelNotFound"


@pytest.mark.parametrize(("body", "expected"), [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b"", "body is empty"),
    (b'{"model": "qwen-plus"}', "`messages` is required"),
    (b'{"messages": [{"role": "user", "content": "hi"}]}', "`model` is required"),
    (b'{"model": "qwen-plus", "messages": []}', "non-empty array"),
    (b'{"model": "qwen-plus", "messages": [{"role": "robot", "content": "hi"}]}', "`messages[0].role`"),
    (b'{"model": "qwen-plus", "messages": [{"role": "user", "content": 5}]}', "`messages[0].content`"),
    (b'{"model": "qwen-plus", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}',
     "`temperature` must be a number"),
    (b'{"model": "qwen-plus", "messages": [{"role": "user", "content": "x"}], "temperature": 3}',
     "`temperature` must be at most 2"),
    (b'{"model": "qwen-plus", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0}',
     "`max_tokens` must be at least 1"),
    (b'{"model": "qwen-plus", "messages": [{"role": "user", "content": "x"}], "n": 2}', "`n` must be 1"),
    (b'{"model": "qwen-plus", "messages": [{"role": "user", "content": "x"}], "response_format": {"type": "xml"}}',
     "`response_format.type`"),
    (b'{"model": "qwen-plus", "messages": [{"role": "user", "content": [{"type": "input_audio"}]}]}',
     "not supported by the local engine"),
])
def test_malformed_compatible_bodies(compat_url: str, body: bytes, expected: str) -> None:
    r = httpx.post(f"{compat_url}/chat/completions", content=body, timeout=30,
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert expected in error["message"]
    assert error["type"] == "invalid_request_error"


@pytest.mark.parametrize(("body", "expected"), [
    (b"nope", "not valid JSON"),
    (b'{"model": "qwen-plus"}', "`input` is required"),
    (b'{"model": "qwen-plus", "input": {}}', "`input.messages` is required"),
    (b'{"model": "qwen-plus", "input": {"messages": [{"role": "user", "content": "x"}]}, '
     b'"parameters": {"result_format": "xml"}}', "`parameters.result_format`"),
    (b'{"model": "qwen-plus", "input": {"messages": [{"role": "user", "content": [{"image": "data:,"}]}]}}',
     "multimodal endpoint"),
    (b'{"model": "qwen-plus", "input": {"messages": [{"role": "user", "content": "x"}]}, "parameters": '
     b'{"response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "object", "required": 1}}}}}',
     "JSON Schema is not valid"),
])
def test_malformed_native_bodies(local_engine_url: str, body: bytes, expected: str) -> None:
    r = httpx.post(local_engine_url + NATIVE_TEXT, content=body, timeout=30,
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    data = r.json()
    assert set(data) == {"code", "message", "request_id"}
    assert data["code"] == "InvalidParameter" and expected in data["message"]


def test_unknown_routes_get_protocol_errors(local_engine_url: str) -> None:
    r = httpx.get(f"{local_engine_url}/compatible-mode/v1/nothing")
    assert r.status_code == 404 and "No route" in r.json()["error"]["message"]
    r = httpx.get(local_engine_url + NATIVE_TEXT)
    assert r.status_code == 405 and r.json()["code"] == "MethodNotAllowed"
