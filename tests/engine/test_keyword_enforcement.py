"""Lenient enforcement: a schema with keywords the grammar cannot enforce is accepted, everything else is
enforced, and what was not is listed (keyword + JSON pointer) in a header and a response field, on both
protocols through the real SDKs; ``keyword_enforcement: "strict"`` refuses such a schema instead, and a
schema that cannot be compiled at all is refused with the reason and the place."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import openai
import pytest

from local_engine.enforcement import HEADER, RESPONSE_FIELD, Unenforced, without
from tests.engine.conftest import lower

pytestmark = pytest.mark.engine

TAGS_SYSTEM = "List the tags of the post and return them in JSON format."
TAGS_USER = "Post: 'Cooking pasta at home' tagged food, italian, dinner."
TAGS_MESSAGES = [{"role": "system", "content": TAGS_SYSTEM}, {"role": "user", "content": TAGS_USER}]
# uniqueItems is not implemented by llguidance; everything else here is (a bounded list of short strings,
# a required title).
TAGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 40},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 12}, "uniqueItems": True,
                 "minItems": 1, "maxItems": 4},
    },
    "required": ["title", "tags"],
    "additionalProperties": False,
}
EXPECTED = [{"keyword": "uniqueItems", "path": "/properties/tags"}]


def _fmt(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "post", "strict": True, "schema": schema}}


def _places(items: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"keyword": i["keyword"], "path": i["path"]} for i in items]


def _check_enforced(content: str, items: list[dict[str, str]]) -> None:
    """The answer satisfies every keyword that was enforced (the schema less the listed ones)."""
    reduced = without(TAGS_SCHEMA, [Unenforced(**i) for i in items])
    assert "uniqueItems" not in json.dumps(reduced) and "maxItems" in json.dumps(reduced)
    jsonschema.validate(json.loads(content), reduced)


def test_compatible_lenient_lists_what_was_not_enforced(oai: openai.OpenAI) -> None:
    raw = oai.chat.completions.with_raw_response.create(model="qwen-plus", messages=TAGS_MESSAGES,
                                                        response_format=_fmt(TAGS_SCHEMA), max_tokens=120)
    completion = raw.parse()
    assert json.loads(raw.headers[HEADER]) == [["uniqueItems", "/properties/tags"]]
    items = (completion.model_extra or {})[RESPONSE_FIELD]
    assert _places(items) == EXPECTED and "llguidance does not implement uniqueItems" in items[0]["reason"]
    if completion.choices[0].finish_reason == "stop":
        _check_enforced(completion.choices[0].message.content or "", items)


def test_compatible_stream_carries_the_list_on_the_finishing_chunk(oai: openai.OpenAI) -> None:
    chunks = list(oai.chat.completions.create(model="qwen-plus", messages=TAGS_MESSAGES, stream=True,
                                              response_format=_fmt(TAGS_SCHEMA), max_tokens=120))
    finishing = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finishing) == 1
    assert _places((finishing[0].model_extra or {})[RESPONSE_FIELD]) == EXPECTED
    assert all(RESPONSE_FIELD not in (c.model_extra or {}) for c in chunks if c is not finishing[0])


def test_native_lenient_lists_what_was_not_enforced(ds: Any) -> None:
    r = ds.Generation.call(api_key="sk-local", model="qwen-plus", messages=TAGS_MESSAGES, result_format="message",
                           response_format=_fmt(TAGS_SCHEMA), max_tokens=120)
    assert r.status_code == 200, r.message
    assert json.loads(lower(r.headers)[HEADER.lower()]) == [["uniqueItems", "/properties/tags"]]
    items = r.output[RESPONSE_FIELD]
    assert _places(items) == EXPECTED
    if r.output.choices[0].finish_reason == "stop":
        _check_enforced(r.output.choices[0].message.content, items)


def test_native_stream_carries_the_list_on_the_last_event(ds: Any) -> None:
    events = list(ds.Generation.call(api_key="sk-local", model="qwen-plus", messages=TAGS_MESSAGES,
                                     result_format="message", response_format=_fmt(TAGS_SCHEMA), max_tokens=120,
                                     stream=True, incremental_output=True))
    assert all(e.status_code == 200 for e in events)
    assert _places(events[-1].output[RESPONSE_FIELD]) == EXPECTED
    assert all(RESPONSE_FIELD not in e.output for e in events[:-1])


def test_fully_enforced_schema_reports_an_empty_list(oai: openai.OpenAI) -> None:
    schema = {k: v for k, v in TAGS_SCHEMA.items()}
    schema["properties"] = {"title": {"type": "string", "maxLength": 40}}
    schema["required"] = ["title"]
    raw = oai.chat.completions.with_raw_response.create(model="qwen-plus", messages=TAGS_MESSAGES,
                                                        response_format=_fmt(schema), max_tokens=40)
    assert json.loads(raw.headers[HEADER]) == []
    assert (raw.parse().model_extra or {})[RESPONSE_FIELD] == []


def test_json_object_mode_has_no_list(oai: openai.OpenAI) -> None:
    raw = oai.chat.completions.with_raw_response.create(model="qwen-plus", messages=TAGS_MESSAGES,
                                                        response_format={"type": "json_object"}, max_tokens=30)
    assert HEADER.lower() not in {k.lower() for k in raw.headers}
    assert RESPONSE_FIELD not in (raw.parse().model_extra or {})


def test_strict_refuses_with_every_keyword_and_place(oai: openai.OpenAI, ds: Any) -> None:
    schema = {**TAGS_SCHEMA, "not": {"required": ["spam"]}}
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(model="qwen-plus", messages=TAGS_MESSAGES, response_format=_fmt(schema),
                                    extra_body={"keyword_enforcement": "strict"})
    message = info.value.body["message"]
    assert "uniqueItems at /properties/tags" in message and "not at / (the root)" in message
    assert info.value.body["param"] == "response_format.json_schema.schema"
    r = ds.Generation.call(api_key="sk-local", model="qwen-plus", messages=TAGS_MESSAGES, result_format="message",
                           response_format=_fmt(TAGS_SCHEMA), keyword_enforcement="strict")
    assert r.status_code == 400 and r.code == "InvalidParameter"
    assert "uniqueItems at /properties/tags" in r.message and "keyword_enforcement" in r.message


def test_strict_accepts_a_schema_it_can_enforce_whole(ds: Any) -> None:
    schema = {"type": "object", "properties": {"title": {"type": "string", "maxLength": 20}}, "required": ["title"]}
    r = ds.Generation.call(api_key="sk-local", model="qwen-plus", messages=TAGS_MESSAGES, result_format="message",
                           response_format=_fmt(schema), keyword_enforcement="strict", max_tokens=30)
    assert r.status_code == 200, r.message
    assert r.output[RESPONSE_FIELD] == []


def test_enforcement_parameter_is_checked(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match=r"`keyword_enforcement` must be \"lenient\"") as info:
        oai.chat.completions.create(model="qwen-plus", messages=TAGS_MESSAGES, response_format=_fmt(TAGS_SCHEMA),
                                    extra_body={"keyword_enforcement": "loose"})
    assert info.value.body["param"] == "keyword_enforcement"


def test_uncompilable_schema_is_refused_with_reason_and_place(oai: openai.OpenAI, ds: Any) -> None:
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": "(?<=a)b"}},
              "required": ["code"]}
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(model="qwen-plus", messages=TAGS_MESSAGES, response_format=_fmt(schema))
    message = info.value.body["message"]
    assert "look-around" in message and "pattern at /properties/code" in message
    # a reference to a definition that is not there, on the native protocol
    missing = {"type": "object", "$defs": {"tag": {"type": "string"}},
               "properties": {"tags": {"type": "array", "items": {"$ref": "#/$defs/missing"}}}, "required": ["tags"]}
    r = ds.Generation.call(api_key="sk-local", model="qwen-plus", messages=TAGS_MESSAGES, result_format="message",
                           response_format=_fmt(missing))
    assert r.status_code == 400 and "does not exist" in r.message, r.message
    assert "$ref at /properties/tags/items" in r.message
