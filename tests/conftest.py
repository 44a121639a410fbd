"""Shared fixtures. ``local_engine_url`` gives a running local engine (the real model) to any test that
asks for it, started once per test session.

Set ``SOP_TEST_ENGINE_URL=http://127.0.0.1:8311`` to reuse an engine that is already running (faster
when iterating); otherwise ``python -m local_engine`` is started on a free loopback port, its output
goes to a log file, and a failure to start shows that log's tail.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE_URL_ENV = "SOP_TEST_ENGINE_URL"
# The first start assembles the model file from its package and builds the tokenizer; a busy 2-core CI
# machine may also be compiling or running other suites meanwhile.
ENGINE_START_TIMEOUT_S = float(os.environ.get("SOP_TEST_ENGINE_TIMEOUT", "900"))
_ENGINE_LOG = pytest.StashKey[Path]()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _health(url: str) -> int | None:
    try:
        return httpx.get(f"{url}/health", timeout=5).status_code
    except httpx.HTTPError:
        return None


@pytest.fixture(scope="session")
def local_engine_url(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[str]:
    """Base URL of a ready local engine, e.g. ``http://127.0.0.1:40123`` (no trailing slash).

    Compatible protocol: ``f"{url}/compatible-mode/v1"``; native: ``f"{url}/api/v1"``.
    """
    reuse = os.environ.get(ENGINE_URL_ENV, "").strip().rstrip("/")
    if reuse:
        deadline = time.monotonic() + ENGINE_START_TIMEOUT_S
        while _health(reuse) != 200:
            if time.monotonic() > deadline:
                pytest.fail(f"{ENGINE_URL_ENV}={reuse} is not ready (GET /health is not 200)")
            time.sleep(1)
        yield reuse
        return

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("local_engine") / "engine.log"
    pytestconfig.stash[_ENGINE_LOG] = log_path
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "local_engine", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + ENGINE_START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the local engine exited with code {proc.returncode} while starting; "
                            f"log {log_path}:\n{_tail(log_path)}")
            if _health(url) == 200:
                break
            if time.monotonic() > deadline:
                pytest.fail(f"the local engine was not ready within {ENGINE_START_TIMEOUT_S:.0f} s; "
                            f"log {log_path}:\n{_tail(log_path)}")
            time.sleep(0.5)
        yield url
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a server the tests started; kill it when it does not stop within 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


@pytest.fixture(scope="session")
def local_engine_log(local_engine_url: str, pytestconfig: pytest.Config) -> Path | None:
    """The log file of the engine this session started (None when reusing ``SOP_TEST_ENGINE_URL``)."""
    return pytestconfig.stash.get(_ENGINE_LOG, None)
