"""Supervise the offline local engine for one app server process: start it once, watch it, stop it.

Streamlit-free so it can be tested on its own. The UI keeps one ``LocalEngine`` per port in
``st.cache_resource``, so every browser session shares the same engine process instead of each
loading its own model.

The engine is ``python -m local_engine --host 127.0.0.1 --port N``. Its ``GET /health`` answers
200 ``{"status": "ready"}`` once the model is loaded and 503 while it is loading. Its stdout and
stderr go to a log file whose last lines are the progress the sidebar shows while it starts.

Policy, in one place:
- an engine already healthy on the port is reused (a previous app run, or the test fixture);
- ``ensure_started()`` is "the next use": it starts the engine if it is not running, and restarts
  it if it died; ``ensure_started(restart_failed=False)`` only starts one that never ran, so a page
  load cannot loop on an engine that keeps crashing;
- the engine stops with the app (``atexit``), and on Linux the kernel also stops it if the app
  server is killed outright (parent-death signal), so no orphan keeps the port.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from structured_output.catalog import local_engine_port

EngineState = Literal["ready", "starting", "failed", "stopped"]
AUTOSTART_ENV = "SOP_LOCAL_ENGINE_AUTOSTART"
SECRET_ENV = ("DASHSCOPE_API_KEY", "OPENAI_API_KEY")  # never passed on to the engine process
DEFAULT_STARTUP_TIMEOUT_S = 900.0  # the first start assembles the model file and may compile caches
LOG_TAIL_LINES = 12

Probe = Literal["ready", "loading", "broken", "absent", "foreign"]


@dataclass(frozen=True)
class EngineStatus:
    """What the sidebar shows: one state, why, and the engine's latest log lines."""

    state: EngineState
    url: str
    reason: str = ""
    log_tail: tuple[str, ...] = ()
    owned: bool = False  # False when the engine on the port was started by someone else and is reused
    pid: int | None = None
    elapsed_s: float | None = None  # seconds since this supervisor started it
    port_conflict: bool = False  # the port is held by something that is not a local engine

    @property
    def ready(self) -> bool:
        return self.state == "ready"


@dataclass
class _Run:
    """One spawned engine process and its bookkeeping."""

    proc: subprocess.Popen[bytes]
    started_at: float
    log_path: Path
    stopping: bool = False


