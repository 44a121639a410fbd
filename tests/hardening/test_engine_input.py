"""Bad input at the local engine, over HTTP and through both SDKs: each gets a specific 4xx quickly,
never a 500 or a hang, and the engine keeps serving. What ``tests/engine/test_rules.py`` already
covers (malformed bodies, invalid schemas, the JSON keyword rule) is not repeated here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from local_engine.errors import EngineError
from local_engine.rules import check_schema
from local_engine.shapes.fields import parse_json_body
from tests.hardening.figures import BadInput, Figures

pytestmark = pytest.mark.hardening

NATIVE_TEXT = "/api/v1/services/aigc/text-generation/generation"
QUICK_S = 30.0  # a refusal needs no generation; on two busy cores it still comes within seconds
ODD = "\u202eمرحبا\u202c 😀👩‍👩‍👧 \x00 ́zalgo\u0301 \ufeff 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"


def nested_schema(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}, "required": ["a"]}
    return schema


def schema_format(schema: dict[str, Any], name: str = "x") -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}}


def post(url: str, body: bytes | dict[str, Any], **kw: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    r = httpx.post(url, content=content, headers={"Content-Type": "application/json", **kw.pop("headers", {})},
                   timeout=kw.pop("timeout", 120), **kw)
    return r, time.monotonic() - started


def message_of(r: httpx.Response) -> str:
    data = r.json()
    return data["error"]["message"] if "error" in data else data["message"]


@pytest.fixture(scope="module")
def compat_url(local_engine_url: str) -> str:
    return f"{local_engine_url}/compatible-mode/v1"


@pytest.fixture(scope="module")
def oai(compat_url: str) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(base_url=compat_url, api_key="sk-local", max_retries=0, timeout=180)
    yield client
    client.close()


# ---------------------------------------------------------------- without the model

@pytest.mark.parametrize(("raw", "needle"), [
    (b'{"a": ' + b"[" * 20000 + b"]" * 20000 + b"}", "nests too deeply"),
    (b'{"a": ' + b"[" * 200 + b"]" * 200 + b"}", "more than 128 levels"),
    (b'{"messages": [{"content": "x \\ud800 y"}]}', "`messages[0].content` holds a lone UTF-16 surrogate"),
    (b'{"t": NaN}', None),  # read; the field reader refuses it (below)
])
def test_body_reader_refuses_what_would_crash_later(raw: bytes, needle: str | None, fig: Figures) -> None:
    if needle is None:
        assert parse_json_body(raw) is not None
        return
    with pytest.raises(EngineError) as info:
        parse_json_body(raw)
    assert info.value.status == 400 and needle in info.value.message
    fig.bad_inputs.append(BadInput(f"engine body: {needle}", "engine-unit", info.value.message, True))


def test_surrogate_pairs_written_as_escapes_are_fine() -> None:
    assert parse_json_body(b'{"t": "\\ud83d\\ude00"}') == {"t": "😀"}


def test_schema_depth_is_checked_before_anything_recurses() -> None:
    check_schema(nested_schema(30), "schema")  # 61 levels of JSON: accepted
    with pytest.raises(EngineError, match="nests more than 64 levels"):
        check_schema(nested_schema(40), "schema")


# ---------------------------------------------------------------- against the engine

@pytest.mark.engine
@pytest.mark.parametrize("protocol", ["compatible", "native"])
@pytest.mark.parametrize("case", ["lone surrogate", "deep body", "deep schema", "NaN temperature",
                                  "prompt past the context", "prompt past the context, streamed"])
def test_engine_answers_a_specific_400_fast(local_engine_url: str, protocol: str, case: str, fig: Figures) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Reply in JSON."}]
    extra: dict[str, Any] = {}
    raw: bytes | None = None
    expected = ""
    if case == "lone surrogate":
        raw = b'"\\ud800 lonely JSON"'
        expected = "lone UTF-16 surrogate"
    elif case == "deep body":
        extra = {"metadata": 0}  # becomes 3 000 nested arrays below (too deep for json.loads here, too)
        expected = "nests too deeply"
    elif case == "deep schema":
        extra = {"response_format": schema_format(nested_schema(45))}
        expected = "nests more than 64 levels"
    elif case == "NaN temperature":
        raw = b"NaN"
        expected = "must be a finite number"
    else:
        messages = [{"role": "user", "content": "JSON please. " + "word " * 12000}]
        expected = "the local model's context holds 8192 tokens"
        if case.endswith("streamed"):
            extra = {"stream": True}
    if protocol == "compatible":
        body: dict[str, Any] = {"model": "qwen-plus", "messages": messages, "max_tokens": 4, **extra}
        url = f"{local_engine_url}/compatible-mode/v1/chat/completions"
    else:
        params = {k: v for k, v in extra.items() if k in ("response_format",)}
        body = {"model": "qwen-plus", "input": {"messages": messages}, "parameters": {"max_tokens": 4, **params},
                **{k: v for k, v in extra.items() if k not in params and k != "stream"}}
        url = local_engine_url + NATIVE_TEXT
    headers = {"X-DashScope-SSE": "enable"} if protocol == "native" and case.endswith("streamed") else {}
    content = json.dumps(body).encode()
    if case == "lone surrogate":
        content = content.replace(b'"Reply in JSON."', raw or b"")
    elif case == "NaN temperature":
        content = content.replace(b'"max_tokens": 4', b'"max_tokens": 4, "temperature": NaN')
    elif case == "deep body":
        content = content.replace(b'"metadata": 0', b'"metadata": ' + b"[" * 3000 + b"]" * 3000)
    r, took = post(url, content, headers=headers)
    assert r.status_code == 400, r.text[:300]
    assert expected in message_of(r)
    assert took < QUICK_S, f"{case} took {took:.1f} s"
    fig.bad_inputs.append(BadInput(f"{case} ({protocol})", "engine", f"HTTP 400 in {took:.1f} s: {message_of(r)}",
                                   True))


@pytest.mark.engine
def test_native_sdk_reports_a_prompt_past_the_context(local_engine_url: str) -> None:
    import dashscope

    r = dashscope.Generation.call(api_key="sk-local", model="qwen-plus", base_address=f"{local_engine_url}/api/v1",
                                  messages=[{"role": "user", "content": "word " * 12000}], result_format="message")
    assert r.status_code == 400 and r.code == "InvalidParameter" and "8192 tokens" in r.message


@pytest.mark.engine
def test_schema_llguidance_cannot_compile_names_the_problem_on_the_native_protocol(local_engine_url: str,
                                                                                    fig: Figures) -> None:
    body = {"model": "qwen-plus", "input": {"messages": [{"role": "user", "content": "x"}]},
            "parameters": {"response_format": schema_format({"type": "string", "pattern": "(?<=a)b"})}}
    r, _ = post(local_engine_url + NATIVE_TEXT, body)
    assert r.status_code == 400
    data = r.json()
    assert data["code"] == "InvalidParameter" and "cannot enforce this JSON Schema" in data["message"]
    fig.bad_inputs.append(BadInput("schema llguidance cannot compile (lookbehind)", "engine", data["message"], True))


@pytest.mark.engine
def test_huge_schema_is_answered_not_hung(compat_url: str, fig: Figures) -> None:
    """2 000 required properties: compiled and answered (cut at max_tokens), within the time bound."""
    props = {f"field_{i}": {"type": "string", "maxLength": 3} for i in range(2000)}
    schema = {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}
    body = {"model": "qwen-plus", "messages": [{"role": "user", "content": "Fill it."}], "max_tokens": 6,
            "response_format": schema_format(schema)}
    r, took = post(f"{compat_url}/chat/completions", body)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["choices"][0]["finish_reason"] == "length"
    assert r.json()["choices"][0]["message"]["content"].startswith('{"field_0": "')
    fig.bad_inputs.append(BadInput("huge schema (2000 required properties)", "engine",
                                   f"HTTP 200 in {took:.1f} s, cut at max_tokens", True))


@pytest.mark.engine
def test_odd_unicode_in_every_field_goes_through(oai: openai.OpenAI, fig: Figures) -> None:
    """RTL marks, emoji sequences, NUL, combining marks and a BOM in the system prompt, the user
    message, the schema name, property names and enum values: the answer is valid and keeps them."""
    key = "名前\u202e😀\x00"
    value = "ﷺ\u202e😀\x00 <b>"
    schema = {"type": "object", "properties": {key: {"type": "string", "enum": [value]}}, "required": [key],
              "additionalProperties": False}
    response = oai.chat.completions.create(
        model="qwen-plus", response_format=schema_format(schema, name="n\u202e😀"), max_tokens=40,
        messages=[{"role": "system", "content": f"{ODD} Return JSON."}, {"role": "user", "content": ODD}])
    content = response.choices[0].message.content or ""
    assert json.loads(content) == {key: value}
    fig.bad_inputs.append(BadInput("odd Unicode (RTL, emoji, NUL, BOM) in every field", "engine",
                                   f"HTTP 200, valid: {content!r}", True))


@pytest.mark.engine
def test_the_engine_still_serves_after_the_bad_inputs(oai: openai.OpenAI) -> None:
    response = oai.chat.completions.create(
        model="qwen-plus", max_tokens=20, messages=[{"role": "user", "content": "Say ok."}],
        response_format=schema_format({"type": "object", "properties": {"ok": {"type": "boolean"}},
                                       "required": ["ok"], "additionalProperties": False}))
    assert isinstance(json.loads(response.choices[0].message.content or "")["ok"], bool)
