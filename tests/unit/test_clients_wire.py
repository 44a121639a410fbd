"""What the real openai and dashscope SDKs put on the wire for each kind of Request, and how every
failure comes back as one CallError. A recording server on loopback stands in for DashScope."""

from __future__ import annotations

import json
import socket

import pytest

from structured_output.clients import run
from structured_output.request import ImageInput, Request
from tests.unit.recording_server import RecordingServer, Reply, native_completion, openai_completion

USER_INFO_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "email": {"type": "string"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    with RecordingServer() as srv:
        monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(srv.port))
        yield srv


def req(**kw) -> Request:
    base = dict(model="qwen-flash", endpoint="local", mode="json_object",
                system_prompt="Extract the name and age and return the information in JSON format.",
                user_text="Hello everyone, my name is Alex Brown. I am 34 years old.")
    base.update(kw)
    return Request(**base)


# ---------------------------------------------------------------- compatible protocol (openai SDK)

def test_openai_json_object_body(server: RecordingServer) -> None:
    server.replies.append(Reply(body=openai_completion('{"name": "Alex Brown", "age": 34}')))
    result = run(req(), api_key="sk-secret-123")
    sent = server.requests[0]
    assert sent.path == "/compatible-mode/v1/chat/completions"
    assert sent.body["response_format"] == {"type": "json_object"}
    assert sent.body["messages"][0] == {"role": "system", "content": req().system_prompt}
    assert sent.body["messages"][1]["role"] == "user"
    assert "max_tokens" not in sent.body and "stream" not in sent.body
    assert sent.headers["authorization"] == "Bearer sk-secret-123"
    assert result.error is None
    assert result.parse.ok and result.parse.value == {"name": "Alex Brown", "age": 34}
    assert result.usage.input_tokens == 54 and result.usage.output_tokens == 18
    assert result.finish_reason == "stop"
    assert result.raw["id"] == "chatcmpl-test"