def autostart_enabled() -> bool:
    """False when ``SOP_LOCAL_ENGINE_AUTOSTART=0``: tests and users who never want a model loaded."""
    return os.environ.get(AUTOSTART_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def _load_libc() -> ctypes.CDLL | None:
    # Loaded in the parent: calling dlopen between fork and exec in a threaded process can deadlock.
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: ask the kernel for SIGTERM when the spawning thread dies."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class LocalEngine:
    """One engine process on one loopback port, shared by every session of the app server."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1", *,
                 command: Sequence[str] | None = None, startup_timeout_s: float = DEFAULT_STARTUP_TIMEOUT_S,
                 health_timeout_s: float = 2.0, log_dir: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.host = host
        self.port = int(port if port is not None else local_engine_port())
        self.command = list(command) if command is not None else [
            sys.executable, "-m", "local_engine", "--host", host, "--port", str(self.port)]
        self.startup_timeout_s = startup_timeout_s
        self.health_timeout_s = health_timeout_s
        self.log_dir = log_dir
        self.env = env
        self._lock = threading.RLock()
        self._run: _Run | None = None
        self._last_failure = ""
        self._last_tail: tuple[str, ...] = ()
        self.starts = 0  # how many processes this supervisor has spawned (tests and the UI read it)
        atexit.register(self.stop)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------ probing

    def probe(self) -> tuple[Probe, str]:
        """Ask ``/health`` once: ready, loading (503), broken (503 "failed": the model did not load),
        absent (nothing listens) or foreign (something that is not an engine)."""
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=self.health_timeout_s) as resp:
                body = resp.read(4096)
                status = resp.status
        except urllib.error.HTTPError as e:
            if e.code == 503:
                data = _json(e.read(4096))
                if data.get("status") == "failed":
                    return "broken", str(data.get("error") or "no reason given")
                return "loading", _detail(data)
            return "foreign", f"its /health answered HTTP {e.code}"
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as e:
            reason = getattr(e, "reason", e)
            if isinstance(reason, TimeoutError | ConnectionResetError):
                # Listening but not answering in time: a busy engine between requests looks like this.
                return "loading", "not answering /health yet"
            return "absent", str(reason)
        if status == 200 and _json(body).get("status") == "ready":
            return "ready", ""
        return "foreign", f"its /health answered HTTP {status}, not the engine's status"

    # ------------------------------------------------------------ status

    def status(self) -> EngineStatus:
        """The engine's state now, without starting anything."""
        with self._lock:
            run = self._run
            if run is not None and run.proc.poll() is not None:
                self._record_exit(run)
                run = None
            probe, detail = self.probe()
            if run is None:
                if probe == "ready":
                    return EngineStatus("ready", self.url, "Reusing the engine already running on this port.")
                if probe == "loading":
                    return EngineStatus("starting", self.url,
                                        f"Another process is starting an engine on this port ({detail}).")
                if probe == "foreign":
                    return EngineStatus("failed", self.url, self._conflict_reason(detail), port_conflict=True)
                if probe == "broken":
                    return EngineStatus("failed", self.url, f"The engine on this port could not load its model: "
                                        f"{detail}")
                if self._last_failure:
                    return EngineStatus("failed", self.url, self._last_failure, self._last_tail)
                return EngineStatus("stopped", self.url, "The local engine is not running.")

            tail = self.log_tail()
            elapsed = time.monotonic() - run.started_at
            base = dict(url=self.url, log_tail=tail, owned=True, pid=run.proc.pid, elapsed_s=elapsed)
            if probe == "ready":
                return EngineStatus("ready", reason="", **base)
            if probe == "foreign":
                return EngineStatus("failed", reason=self._conflict_reason(detail), port_conflict=True, **base)
            if probe == "broken":
                return EngineStatus("failed", reason=f"The engine could not load its model: {detail}", **base)
            if elapsed > self.startup_timeout_s:
                return EngineStatus("failed", reason=f"The engine did not become ready within "
                                    f"{self.startup_timeout_s:.0f} s.", **base)
            doing = detail if probe == "loading" and detail else (progress_line(tail[-1]) if tail else "launching")
            return EngineStatus("starting", reason=doing, **base)

    def wait_exit(self, timeout_s: float) -> bool:
        """Whether the process this supervisor started has ended, waiting up to ``timeout_s`` for it.

        A killed process closes its sockets before it can be reaped, so a client that sees the connection
        drop may ask before the exit is visible; this gives the exit the moment it needs."""
        run = self._run
        if run is None:
            return True
        try:
            run.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    def _conflict_reason(self, detail: str) -> str:
        return (f"Port {self.port} is taken by another program ({detail}), not a local engine. "
                f"Stop that program, or start the app with SOP_LOCAL_ENGINE_PORT set to a free port.")

    def _record_exit(self, run: _Run) -> None:
        """Remember why our process ended, so the status can say it after the process is gone."""
        tail = self.log_tail(run.log_path)
        code = run.proc.returncode
        if run.stopping:
            self._last_failure = ""
        else:
            last = progress_line(next((line for line in reversed(tail) if line.strip()), ""))
            how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
            self._last_failure = f"The local engine {how}" + (f": {last}" if last else ".")
        self._last_tail = tail
        self._run = None
        with contextlib.suppress(OSError):
            run.log_path.unlink()  # the tail is kept in memory; the file would only pile up in /tmp

    # ------------------------------------------------------------ control

    def ensure_started(self, *, restart_failed: bool = True) -> EngineStatus:
        """Make sure an engine runs (or is starting) on the port; the engine the caller is about to use.

        ``restart_failed=False`` starts an engine only if this supervisor never saw one fail, which is
        what a page load wants; a Run wants the default, a fresh try.
        """
        with self._lock:
            st = self.status()
            if st.state in ("ready", "starting") or st.port_conflict:
                return st
            if st.state == "failed" and not restart_failed:
                return st
            if self._run is not None:  # alive but stuck past the start-up timeout
                self._terminate(self._run)
            self._spawn()
            return self.status()

    def restart(self) -> EngineStatus:
        """Stop our process (if any) and start a fresh one."""
        with self._lock:
            if self._run is not None:
                self._terminate(self._run)
            self._last_failure = ""
            return self.ensure_started()

    def wait_ready(self, timeout_s: float, on_progress: Callable[[EngineStatus], None] | None = None,
                   poll_s: float = 0.5) -> EngineStatus:
        """Poll until ready, failed or stopped, or until ``timeout_s``; report each poll to ``on_progress``."""
        deadline = time.monotonic() + timeout_s
        while True:
            st = self.status()
            if on_progress is not None:
                on_progress(st)
            if st.state != "starting" or time.monotonic() >= deadline:
                return st
            time.sleep(poll_s)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the process this supervisor started; an engine someone else started is left alone."""
        with self._lock:
            if self._run is not None:
                self._terminate(self._run, timeout_s)

    def _terminate(self, run: _Run, timeout_s: float = 10.0) -> None:
        run.stopping = True
        if run.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                run.proc.terminate()
            try:
                run.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    run.proc.kill()
                run.proc.wait(5)
        self._record_exit(run)

    def _spawn(self) -> None:
        """Start the engine from a thread that lives exactly as long as the process.

        The parent-death signal fires when the *thread* that forked the child ends, so the fork happens
        in a dedicated waiter thread rather than in a short-lived script-run thread.
        """
        fd, name = tempfile.mkstemp(prefix=f"sop-local-engine-{self.port}-", suffix=".log", dir=self.log_dir)
        log_path = Path(name)
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        # The engine takes no key; a DashScope key in the app's environment has no business in its process.
        for secret in SECRET_ENV:
            env.pop(secret, None)
        ready = threading.Event()
        box: dict[str, object] = {}

        def waiter() -> None:
            try:
                proc = subprocess.Popen(self.command, stdout=fd, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        env=env, preexec_fn=_die_with_parent if _LIBC is not None else None)
            except OSError as e:
                box["error"] = e
                ready.set()
                return
            box["proc"] = proc
            ready.set()
            proc.wait()

        threading.Thread(target=waiter, name=f"local-engine-{self.port}", daemon=True).start()
        ready.wait(30)
        os.close(fd)
        self.starts += 1
        self._last_failure = ""
        if "proc" not in box:
            err = box.get("error", "no process was created")
            self._last_failure = f"The local engine could not be launched: {err}"
            self._last_tail = ()
            with contextlib.suppress(OSError):
                log_path.unlink()
            return
        proc = box["proc"]
        assert isinstance(proc, subprocess.Popen)
        self._run = _Run(proc, time.monotonic(), log_path)

    # ------------------------------------------------------------ logs

    def log_tail(self, path: Path | None = None, lines: int = LOG_TAIL_LINES) -> tuple[str, ...]:
        """The last lines the engine wrote, for progress while it starts and for the failure reason."""
        if path is None:
            if self._run is None:
                return self._last_tail
            path = self._run.log_path
        try:
            with open(path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - 16384))
                data = f.read()
        except OSError:
            return ()
        # Progress bars rewrite one line with \r; keep only the latest state of each line.
        text = data.decode("utf-8", errors="replace").replace("\r\n", "\n")
        out = [seg.split("\r")[-1].rstrip() for seg in text.split("\n")]
        return tuple(line for line in out if line.strip())[-lines:]


def _json(body: bytes) -> dict[str, object]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _detail(data: dict[str, object]) -> str:
    """The engine's own words about what it is doing while it loads, if its 503 carries any."""
    parts = [str(data[k]) for k in ("detail", "stage", "progress", "message") if data.get(k) not in (None, "")]
    return " · ".join(parts)


_LOG_PREFIX = re.compile(r"^(\d{4}-\d\d-\d\d[ T][\d:,.]+\s+)?(DEBUG|INFO|WARNING|ERROR|CRITICAL)?:?\s*"
                         r"(local_engine[\w.]*:\s*)?")


def progress_line(line: str) -> str:
    """A log line without its timestamp, level and logger name: what a person wants to read."""
    return _LOG_PREFIX.sub("", line, count=1).strip() or line.strip()


_engines: dict[tuple[str, int], LocalEngine] = {}
_engines_lock = threading.Lock()


def shared_engine(port: int | None = None, host: str = "127.0.0.1") -> LocalEngine:
    """The one supervisor for ``host:port`` in this process (the UI also caches it per port)."""
    key = (host, int(port if port is not None else local_engine_port()))
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = LocalEngine(key[1], host)
        return engine


__all__ = ["AUTOSTART_ENV", "EngineState", "EngineStatus", "LocalEngine", "autostart_enabled", "progress_line",
           "shared_engine"]

