"""The OpenAI-compatible protocol, driven by the real ``openai`` SDK: every mode, streaming, parse()."""

from __future__ import annotations

import json

import httpx
import jsonschema
import openai
import pytest
from pydantic import BaseModel

from tests.engine.conftest import ALEX_MESSAGES, ALEX_SYSTEM, ALEX_USER, USER_SCHEMA

pytestmark = pytest.mark.engine


def test_json_object_getting_started(oai: openai.OpenAI) -> None:
    """The reference's first example, unchanged except for the base URL."""
    raw = oai.chat.completions.with_raw_response.create(
        model="qwen-flash", messages=ALEX_MESSAGES, response_format={"type": "json_object"})
    completion = raw.parse()
    assert raw.headers["x-local-engine-model"] == "gemma-3-270m (serving qwen-flash)"
    assert raw.headers["x-request-id"]
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    answer = json.loads(choice.message.content)
    assert isinstance(answer, dict) and answer
    assert answer.get("name") == "Alex Brown"
    assert completion.model == "qwen-flash"
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    usage = completion.usage
    assert usage is not None and usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_json_schema_output_validates(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="qwen-plus", messages=ALEX_MESSAGES,
        response_format={"type": "json_schema",
                         "json_schema": {"name": "user_info", "strict": True, "schema": USER_SCHEMA}})
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    answer = json.loads(choice.message.content)
    jsonschema.validate(answer, USER_SCHEMA)
    assert answer == {"name": "Alex Brown", "age": 34}


def test_json_schema_needs_no_json_keyword(oai: openai.OpenAI) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"},
                                               "country": {"type": "string", "enum": ["France", "Italy", "Spain"]}},
              "required": ["city", "country"]}
    completion = oai.chat.completions.create(
        model="qwen3-max", messages=[{"role": "user", "content": "I live in Rome."}],
        response_format={"type": "json_schema", "json_schema": {"name": "place", "schema": schema}})
    answer = json.loads(completion.choices[0].message.content)
    jsonschema.validate(answer, schema)


def test_parse_with_pydantic_model(oai: openai.OpenAI) -> None:
    """``chat.completions.parse`` (strict schema with additionalProperties false), as the reference shows."""

    class UserInfo(BaseModel):
        name: str
        age: int

    completion = oai.chat.completions.parse(
        model="qwen-plus",
        messages=[{"role": "system", "content": "Extract the name and age information."},
                  {"role": "user", "content": "My name is Alex Brown, and I am 25 years old."}],
        response_format=UserInfo)
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, UserInfo)
    assert parsed.name == "Alex Brown"
    assert parsed.age == 25


def test_unconstrained_text(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="local-gemma3-270m", messages=[{"role": "user", "content": "What is the capital of Italy?"}],
        max_tokens=40)
    text = completion.choices[0].message.content
    assert text and text == text.strip()
    assert "Rome" in text
    assert "Input:" not in text and "Output:" not in text


def test_min_tokens_holds_off_the_end_in_plain_text_only(oai: openai.OpenAI) -> None:
    """vLLM's ``min_tokens`` extension: the model may not end before it (the bench's long plain answers)."""
    question = [{"role": "user", "content": "What is the capital of Italy?"}]
    short = oai.chat.completions.create(model="qwen-flash", messages=question, max_tokens=120)
    assert short.usage is not None and short.usage.completion_tokens < 60
    held = oai.chat.completions.create(model="qwen-flash", messages=question, max_tokens=120,
                                       extra_body={"min_tokens": 60})
    assert held.usage is not None and (held.usage.completion_tokens >= 60 or held.choices[0].finish_reason == "stop")
    assert held.usage.completion_tokens > short.usage.completion_tokens
    with pytest.raises(openai.BadRequestError, match="min_tokens"):
        oai.chat.completions.create(model="qwen-flash", messages=ALEX_MESSAGES, extra_body={"min_tokens": 5},
                                    response_format={"type": "json_object"})


def test_max_tokens_ends_with_length(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="qwen-flash", messages=ALEX_MESSAGES, response_format={"type": "json_object"}, max_tokens=4)
    choice = completion.choices[0]
    assert choice.finish_reason == "length"
    assert completion.usage is not None and completion.usage.completion_tokens == 4
    assert choice.message.content.startswith("{")


def test_stream_with_usage_chunk(oai: openai.OpenAI) -> None:
    stream = oai.chat.completions.create(
        model="qwen-flash", messages=ALEX_MESSAGES, response_format={"type": "json_object"},
        stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert isinstance(json.loads(text), dict)
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens > 0
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) > 3  # really incremental


def test_stream_json_schema_without_usage(oai: openai.OpenAI) -> None:
    stream = oai.chat.completions.create(
        model="qwen-flash", messages=ALEX_MESSAGES, stream=True,
        response_format={"type": "json_schema", "json_schema": {"name": "u", "schema": USER_SCHEMA}})
    chunks = list(stream)
    assert all(c.usage is None for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    jsonschema.validate(json.loads(text), USER_SCHEMA)


def test_models_list(oai: openai.OpenAI) -> None:
    ids = [m.id for m in oai.models.list()]
    assert ids[0] == "local-gemma3-270m"
    assert {"qwen-plus", "qwen-flash", "qwen3-vl-plus", "deepseek-v3.2"} <= set(ids)


def test_curl_example_body(compat_url: str) -> None:
    """The reference's curl request (few-shot system prompt, qwen-plus), posted as raw JSON."""
    system = ("You need to extract the name (string), age (string), and email (string). Output a JSON string. "
              "Do not output any other content.\nExamples:\nQ: My name is John Doe, I am 25 years old, and my "
              "email is johndoe@example.com\nA:{\"name\":\"John Doe\",\"age\":\"25 years old\",\"email\":"
              "\"johndoe@example.com\"}")
    body = {"model": "qwen-plus",
            "messages": [{"role": "system", "content": system},
                         {"role": "user", "content": "Hello everyone, my name is Alex Brown, and I am 34 years "
                                                     "old. My email is alexbrown@example.com"}],
            "response_format": {"type": "json_object"}}
    r = httpx.post(f"{compat_url}/chat/completions", json=body, headers={"Authorization": "Bearer sk-x"}, timeout=120)
    assert r.status_code == 200, r.text
    data = r.json()
    assert set(data) >= {"choices", "object", "usage", "created", "model", "id"}
    assert data["choices"][0]["message"]["role"] == "assistant"
    assert data["usage"]["prompt_tokens_details"] == {"cached_tokens": 0}
    assert isinstance(json.loads(data["choices"][0]["message"]["content"]), dict)


def test_multi_turn_and_list_content(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="qwen-plus", response_format={"type": "json_object"},
        messages=[{"role": "system", "content": [{"type": "text", "text": ALEX_SYSTEM}]},
                  {"role": "user", "content": "My name is Jane Smith and I am 30."},
                  {"role": "assistant", "content": '{"name": "Jane Smith", "age": 30}'},
                  {"role": "user", "content": [{"type": "text", "text": ALEX_USER}]}])
    answer = json.loads(completion.choices[0].message.content)
    assert isinstance(answer, dict)
