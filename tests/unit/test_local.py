"""The local engine supervisor against a fake engine process: start, reuse, crash, restart, stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from structured_output.local import LocalEngine, autostart_enabled, progress_line
from tests.servers import free_port

FAKE = str(Path(__file__).with_name("fake_engine.py"))
ROOT = Path(__file__).resolve().parents[2]


def fake_command(port: int, *extra: str) -> list[str]:
    return [sys.executable, FAKE, "--port", str(port), *extra]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still "exists"; read its state to tell.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[list[LocalEngine]]:
    made: list[LocalEngine] = []
    global _LOG_DIR
    _LOG_DIR = tmp_path
    yield made
    for e in made:
        e.stop(timeout_s=5)


_LOG_DIR: Path | None = None


def make(engines: list[LocalEngine], port: int, *extra: str, **kw: object) -> LocalEngine:
    e = LocalEngine(port, command=fake_command(port, *extra), log_dir=_LOG_DIR, **kw)  # type: ignore[arg-type]
    engines.append(e)
    return e


def test_starts_reports_progress_then_ready(engines: list[LocalEngine]) -> None:
    port = free_port()
    e = make(engines, port, "--load-s", "1.0")
    assert e.status().state == "stopped"
    first = e.ensure_started()
    assert first.state == "starting" and first.owned and first.pid
    seen: list[str] = []
    final = e.wait_ready(20, on_progress=lambda s: seen.append(s.state), poll_s=0.1)
    assert final.ready and final.owned
    assert "starting" in seen
    tail = e.log_tail()
    assert "fake engine: loading 100%" in tail  # the \r progress line keeps only its latest state
    assert not any("loading 50%" in line for line in tail)
    assert e.ensure_started().ready and e.starts == 1  # a second use does not start another process


def test_reuses_an_engine_already_healthy_on_the_port(engines: list[LocalEngine]) -> None:
    port = free_port()
    owner = make(engines, port)
    assert owner.ensure_started() and owner.wait_ready(20, poll_s=0.1).ready
    other = make(engines, port)
    st = other.ensure_started()
    assert st.ready and not st.owned and other.starts == 0
    other.stop()  # not ours: left running
    assert owner.status().ready


def test_a_crash_is_reported_with_its_reason_and_the_next_use_restarts(engines: list[LocalEngine]) -> None:
    port = free_port()
    e = make(engines, port, "--crash-after-s", "0.5", "--exit-code", "3")
    e.ensure_started()
    deadline = time.monotonic() + 20
    while (st := e.status()).state != "failed" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert st.state == "failed"
    assert "exited with code 3" in st.reason and "out of memory" in st.reason
    assert any("out of memory" in line for line in st.log_tail)
    # a page load does not loop on a crashing engine …
    assert e.ensure_started(restart_failed=False).state == "failed" and e.starts == 1
    # … the next use (a Run) starts it again
    assert e.ensure_started().state in ("starting", "ready") and e.starts == 2


def test_stop_ends_the_process_and_frees_the_port(engines: list[LocalEngine]) -> None:
    port = free_port()
    e = make(engines, port)
    pid = e.ensure_started().pid
    assert pid and e.wait_ready(20, poll_s=0.1).ready
    e.stop()
    assert not alive(pid)
    st = e.status()
    assert st.state == "stopped" and st.reason == "The local engine is not running."


def test_restart_replaces_the_process(engines: list[LocalEngine]) -> None:
    port = free_port()
    e = make(engines, port)
    pid1 = e.ensure_started().pid
    assert e.wait_ready(20, poll_s=0.1).ready
    pid2 = e.restart().pid
    assert pid2 and pid2 != pid1 and not alive(pid1 or 0)
    assert e.wait_ready(20, poll_s=0.1).ready and e.starts == 2


def test_a_port_held_by_another_program_is_a_conflict_not_a_restart_loop(engines: list[LocalEngine]) -> None:
    class Other(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:
            body = b"OK"
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Other)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        e = make(engines, httpd.server_address[1])
        st = e.ensure_started()
        assert st.state == "failed" and st.port_conflict and e.starts == 0
        assert "taken by another program" in st.reason and "SOP_LOCAL_ENGINE_PORT" in st.reason
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_command_that_cannot_launch_fails_with_the_reason(engines: list[LocalEngine]) -> None:
    e = LocalEngine(free_port(), command=["/nonexistent/python-for-the-engine"], log_dir=_LOG_DIR)
    engines.append(e)
    st = e.ensure_started()
    assert st.state == "failed" and "could not be launched" in st.reason
    assert _LOG_DIR is not None and not list(_LOG_DIR.iterdir())  # no log file left behind


def test_a_model_that_fails_to_load_is_a_failure_with_the_engines_reason(engines: list[LocalEngine]) -> None:
    port = free_port()
    e = make(engines, port, "--fail-load", "the GGUF file is corrupt")
    e.ensure_started()
    deadline = time.monotonic() + 20
    while (st := e.status()).state == "starting" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert st.state == "failed" and "could not load its model: the GGUF file is corrupt" in st.reason


def test_progress_lines_drop_timestamps_and_levels() -> None:
    assert progress_line("2026-11-27 07:18:58,626 INFO local_engine: building the tokenizer...") == \
        "building the tokenizer..."
    assert progress_line("INFO:     Uvicorn running on http://127.0.0.1:1") == "Uvicorn running on http://127.0.0.1:1"
    assert progress_line("llama_kv_cache: full-size") == "llama_kv_cache: full-size"


def test_an_engine_that_never_gets_ready_times_out(engines: list[LocalEngine]) -> None:
    port = free_port()
    e = make(engines, port, "--load-s", "60", startup_timeout_s=0.8)
    e.ensure_started()
    st = e.wait_ready(10, poll_s=0.1)
    assert st.state == "failed" and "did not become ready within" in st.reason


def test_loading_detail_from_the_503_body_is_the_progress(engines: list[LocalEngine]) -> None:
    port = free_port()
    e = make(engines, port, "--load-s", "30")
    e.ensure_started()
    deadline = time.monotonic() + 20
    while "loading the model" not in (st := e.status()).reason and time.monotonic() < deadline:
        time.sleep(0.1)
    assert st.state == "starting" and "loading the model" in st.reason


_CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from structured_output.local import LocalEngine
    e = LocalEngine({port}, command={cmd!r}, log_dir={log_dir!r})
    e.ensure_started()
    assert e.wait_ready(20, poll_s=0.1).ready
    print(e.status().pid, flush=True)
    if {hang}:
        time.sleep(600)
    sys.stdin.readline()  # a normal exit waits until the test has seen the engine alive
""")


