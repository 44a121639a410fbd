"""Faults at the app level (AppTest of the playground with its sidebar): the SDK-level cases of
``tests/unit/test_clients_wire.py`` seen the way a user sees them. For each fault: a clear message on
the page, no traceback, every field the user typed (odd Unicode included) still in place, and the
very next Run works.

A ``RecordingServer`` stands in for the endpoint: behind the local engine's port (it answers
``/health`` like a ready engine, so both protocols go through it) or behind a custom URL.
"""

from __future__ import annotations

import functools
import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from structured_output import clients
from tests.hardening.conftest import no_traceback, plain, texts
from tests.hardening.figures import Fault, Figures
from tests.servers import free_port
from tests.unit.recording_server import RecordingServer, Reply, native_completion, openai_completion

pytestmark = pytest.mark.hardening

SYSTEM = "Extract name and age as JSON. \u202eمرحبا\u202c 😀 \x00 tab\there"
USER = "I am Alex Brown, 34. 👩‍👩‍👧 \u05e9\u05dc\u05d5\u05dd \x00 end"
SCHEMA = json.dumps({"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                                                      "😀\u202e": {"type": "string"}},
                     "required": ["name", "age"], "additionalProperties": False}, indent=2, ensure_ascii=False)
GOOD = '{"name": "Alex Brown", "age": 34}'


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer(healthy=True) as srv:
        yield srv


def fill_in(at: AppTest, *, endpoint: str, protocol: str = "compatible", url: str = "", stream: bool = False) -> None:
    """What a user types: endpoint, URL, model, mode, the three editors, streaming."""
    at.selectbox(key=state.ENDPOINT).set_value(endpoint).run()
    if endpoint == "custom":
        at.text_input(key=state.CUSTOM_URL).input(url).run()
        at.text_input(key=state.CUSTOM_MODEL).input("my-model \u202e😀").run()
    else:
        at.radio(key=state.PROTOCOL).set_value(protocol).run()
    at.radio(key=state.MODE).set_value("json_schema").run()
    at.session_state[state.SYSTEM_PROMPT] = SYSTEM
    at.session_state[state.USER_TEXT] = USER
    at.session_state[state.SCHEMA_TEXT] = SCHEMA
    at.toggle(key=state.STREAM).set_value(stream).run()
    no_traceback(at)


def snapshot(at: AppTest) -> dict[str, Any]:
    keys = (state.ENDPOINT, state.PROTOCOL, state.CUSTOM_URL, state.MODEL, state.CUSTOM_MODEL, state.MODE,
            state.SCHEMA_NAME, state.STRICT, state.SYSTEM_PROMPT, state.USER_TEXT, state.SCHEMA_TEXT, state.STREAM)
    return {k: at.session_state[k] for k in keys}


def run(at: AppTest, timeout: float = 120) -> str:
    at.button(key=state.RUN_BUTTON).click().run(timeout=timeout)
    no_traceback(at)
    return texts(at)


def ok_reply(protocol: str) -> Reply:
    return Reply(body=openai_completion(GOOD) if protocol == "compatible" else native_completion(GOOD))


def check_usable(at: AppTest, server: RecordingServer, protocol: str) -> bool:
    """The next Run, against a healthy server, shows a valid result."""
    server.replies[:] = [ok_reply(protocol)]
    page = run(at)
    return "Valid against the schema" in page and at.session_state[state.HISTORY].entries[0].verdict == "valid"


def record(fig: Figures, name: str, message_ok: bool, intact: bool, usable: bool) -> None:
    fig.faults.append(Fault(name, "app", message_ok, intact, usable))
    assert message_ok and intact and usable, (name, message_ok, intact, usable)


# ---------------------------------------------------------------- server faults, both protocols

STATUS_FAULTS: dict[str, tuple[Callable[[str], list[Reply]], list[str]]] = {
    "401 bad key": (lambda p: [Reply(401, {"error": {"message": "Incorrect API key provided.",
                                                     "code": "invalid_api_key"}}
                                     if p == "compatible" else {"code": "InvalidApiKey",
                                                                "message": "Invalid API-key provided."})],
                    ["HTTP 401", "The API key was refused"]),
    "429 until the retries run out": (
        lambda p: [Reply(429, {"error": {"message": "Requests rate limit exceeded"}} if p == "compatible"
                         else {"code": "Throttling", "message": "Requests rate limit exceeded"},
                         {"retry-after": "0"})] * 3,
        ["HTTP 429", "Too many requests at once", "after 2 retries"]),
    "503 until the retries run out": (
        lambda p: [Reply(503, {"error": {"message": "The service is overloaded"}} if p == "compatible"
                         else {"code": "ServiceUnavailable", "message": "The service is overloaded"},
                         {"retry-after": "0"})] * 3,
        ["HTTP 503", "failed on its side", "after 2 retries"]),
    "a body that is not JSON": (lambda p: [Reply(200, "<html><body>Proxy login required</body></html>")],
                                ["not a chat completion"]),
    "a body of the wrong shape": (lambda p: [Reply(200, {"hello": "world"})], ["not a chat completion"]),
}


@pytest.mark.parametrize("protocol", ["compatible", "native"])
@pytest.mark.parametrize("fault", list(STATUS_FAULTS))
def test_server_fault(make_app: Callable[..., AppTest], server: RecordingServer, protocol: str, fault: str,
                      fig: Figures) -> None:
    at = make_app(port=server.port)
    assert "Local engine ready (reused)" in texts(at)
    fill_in(at, endpoint="local", protocol=protocol)
    before = snapshot(at)
    replies, expected = STATUS_FAULTS[fault]
    server.replies[:] = replies(protocol)
    page = run(at)
    message_ok = all(e in page for e in expected)
    assert message_ok, (expected, page[-2000:])
    sent = server.requests[0].body
    messages = sent["messages"] if protocol == "compatible" else sent["input"]["messages"]
    assert messages[0]["content"] == SYSTEM and messages[1]["content"] == USER  # odd Unicode sent intact
    intact = snapshot(at) == before
    record(fig, f"{fault} ({protocol})", message_ok, intact, check_usable(at, server, protocol))


