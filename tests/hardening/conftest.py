"""Fixtures of the hardening suite: a private local engine the tests may load, kill and restart, the
process helpers that read its memory from ``/proc``, AppTest harnesses for every page with the shared
sidebar, and the figures printed at the end of the run.

The session's shared engine (``local_engine_url`` in ``tests/conftest.py``) serves the runs that only
need answers. The private engine is started through the app's own supervisor
(``structured_output.local.shared_engine``), so the app under AppTest, which asks the same
supervisor for the same port, sees exactly the process the test kills.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from structured_output.local import LocalEngine, shared_engine
from tests.hardening import figures
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
ENGINE_READY_TIMEOUT_S = float(os.environ.get("SOP_TEST_ENGINE_TIMEOUT", "900"))


# ---------------------------------------------------------------- figures

def pytest_sessionfinish(session: pytest.Session) -> None:
    if not figures.FIGURES.empty():
        figures.save(figures.FIGURES)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if figures.FIGURES.empty():
        return
    terminalreporter.section("hardening figures")
    for line in figures.report(figures.FIGURES).splitlines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"(also in {figures.FIGURES_PATH.relative_to(ROOT)})")


@pytest.fixture(scope="session")
def fig() -> figures.Figures:
    """Where the tests record what they held, survived and tried."""
    return figures.FIGURES


# ---------------------------------------------------------------- processes

def engine_pid(port: int) -> int | None:
    """The pid of the ``python -m local_engine`` serving ``port``, read from ``/proc``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"local_engine" in argv and b"--port" in argv and str(port).encode() in argv:
            return int(entry.name)
    return None


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MB (``VmRSS`` of ``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def listening_addresses(pid: int) -> list[tuple[str, int]]:
    """The (address, port) of every TCP socket ``pid`` listens on (IPv4 and IPv6), from ``/proc``."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = []
    for table, size in (("tcp", 8), ("tcp6", 32)):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            cols = line.split()
            local, state, inode = cols[1], cols[3], cols[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            hex_addr, hex_port = local.split(":")
            found.append((_addr(hex_addr, size), int(hex_port, 16)))
    return found


def _addr(hex_addr: str, size: int) -> str:
    if size == 8:
        return socket.inet_ntop(socket.AF_INET, bytes.fromhex(hex_addr)[::-1])
    raw = bytes.fromhex(hex_addr)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


# ---------------------------------------------------------------- the private engine

@pytest.fixture(scope="session")
def private_engine() -> Iterator[LocalEngine]:
    """A real engine on its own port, started by the app's supervisor and not yet waited for.

    Tests call ``wait_ready``; starting early lets the model load while other tests run.
    """
    port = free_port()
    engine = shared_engine(port)
    engine.ensure_started()
    try:
        yield engine
    finally:
        engine.stop()


@pytest.fixture(scope="session", autouse=True)
def _start_private_engine_early(request: pytest.FixtureRequest) -> None:
    """Spawn the private engine at the first hardening test if any selected test will use it."""
    if any("private_engine" in getattr(item, "fixturenames", ()) for item in request.session.items):
        request.getfixturevalue("private_engine")


def ready(engine: LocalEngine) -> int:
    """Wait for ``engine`` and return its pid."""
    status = engine.wait_ready(ENGINE_READY_TIMEOUT_S)
    assert status.ready, f"the private engine is not ready: {status.reason}\n" + "\n".join(status.log_tail)
    pid = status.pid or engine_pid(engine.port)
    assert pid is not None
    return pid


def kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


# ---------------------------------------------------------------- AppTest harnesses

def _sidebar_and_page(page: str) -> None:
    """The shared sidebar, then one page: what ``app.py`` draws, minus ``st.navigation``.

    AppTest (Streamlit 1.67) drops sidebar elements after the first rerun of an ``st.navigation``
    app, and these tests drive the sidebar (endpoint, URL, key), so the page runs under this harness.
    """
    import runpy
    from pathlib import Path

    import components
    from components import connection, state

    state.init_defaults()
    connection.sidebar()
    runpy.run_path(str(Path(components.__file__).resolve().parents[1] / "views" / f"{page}.py"))


@pytest.fixture
def make_app(monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """An AppTest of one page with the sidebar, its engine port set (a closed port by default) and no
    auto start; ``DASHSCOPE_API_KEY`` is removed unless ``env_key`` is given."""

    def make(page: str = "playground", *, port: int | None = None, env_key: str | None = None,
             timeout: float = 120) -> AppTest:
        monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(port or free_port()))
        monkeypatch.setenv("SOP_LOCAL_ENGINE_AUTOSTART", "0")
        if env_key is None:
            monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
        else:
            monkeypatch.setenv("DASHSCOPE_API_KEY", env_key)
        at = AppTest.from_function(_sidebar_and_page, args=(page,), default_timeout=timeout)
        at.run()
        assert not at.exception, at.exception
        return at

    return make


def plain(text: str) -> str:
    """Markdown as the user reads it: escaping backslashes, bold marks and word joiners removed."""
    return text.replace("\\", "").replace("**", "").replace("\u2060", "")


def texts(at: AppTest) -> str:
    """Every text the page (and sidebar) shows, unescaped."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "code", "text", "exception"):
        parts.extend(plain(str(getattr(e, "value", getattr(e, "message", e)))) for e in getattr(at, kind))
    parts.extend(e.label for e in at.expander)
    return "\n".join(parts)


def no_traceback(at: AppTest) -> None:
    """The page raised nothing and shows no Python traceback."""
    assert not at.exception, [e.value for e in at.exception]
    assert "Traceback (most recent call last)" not in texts(at)


def wait_for(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()
