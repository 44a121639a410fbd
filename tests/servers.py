"""Starting and stopping the servers the tests need (the local engine, ``streamlit run app.py``), and
the free loopback ports they listen on: one copy, shared by every suite."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def start_server(cmd: Sequence[str], health_url: str, log_path: Path, *, what: str, timeout_s: float,
                 env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.Popen[bytes]:
    """Start ``cmd`` (output to ``log_path``) and wait until ``health_url`` answers 200; fail the test
    with the log's tail when it exits or does not get there within ``timeout_s``."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout_s
    try:
        while not healthy(health_url):
            if proc.poll() is not None:
                pytest.fail(f"{what} exited with code {proc.returncode} while starting; log {log_path}:\n"
                            f"{tail(log_path)}")
            if time.monotonic() > deadline:
                pytest.fail(f"{what} was not ready within {timeout_s:.0f} s; log {log_path}:\n{tail(log_path)}")
            time.sleep(0.3)
    except BaseException:
        stop_process(proc)
        raise
    return proc


def start_app(log_path: Path, *, env: dict[str, str], timeout_s: float = 90) -> tuple[subprocess.Popen[bytes], str]:
    """``streamlit run app.py`` on a free loopback port with ``env``; (process, url).

    Its kept runs and editors go to a SQLite file of its own beside ``log_path`` (unless ``env`` names one),
    never to the user's data folder, so each app starts from the example."""
    env = {"SOP_HISTORY_DB": str(log_path.parent / "playground.sqlite3"), **env}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_server([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                         "--server.address", "127.0.0.1", "--server.port", str(port),
                         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                        f"{url}/_stcore/health", log_path, what="streamlit", timeout_s=timeout_s,
                        env=dict(os.environ, **env))
    return proc, url


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a server the tests started; kill it when it does not stop within 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
