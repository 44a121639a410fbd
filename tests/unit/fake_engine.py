"""A stand-in for ``python -m local_engine`` that the supervisor tests can start, stop and crash.

Run as a script: ``python fake_engine.py --port N [--load-s S] [--crash-after-s S] [--exit-code C]``.
It prints progress lines like the real engine, answers ``/health`` 503 while "loading" and 200
``{"status": "ready"}`` after, and answers a chat completion with a fixed JSON object (enough for
UI smoke checks; the real tests use the real engine).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWER = {"name": "Alex Brown", "age": 34}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--load-s", type=float, default=0.0)
    ap.add_argument("--crash-after-s", type=float, default=None)
    ap.add_argument("--exit-code", type=int, default=3)
    ap.add_argument("--fail-load", default=None, help="answer /health 503 failed with this error")
    args = ap.parse_args()
    started = time.monotonic()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/health":
                if args.fail_load:
                    self._send(503, {"status": "failed", "error": args.fail_load})
                elif time.monotonic() - started < args.load_s:
                    self._send(503, {"status": "loading", "detail": "loading the model"})
                else:
                    self._send(200, {"status": "ready"})
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            content = json.dumps(ANSWER)
            if self.path.startswith("/compatible-mode"):
                self._send(200, {"id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": "fake",
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": content}}],
                                 "usage": {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18}},
                           {"x-local-engine-model": "fake-engine"})
            else:
                self._send(200, {"request_id": "req-fake", "output": {"choices": [
                    {"finish_reason": "stop", "message": {"role": "assistant", "content": content}}]},
                    "usage": {"input_tokens": 10, "output_tokens": 8}})

    print("fake engine: assembling the model file", flush=True)
    print("fake engine: loading 50%\rfake engine: loading 100%", flush=True)
    httpd = ThreadingHTTPServer((args.host, args.port), Handler)
    if args.crash_after_s is not None:
        def crash() -> None:
            time.sleep(args.crash_after_s)
            print("fake engine: out of memory, giving up", flush=True)
            sys.stdout.flush()
            import os
            os._exit(args.exit_code)
        threading.Thread(target=crash, daemon=True).start()
    print(f"fake engine: listening on {args.host}:{args.port}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