@pytest.mark.parametrize("protocol", ["compatible", "native"])
def test_429_then_success_shows_the_retry_count(make_app: Callable[..., AppTest], server: RecordingServer,
                                                protocol: str, fig: Figures) -> None:
    at = make_app(port=server.port)
    fill_in(at, endpoint="local", protocol=protocol)
    before = snapshot(at)
    limited = {"error": {"message": "busy"}} if protocol == "compatible" else {"code": "Throttling", "message": "busy"}
    server.replies[:] = [Reply(429, limited, {"retry-after": "0"}), ok_reply(protocol)]
    page = run(at)
    facts = " ".join(plain(m.value) for m in at.markdown if "Retries" in m.value)
    message_ok = "Valid against the schema" in page and ":gray[Retries] 1" in facts
    assert message_ok, facts
    assert len(server.requests) == 2
    record(fig, f"429 with Retry-After, then success: retry count shown ({protocol})", message_ok,
           snapshot(at) == before, check_usable(at, server, protocol))


@pytest.mark.parametrize("protocol", ["compatible", "native"])
def test_stream_cut_mid_way_keeps_what_arrived(make_app: Callable[..., AppTest], server: RecordingServer,
                                               protocol: str, fig: Figures) -> None:
    at = make_app(port=server.port)
    fill_in(at, endpoint="local", protocol=protocol, stream=True)
    before = snapshot(at)
    if protocol == "compatible":
        def chunk(text: str) -> dict[str, Any]:
            return {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                    "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    else:
        def chunk(text: str) -> dict[str, Any]:
            return {"output": {"choices": [{"message": {"role": "assistant", "content": text},
                                            "finish_reason": "null"}]},
                    "usage": {"input_tokens": 5, "output_tokens": 1}, "request_id": "r1"}
    server.replies[:] = [Reply(sse=[chunk('{"name": '), chunk('"Alex'), chunk(' Brown"}')], cut_after=2)]
    page = run(at)
    message_ok = ("without a finish reason" in page or "cut in the middle" in page) and \
        "Output received before the error" in page and '{"name": "Alex' in page
    assert message_ok, page[-1500:]
    at.toggle(key=state.STREAM).set_value(False).run()  # the next run, not streamed
    usable = check_usable(at, server, protocol)
    at.toggle(key=state.STREAM).set_value(True).run()
    record(fig, f"stream cut mid-way ({protocol})", message_ok, snapshot(at) == before, usable)


# ---------------------------------------------------------------- the network: refused, DNS, timeout

@pytest.mark.parametrize("fault", ["connection refused", "DNS failure", "timeout"])
def test_network_fault_on_a_custom_endpoint(make_app: Callable[..., AppTest], server: RecordingServer, fault: str,
                                            monkeypatch: pytest.MonkeyPatch, fig: Figures) -> None:
    good_url = f"http://127.0.0.1:{server.port}/v1"
    real_getaddrinfo = socket.getaddrinfo
    real_run = clients.run
    if fault == "connection refused":
        url, expected = f"http://127.0.0.1:{free_port()}/v1", ["could not be reached", "Check the URL"]
    elif fault == "DNS failure":
        url, expected = "http://nonexistent.invalid/v1", ["could not be resolved (DNS)", "Check the URL's spelling"]

        def no_dns(host: Any, *args: Any, **kw: Any) -> Any:  # offline and deterministic: .invalid never resolves
            if isinstance(host, str) and host.endswith(".invalid"):
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return real_getaddrinfo(host, *args, **kw)

        monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    else:
        url, expected = good_url, ["No answer from", "within 1 s", "after 2 retries"]
        monkeypatch.setattr(clients, "run", functools.partial(real_run, timeout=1.0))
        server.replies[:] = [Reply(body=openai_completion(GOOD), delay_s=2.5)] * 3
    at = make_app()
    fill_in(at, endpoint="custom", url=url)
    before = snapshot(at)
    page = run(at, timeout=180)
    message_ok = all(e in page for e in expected)
    assert message_ok, (expected, page[-1500:])
    intact = snapshot(at) == before
    monkeypatch.setattr(clients, "run", real_run)  # the network is back
    monkeypatch.setattr(socket, "getaddrinfo", real_getaddrinfo)
    if url != good_url:
        at.text_input(key=state.CUSTOM_URL).input(good_url).run()
    server.requests.clear()
    usable = check_usable(at, server, "compatible")
    record(fig, f"{fault} (custom URL)", message_ok, intact, usable)


def test_a_typed_key_is_never_on_the_page_after_any_fault(make_app: Callable[..., AppTest],
                                                          server: RecordingServer) -> None:
    """A server quoting the key back in its error: the page shows it redacted."""
    secret = "sk-hardening-typed-3141592653"
    at = make_app()
    fill_in(at, endpoint="custom", url=f"http://127.0.0.1:{server.port}/v1")
    at.text_input(key=state.KEY_INPUT).input(secret).run()
    server.replies[:] = [Reply(401, {"error": {"message": "Incorrect API key provided: {AUTH}."}}, echo_auth=True)]
    page = run(at)
    assert server.requests[0].headers["authorization"] == f"Bearer {secret}"
    assert "HTTP 401" in page and "[redacted key]" in page and secret not in page
    assert secret not in repr(at.session_state[state.HISTORY])
