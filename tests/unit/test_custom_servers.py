"""Custom servers without a model: refusals read from error bodies (and not retried), the notes on
what came back, the known servers' data, and the recent URLs file (never a credential in it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from structured_output.clients import run
from structured_output.output_notes import describe_output
from structured_output.request import Request
from structured_output.result import parse_content
from structured_output.servers import (
    guess_server,
    known_servers,
    list_models,
    load_recent_urls,
    remember_url,
)
from structured_output.wire.refusal import unsupported_parameter
from tests.unit.recording_server import RecordingServer, Reply

LLAMA_CPP_PYTHON_500 = (
    "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input "
    "should be 'text' or 'json_object'\", 'input': 'json_schema', 'ctx': {'expected': \"'text' or 'json_object'\"}}"
    "\n\n  File \"/venv/llama_cpp/server/app.py\", line 376, in create_chat_completion\n    POST /v1/chat/completions")


@pytest.mark.parametrize(("message", "what", "accepts"), [
    (LLAMA_CPP_PYTHON_500, "response_format type 'json_schema'", "'text' or 'json_object'"),
    ('response_format type must be one of "text" or "json_object", but got: json_schema',
     "response_format type 'json_schema'", '"text" or "json_object"'),
    ("Unrecognized request argument supplied: stream_options", "the `stream_options` parameter", ""),
    ("1 validation error for ChatRequest\nlogprobs\n  Extra inputs are not permitted", "the `logprobs` parameter", ""),
])
def test_refusals_are_read(message: str, what: str, accepts: str) -> None:
    refusal = unsupported_parameter(message)
    assert refusal is not None and refusal.what == what and refusal.accepts == accepts


@pytest.mark.parametrize("message", [
    "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
    "Structured output is not supported in thinking mode: `enable_thinking` is true while `response_format` is x.",
    "This model's maximum context length is 4096 tokens.",
    "The server is overloaded, try again later.",
])
def test_other_errors_are_not_refusals(message: str) -> None:
    assert unsupported_parameter(message) is None


def _req(port: int, **kw: object) -> Request:
    base: dict[str, object] = dict(model="m", endpoint="custom", custom_base_url=f"http://127.0.0.1:{port}/v1",
                                   mode="json_schema", system_prompt="JSON", user_text="x",
                                   schema_text='{"type": "object"}')
    base.update(kw)
    return Request(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("stream", [False, True])
def test_a_refusing_500_is_asked_once(stream: bool) -> None:
    with RecordingServer() as server:
        server.replies.extend([Reply(500, {"error": {"message": LLAMA_CPP_PYTHON_500,
                                                     "type": "internal_server_error"}})] * 3)
        result = run(_req(server.port, stream=stream), max_retries=2)
        assert len(server.requests) == 1
    err = result.error
    assert err is not None and err.kind == "unsupported" and err.status == 500 and err.retries == 0
    assert "does not support response_format type 'json_schema'" in err.hint and "'text' or 'json_object'" in err.hint


def test_a_plain_500_is_still_retried() -> None:
    with RecordingServer() as server:
        server.replies.extend([Reply(500, {"error": {"message": "CUDA out of memory"}})] * 3)
        err = run(_req(server.port), max_retries=2).error
        assert len(server.requests) == 3
    assert err is not None and err.kind == "server" and err.retries == 2


def test_a_refusing_400_on_the_native_protocol_is_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    with RecordingServer() as server:
        monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(server.port))
        server.replies.append(Reply(400, {"code": "InvalidParameter", "request_id": "r1",
                                          "message": "`qwen-turbo` does not support response_format of type "
                                                     "'json_schema'."}))
        err = run(_req(server.port, endpoint="local", protocol="native", model="qwen-turbo")).error
    assert err is not None and err.kind == "unsupported" and len(server.requests) == 1
    assert "does not support response_format type 'json_schema' for this model" in err.hint


# ---------------------------------------------------------------- what came back

@pytest.mark.parametrize(("content", "kinds"), [
    ("{}\n  \t  \t  ", ["empty_object", "trailing_whitespace"]),
    ('{"a": 1}', []),
    ("[]", ["empty_array"]),
    ('```json\n{"a": 1}\n```', ["fence"]),
    ('\n\n{"a": 1}', ["leading_whitespace"]),
])
def test_output_notes(content: str, kinds: list[str]) -> None:
    assert [n.kind for n in describe_output(content, parse_content(content))] == kinds


def test_whitespace_is_counted_by_kind() -> None:
    content = "{}\n  \t  \t  "
    note = describe_output(content, parse_content(content))[1].text
    assert note.startswith("9 characters of white space (1 newline, 6 spaces, 2 tabs) after the JSON")


# ---------------------------------------------------------------- known servers and URLs

def test_every_known_server_is_sourced() -> None:
    servers = known_servers()
    assert {s.id for s in servers} >= {"vllm", "sglang", "ollama", "llama-server", "lm-studio", "llama-cpp-python"}
    for s in servers:
        assert s.sources and all(u.startswith("https://") for u in s.sources), s.id
        assert {s.json_object, s.json_schema, s.logprobs} <= {"yes", "no", "undocumented"}


def test_guess_by_port_only_when_unambiguous() -> None:
    assert guess_server("http://localhost:11434/v1").id == "ollama"
    assert guess_server("http://localhost:1234/v1").id == "lm-studio"
    assert guess_server("http://localhost:8000/v1") is None  # vLLM and llama-cpp-python both
    assert guess_server("not a url") is None


def test_recent_urls_never_hold_credentials(tmp_path: Path) -> None:
    path = tmp_path / "recent.json"
    recent = remember_url("http://localhost:8000/v1/", [], path)
    recent = remember_url("https://user:sk-secret@host.example/v1", recent, path)
    recent = remember_url("https://host.example/v1?api_key=sk-secret", recent, path)
    recent = remember_url("http://localhost:11434/v1", recent, path)
    assert recent == ["http://localhost:11434/v1", "http://localhost:8000/v1"]
    assert load_recent_urls(path) == recent
    assert "sk-secret" not in path.read_text()
    path.write_text(json.dumps({"urls": ["https://a:b@x.example/v1", "ftp://x", 3, "http://ok.example/v1"]}))
    assert load_recent_urls(path) == ["http://ok.example/v1"]  # a hand-edited file is read as data
    path.write_text("not json")
    assert load_recent_urls(path) == []


def test_models_list_errors_are_plain() -> None:
    with RecordingServer() as server:  # answers every GET but /health with 404
        listed = list_models(f"http://127.0.0.1:{server.port}/v1")
    assert listed.ids == [] and listed.error is not None and "…/v1" in listed.error.hint


def test_a_key_quoted_back_by_the_models_list_is_redacted() -> None:
    secret = "sk-models-canary-2718281828"

    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            token = self.headers.get("authorization", "").removeprefix("Bearer ")
            data = json.dumps({"error": {"message": f"Incorrect API key provided: {token}."}}).encode()
            self.send_response(401)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        listed = list_models(f"http://127.0.0.1:{httpd.server_address[1]}/v1", secret)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert listed.error is not None and listed.error.kind == "auth"
    assert secret not in f"{listed.error} {listed.error.hint} {listed.error!r}"
    assert "[redacted key]" in listed.error.message