@pytest.mark.parametrize("how", ["normal exit (atexit)", "killed outright (parent-death signal)"])
def test_the_engine_stops_with_the_app(how: str, tmp_path: Path) -> None:
    port = free_port()
    hang = how.startswith("killed")
    code = _CHILD.format(root=str(ROOT), port=port, cmd=fake_command(port), hang=hang, log_dir=str(tmp_path))
    app = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert app.stdout is not None and app.stdin is not None
        pid = int(app.stdout.readline())
        assert alive(pid)
        if hang:
            app.send_signal(signal.SIGKILL)
        else:
            app.stdin.write("\n")
            app.stdin.flush()
        app.wait(20)
        deadline = time.monotonic() + 10
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(pid), f"the engine outlived the app ({how})"
    finally:
        app.kill()
        app.wait()


def test_probe_tells_ready_loading_absent(engines: list[LocalEngine]) -> None:
    port = free_port()
    e = make(engines, port, "--load-s", "1.5")
    assert e.probe()[0] == "absent"
    e.ensure_started()
    deadline = time.monotonic() + 20
    states = set()
    while time.monotonic() < deadline and "ready" not in states:
        states.add(e.probe()[0])
        time.sleep(0.05)
    assert {"loading", "ready"} <= states


@pytest.mark.parametrize(("value", "expected"), [(None, True), ("1", True), ("0", False), ("false", False),
                                                 ("off", False), ("yes", True)])
def test_autostart_switch(monkeypatch: pytest.MonkeyPatch, value: str | None, expected: bool) -> None:
    if value is None:
        monkeypatch.delenv("SOP_LOCAL_ENGINE_AUTOSTART", raising=False)
    else:
        monkeypatch.setenv("SOP_LOCAL_ENGINE_AUTOSTART", value)
    assert autostart_enabled() is expected


def test_status_is_json_friendly_for_logs() -> None:
    e = LocalEngine(free_port(), command=["true"], log_dir=_LOG_DIR)
    st = e.status()
    assert json.dumps({"state": st.state, "reason": st.reason})


def test_wait_exit_sees_a_kill_that_the_status_may_not_show_yet(engines: list[LocalEngine]) -> None:
    """A killed engine's dropped connection can reach the client before the process is reaped."""
    port = free_port()
    e = make(engines, port)
    pid = e.ensure_started().pid
    assert pid and e.wait_ready(20, poll_s=0.1).ready
    assert not e.wait_exit(0.2)  # alive: waits the time given, then says so
    os.kill(pid, signal.SIGKILL)
    assert e.wait_exit(5)
    st = e.status()
    assert st.state == "failed" and "killed by signal 9" in st.reason
