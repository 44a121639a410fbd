"""The native DashScope protocol, driven by the real ``dashscope`` SDK (and raw HTTP where the SDK
hides what the server sent)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
import jsonschema
import pytest

from tests.engine.conftest import ALEX_MESSAGES, ALEX_SYSTEM, ALEX_USER, USER_SCHEMA, lower

pytestmark = pytest.mark.engine
NATIVE_TEXT = "/api/v1/services/aigc/text-generation/generation"


def test_generation_json_object_message_format(ds: Any) -> None:
    """The reference's DashScope Python example."""
    r = ds.Generation.call(api_key="sk-local", model="qwen-flash", messages=ALEX_MESSAGES,
                           result_format="message", response_format={"type": "json_object"})
    assert r.status_code == 200
    assert r.request_id
    choice = r.output.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    answer = json.loads(choice.message.content)
    assert answer.get("name") == "Alex Brown"
    assert r.usage.input_tokens > 0 and r.usage.output_tokens > 0
    assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens
    assert lower(r.headers)["x-local-engine-model"] == "gemma-3-270m (serving qwen-flash)"


def test_generation_json_schema(ds: Any) -> None:
    r = ds.Generation.call(api_key="sk-local", model="qwen-plus", messages=ALEX_MESSAGES, result_format="message",
                           response_format={"type": "json_schema",
                                            "json_schema": {"name": "user", "strict": True, "schema": USER_SCHEMA}})
    assert r.status_code == 200, r.message
    answer = json.loads(r.output.choices[0].message.content)
    jsonschema.validate(answer, USER_SCHEMA)


def test_generation_text_result_format(ds: Any) -> None:
    """Without result_format the text-generation endpoint answers in the "text" format."""
    r = ds.Generation.call(api_key="sk-local", model="qwen-turbo", messages=ALEX_MESSAGES,
                           response_format={"type": "json_object"})
    assert r.status_code == 200, r.message
    assert r.output.choices is None
    assert r.output.finish_reason == "stop"
    assert isinstance(json.loads(r.output.text), dict)


def test_generation_stream_incremental(ds: Any) -> None:
    responses = list(ds.Generation.call(api_key="sk-local", model="qwen-flash", messages=ALEX_MESSAGES,
                                        result_format="message", response_format={"type": "json_object"},
                                        stream=True, incremental_output=True))
    assert all(r.status_code == 200 for r in responses)
    assert len(responses) > 3
    text = "".join(r.output.choices[0].message.content for r in responses)
    assert isinstance(json.loads(text), dict)
    assert [r.output.choices[0].finish_reason for r in responses][-1] == "stop"
    assert {r.output.choices[0].finish_reason for r in responses[:-1]} == {"null"}
    assert responses[-1].usage.output_tokens > 0


def test_stream_cumulative_by_default(local_engine_url: str) -> None:
    """Without incremental_output each event carries the whole text so far (raw SSE, as DashScope sends it)."""
    body = {"model": "qwen-flash", "input": {"messages": ALEX_MESSAGES},
            "parameters": {"result_format": "message", "response_format": {"type": "json_object"}}}
    texts: list[str] = []
    with httpx.stream("POST", local_engine_url + NATIVE_TEXT, json=body, timeout=120,
                      headers={"X-DashScope-SSE": "enable", "Authorization": "Bearer sk-local"}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data:"):
                texts.append(json.loads(line[5:])["output"]["choices"][0]["message"]["content"])
    assert len(texts) > 3
    assert all(b.startswith(a) for a, b in itertools.pairwise(texts))
    assert isinstance(json.loads(texts[-1]), dict)


def test_multimodal_text_only_content_list(ds: Any) -> None:
    messages = [{"role": "system", "content": [{"text": ALEX_SYSTEM}]},
                {"role": "user", "content": [{"text": ALEX_USER}]}]
    r = ds.MultiModalConversation.call(api_key="sk-local", model="qwen3-vl-plus", messages=messages,
                                       response_format={"type": "json_object"})
    assert r.status_code == 200, r.message
    content = r.output.choices[0].message.content
    assert isinstance(content, list) and set(content[0]) == {"text"}
    assert isinstance(json.loads(content[0]["text"]), dict)


def test_curl_example_body(local_engine_url: str) -> None:
    """The reference's native curl request, posted as raw JSON; the answer has the documented shape."""
    body = {"model": "qwen-flash", "input": {"messages": ALEX_MESSAGES},
            "parameters": {"result_format": "message", "response_format": {"type": "json_object"}}}
    r = httpx.post(local_engine_url + NATIVE_TEXT, json=body, timeout=120,
                   headers={"Authorization": "Bearer sk-local"})
    assert r.status_code == 200, r.text
    data = r.json()
    assert set(data) == {"output", "usage", "request_id"}
    assert set(data["usage"]) >= {"input_tokens", "output_tokens", "total_tokens"}
    choice = data["output"]["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    assert r.headers["x-dashscope-request-id"] == data["request_id"]
