"""llama-cpp-python's own OpenAI-compatible server (``llama-cpp-python[server]``, the wheel the local
engine is built from), started once per test session the way its users start it,
``python -m llama_cpp.server --model <gguf> --host 127.0.0.1 --port <free>``, on the GGUF the local
engine loads (``local_engine.model.locate_model``). The playground reaches it as a custom URL.

Set ``SOP_TEST_LLAMA_CPP_SERVER_URL=http://127.0.0.1:8708/v1`` to reuse one already running.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port, start_server, stop_process

SERVER_URL_ENV = "SOP_TEST_LLAMA_CPP_SERVER_URL"
START_TIMEOUT_S = float(os.environ.get("SOP_TEST_ENGINE_TIMEOUT", "900"))


@dataclass(frozen=True)
class ThirdPartyServer:
    base_url: str  # e.g. http://127.0.0.1:40123/v1
    model: str  # the id GET /v1/models lists (llama-cpp-python uses the model path)
    log: Path | None  # the server's log (None when reusing one)

    def chat_posts(self) -> int:
        """How many chat completion requests the server has logged: counts retries the client made."""
        if self.log is None:
            return -1
        return self.log.read_text(errors="replace").count('"POST /v1/chat/completions HTTP/1.1"')


def _models(base_url: str) -> list[str] | None:
    try:
        r = httpx.get(f"{base_url}/models", timeout=5)
    except httpx.HTTPError:
        return None
    return [m["id"] for m in r.json().get("data", [])] if r.status_code == 200 else None


@pytest.fixture(scope="session")
def llama_cpp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThirdPartyServer]:
    pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] is in the dev extras")
    reuse = os.environ.get(SERVER_URL_ENV, "").strip().rstrip("/")
    if reuse:
        models = _models(reuse)
        if not models:
            pytest.fail(f"{SERVER_URL_ENV}={reuse} does not answer GET /models")
        yield ThirdPartyServer(reuse, models[0], None)
        return

    from local_engine.model import locate_model

    gguf = locate_model()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    log_path = tmp_path_factory.mktemp("llama_cpp_server") / "server.log"
    proc = start_server([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
                         "--port", str(port)], f"{base_url}/models", log_path,
                        what="llama-cpp-python's server", timeout_s=START_TIMEOUT_S)
    try:
        models = _models(base_url) or pytest.fail(f"llama-cpp-python's server lists no model; log {log_path}")
        yield ThirdPartyServer(base_url, models[0], log_path)
    finally:
        stop_process(proc)