def test_openai_json_schema_body_and_validation(server: RecordingServer) -> None:
    server.replies.append(Reply(body=openai_completion('{"name": "Alex Brown", "age": "34"}')))
    r = req(mode="json_schema", schema_text=json.dumps(USER_INFO_SCHEMA), schema_name="user_info",
            temperature=0.2, enable_thinking=False)
    result = run(r)
    body = server.requests[0].body
    assert body["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "user_info", "strict": True, "schema": USER_INFO_SCHEMA}}
    assert body["temperature"] == 0.2
    assert body["enable_thinking"] is False  # extra_body lands at the top level
    assert result.validation.checked and not result.validation.valid
    row = result.validation.errors[0]
    assert (row.path, row.keyword, row.schema_path) == ("$.age", "type", "properties/age/type")
    assert result.verdict == "invalid"


def test_openai_image_as_data_url(server: RecordingServer) -> None:
    server.replies.append(Reply(body=openai_completion('{"ticket": []}')))
    run(req(model="qwen3-vl-plus", images=[ImageInput("image/png", PNG, name="r.png")],
            user_text="Extract the ticket information as JSON."))
    content = server.requests[0].body["messages"][1]["content"]
    assert content[0]["type"] == "image_url"
    assert content[0]["image_url"]["url"].startswith("data:image/png;base64,iVBORw0KGgo")
    assert content[1] == {"type": "text", "text": "Extract the ticket information as JSON."}


def test_openai_stream(server: RecordingServer) -> None:
    def chunk(content=None, finish=None, usage=None):
        return {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1, "model": "qwen-flash",
                "choices": [] if usage else [{"index": 0, "delta": {"content": content} if content else {},
                                              "finish_reason": finish}], "usage": usage}
    events = [chunk('{"name": '), chunk('"Alex"}'), chunk(finish="stop"),
              chunk(usage={"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}), "[DONE]"]
    server.replies.append(Reply(sse=events))
    deltas: list[str] = []
    result = run(req(stream=True), on_delta=deltas.append)
    assert server.requests[0].body["stream"] is True
    assert server.requests[0].body["stream_options"] == {"include_usage": True}
    assert deltas == ['{"name": ', '"Alex"}']
    assert result.parse.value == {"name": "Alex"}
    assert result.usage.output_tokens == 4 and len(result.raw) == 4
    assert result.ttft_s is not None


def test_openai_stream_cut(server: RecordingServer) -> None:
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": {"content": '{"a": '}, "finish_reason": None}]}
    server.replies.append(Reply(sse=[chunk, chunk], cut_after=1))
    result = run(req(stream=True))
    assert result.error is not None and result.error.kind == "stream_cut"


def test_truncated_output_is_flagged(server: RecordingServer) -> None:
    server.replies.append(Reply(body=openai_completion('{"name": "Alex', finish_reason="length")))
    result = run(req(max_tokens=5))
    assert server.requests[0].body["max_tokens"] == 5
    assert result.truncated and result.verdict == "truncated"
    assert not result.parse.ok and result.parse.column is not None


# ---------------------------------------------------------------- native protocol (dashscope SDK)

def test_dashscope_text_body(server: RecordingServer) -> None:
    server.replies.append(Reply(body=native_completion('{"name": "Alex Brown", "age": 34}')))
    result = run(req(protocol="native"), api_key="sk-native-key")
    sent = server.requests[0]
    assert sent.path == "/api/v1/services/aigc/text-generation/generation"
    assert sent.body["model"] == "qwen-flash"
    assert sent.body["input"]["messages"][0]["content"].startswith("Extract the name")
    assert sent.body["parameters"]["result_format"] == "message"
    assert sent.body["parameters"]["response_format"] == {"type": "json_object"}
    assert sent.headers["authorization"] == "Bearer sk-native-key"
    assert result.error is None, result.error
    assert result.parse.value == {"name": "Alex Brown", "age": 34}
    assert result.request_id == "req-native-1"
    assert result.usage.total_tokens == 72


def test_dashscope_json_schema_body(server: RecordingServer) -> None:
    server.replies.append(Reply(body=native_completion('{"name": "Alex Brown", "age": 25}')))
    result = run(req(protocol="native", mode="json_schema", schema_text=json.dumps(USER_INFO_SCHEMA)))
    rf = server.requests[0].body["parameters"]["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["strict"] is True
    assert rf["json_schema"]["schema"] == USER_INFO_SCHEMA
    assert result.validation.valid and result.verdict == "valid"


def test_dashscope_multimodal(server: RecordingServer) -> None:
    server.replies.append(Reply(body=native_completion([{"text": '{"ticket": [], "invoice": []}'}])))
    result = run(req(protocol="native", model="qwen3-vl-plus", system_prompt="You are a helpful assistant.",
                     user_text="Output a JSON object.", images=[ImageInput("image/jpeg", b"\xff\xd8\xff" + b"0" * 8)]))
    sent = server.requests[0]
    assert sent.path == "/api/v1/services/aigc/multimodal-generation/generation"
    messages = sent.body["input"]["messages"]
    assert messages[0] == {"role": "system", "content": [{"text": "You are a helpful assistant."}]}
    assert messages[1]["content"][0]["image"].startswith("data:image/jpeg;base64,")
    assert messages[1]["content"][1] == {"text": "Output a JSON object."}
    assert result.parse.value == {"ticket": [], "invoice": []}


def test_dashscope_stream(server: RecordingServer) -> None:
    events = [
        {"output": {"choices": [{"message": {"role": "assistant", "content": '{"age": '}, "finish_reason": "null"}]},
         "usage": {"input_tokens": 5, "output_tokens": 2}, "request_id": "r1"},
        {"output": {"choices": [{"message": {"role": "assistant", "content": "34}"}, "finish_reason": "stop"}]},
         "usage": {"input_tokens": 5, "output_tokens": 3}, "request_id": "r1"},
    ]
    server.replies.append(Reply(sse=events))
    deltas: list[str] = []
    result = run(req(protocol="native", stream=True), on_delta=deltas.append)
    assert server.requests[0].body["parameters"]["incremental_output"] is True
    assert server.requests[0].headers.get("x-dashscope-sse") == "enable"
    assert deltas == ['{"age": ', "34}"]
    assert result.parse.value == {"age": 34} and result.finish_reason == "stop"


# ---------------------------------------------------------------- failures, normalized

MISSING = "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."


@pytest.mark.parametrize("protocol", ["compatible", "native"])
def test_400_documented_error(server: RecordingServer, protocol: str) -> None:
    body = ({"error": {"message": MISSING, "type": "invalid_request_error", "code": "invalid_parameter_error"}}
            if protocol == "compatible" else {"code": "InvalidParameter", "message": MISSING, "request_id": "r-400"})
    server.replies.append(Reply(400, body))
    result = run(req(protocol=protocol, system_prompt="Extract the name."), api_key="sk-canary-777")
    err = result.error
    assert err is not None and err.kind == "http" and err.status == 400
    assert err.message == MISSING
    assert "JSON" in err.hint
    assert "sk-canary-777" not in f"{err} {err.hint} {err!r}"
    assert result.verdict == "error"


@pytest.mark.parametrize("protocol", ["compatible", "native"])
def test_401_is_auth(server: RecordingServer, protocol: str) -> None:
    body = {"error": {"message": "Incorrect API key provided.", "code": "invalid_api_key"}} \
        if protocol == "compatible" else {"code": "InvalidApiKey", "message": "Invalid API-key provided."}
    server.replies.append(Reply(401, body))
    err = run(req(protocol=protocol), api_key="sk-bad").error
    assert err.kind == "auth" and err.status == 401 and "region" in err.hint


@pytest.mark.parametrize("protocol", ["compatible", "native"])
def test_429_retried_honouring_retry_after(server: RecordingServer, protocol: str) -> None:
    limited = {"error": {"message": "queue full"}} if protocol == "compatible" else {"code": "Throttling",
                                                                                     "message": "queue full"}
    ok = openai_completion('{"a": 1}') if protocol == "compatible" else native_completion('{"a": 1}')
    server.replies.extend([Reply(429, limited, {"retry-after": "0"}), Reply(body=ok)])
    retries: list[int] = []
    result = run(req(protocol=protocol), on_retry=lambda n, delay, e: retries.append(n))
    assert result.error is None, result.error
    assert result.retries == 1 and retries == [1] and len(server.requests) == 2


def test_5xx_after_retries(server: RecordingServer) -> None:
    server.replies.extend([Reply(503, {"error": {"message": "overloaded"}}, {"retry-after": "0"})] * 3)
    err = run(req(), max_retries=2).error
    assert err.kind == "server" and err.status == 503 and err.retries == 2 and len(server.requests) == 3


def test_not_json_response(server: RecordingServer) -> None:
    server.replies.append(Reply(200, "<html>proxy login</html>"))
    err = run(req()).error
    assert err.kind == "bad_response" and "proxy login" in err.message


def test_wrong_shape_response(server: RecordingServer) -> None:
    server.replies.append(Reply(200, {"hello": "world"}))
    assert run(req()).error.kind == "bad_response"


def test_timeout(server: RecordingServer) -> None:
    server.replies.append(Reply(body=openai_completion("{}"), delay_s=3))
    err = run(req(), timeout=0.5, max_retries=0).error
    assert err.kind == "timeout" and "0.5 s" in err.message


@pytest.mark.parametrize("protocol", ["compatible", "native"])
def test_connection_refused(monkeypatch: pytest.MonkeyPatch, protocol: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(port))
    err = run(req(protocol=protocol), max_retries=0).error
    assert err.kind == "connection" and "local engine" in err.message.lower()


def test_missing_key_for_dashscope(monkeypatch: pytest.MonkeyPatch) -> None:
    err = run(req(endpoint="intl"), api_key="").error
    assert err.kind == "missing_key" and "DASHSCOPE_API_KEY" in err.hint


def test_custom_endpoint_url(server: RecordingServer) -> None:
    server.replies.append(Reply(body=openai_completion('{"x": 1}')))
    result = run(req(endpoint="custom", custom_base_url=f"http://127.0.0.1:{server.port}/v1/"))
    assert server.requests[0].path == "/v1/chat/completions"
    assert server.requests[0].headers["authorization"] == "Bearer EMPTY"
    assert result.parse.value == {"x": 1}
