"""A loopback HTTP server that records what the SDKs send and answers from a script (test fixture)."""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict → JSON; str → sent as is
    headers: dict[str, str] = field(default_factory=dict)
    sse: list[Any] | None = None  # events for a streamed answer (dicts become `data: {json}`)
    cut_after: int | None = None  # close the stream after this many events, without finishing
    delay_s: float = 0.0
    # "{AUTH}" anywhere in the body or events becomes the bearer token received: a server that quotes
    # the key it was sent (some do, in their 401 message), for the key-hygiene tests.
    echo_auth: bool = False


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class RecordingServer:
    """``healthy=True`` also answers ``GET /health`` like a ready local engine, so the app's engine
    supervisor reuses this server when ``SOP_LOCAL_ENGINE_PORT`` points at it."""

    def __init__(self, *, healthy: bool = False) -> None:
        self.requests: list[Recorded] = []
        self.replies: list[Reply] = []
        self.healthy = healthy
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                ok = server.healthy and self.path == "/health"
                data = json.dumps({"status": "ready"} if ok else {"error": "not found"}).encode()
                self.send_response(200 if ok else 404)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
                server.requests.append(Recorded("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                                                body))
                reply = server.replies.pop(0) if server.replies else Reply(500, {"error": {"message": "no reply"}})
                token = self.headers.get("authorization", "").removeprefix("Bearer ").strip()

                def echo(text: str) -> str:
                    return text.replace("{AUTH}", token) if reply.echo_auth else text

                if reply.delay_s:
                    threading.Event().wait(reply.delay_s)
                if reply.sse is not None:
                    self.send_response(reply.status)
                    self.send_header("content-type", "text/event-stream")
                    self.send_header("connection", "close")
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    for i, event in enumerate(reply.sse):
                        if reply.cut_after is not None and i >= reply.cut_after:
                            break
                        data = echo(event if isinstance(event, str) else json.dumps(event))
                        self.wfile.write(f"data: {data}\n\n".encode())
                        self.wfile.flush()
                    self.close_connection = True
                    return
                payload = echo(reply.body if isinstance(reply.body, str) else json.dumps(reply.body))
                data = payload.encode()
                self.send_response(reply.status)
                self.send_header("content-type", "application/json" if not isinstance(reply.body, str) else "text/html")
                self.send_header("content-length", str(len(data)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)  # the client may have given up first (the timeout test)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> RecordingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def openai_completion(content: str, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 1756455080, "model": "qwen-flash",
        "choices": [{"index": 0, "finish_reason": finish_reason, "logprobs": None,
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 54, "completion_tokens": 18, "total_tokens": 72},
    }


def native_completion(content: Any, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "output": {"choices": [{"finish_reason": finish_reason, "message": {"role": "assistant", "content": content}}]},
        "usage": {"input_tokens": 54, "output_tokens": 18, "total_tokens": 72},
        "request_id": "req-native-1",
    }
