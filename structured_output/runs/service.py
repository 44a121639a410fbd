"""The one road every page takes to a result: wait for the local engine (start it if needed), run the
request through ``clients.run``, say so when the local engine died during the run, scrub the key from
what came back, and record the run in the history.

Pages pass a ``RunWatcher`` to show what happens (the engine starting, the output as it streams,
retries); the service itself never shows anything, so a new page cannot drift from the others.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from structured_output import clients
from structured_output.errors import CallError
from structured_output.local import EngineStatus
from structured_output.request import Request
from structured_output.result import RunResult
from structured_output.runs.history import History, HistoryEntry, scrub_secret

ENGINE_WAIT_S = 900.0  # the first start of the local engine assembles and loads the model
ENGINE_EXIT_WAIT_S = 3.0  # a dropped connection from the local engine: how long its exit may take to show

Runner = Callable[..., RunResult]  # clients.run: (request, api_key, *, on_delta, on_retry) -> RunResult


class EngineSupervisor(Protocol):
    """What the road needs of ``structured_output.local.LocalEngine``."""

    def ensure_started(self) -> EngineStatus: ...
    def wait_ready(self, timeout_s: float, on_progress: Callable[[EngineStatus], None] | None = None) \
        -> EngineStatus: ...
    def status(self) -> EngineStatus: ...
    def wait_exit(self, timeout_s: float) -> bool: ...


class RunWatcher:
    """What a page shows while a run goes on. Each hook does nothing here; a page overrides the ones it shows."""

    def engine_waiting(self, status: EngineStatus) -> None:
        """The local engine is starting (called on every poll until it is ready or fails)."""

    def engine_waited(self, status: EngineStatus) -> None:
        """Waiting for the engine ended (``status.ready`` says how)."""

    def running(self, req: Request) -> contextlib.AbstractContextManager[object]:
        """Wraps the call itself (e.g. a spinner)."""
        return contextlib.nullcontext()

    def delta(self, text: str) -> None:
        """A piece of streamed output."""

    def retry(self, attempt: int, delay_s: float, err: CallError) -> None:
        """The call is retried after ``err``."""


@dataclass
class Run:
    """One finished run: what was sent, what came back (key scrubbed), and its history entry (None when
    the road keeps no history, as for batch rows)."""

    request: Request
    result: RunResult
    entry: HistoryEntry | None = None


# ---------------------------------------------------------------- the local engine, in words

def engine_not_ready_error(status: EngineStatus) -> CallError:
    return CallError("connection", f"The local engine is not ready: {status.reason}",
                     "See the engine's status and log in the sidebar; restart it there, or pick another endpoint.")


def engine_down_error(engine: EngineSupervisor, err: CallError) -> CallError | None:
    """If the local engine's process ended while the request ran, the error that says so.

    A killed engine shows up at the SDK as a dropped connection or a stream cut short, which reads as
    a network problem; the supervisor knows better (the exit code, the last log line), and the next
    Run starts the engine again.
    """
    if err.kind not in ("connection", "stream_cut", "timeout", "bad_response", "server"):
        return None
    status = engine.status()
    if status.state == "starting" and status.owned and engine.wait_exit(ENGINE_EXIT_WAIT_S):
        status = engine.status()  # not answering and not yet reaped: it was dying, not starting
    if status.state not in ("failed", "stopped") or status.port_conflict:
        return None
    reason = status.reason.removeprefix("The local engine ")
    reason = "it " + reason if reason != status.reason else reason
    return CallError("connection", f"The local engine stopped while running this request: {reason}",
                     "Run again: the engine is started again on the next Run (or use Restart in the sidebar). "
                     "Everything you typed is kept.", retries=err.retries)


# ---------------------------------------------------------------- the road

class RunService:
    """The road for one page action (a click may run several requests: compare columns, batch rows).

    ``engine`` is the local engine's supervisor (None: never wait for one); ``history`` where runs are
    recorded (None: not recorded); ``runner`` the call itself, ``clients.run`` unless a test gives one.
    Once the engine was seen ready, later runs of the same service do not wait for it again, until a
    run finds it dead.
    """

    def __init__(self, engine: EngineSupervisor | None = None, history: History | None = None,
                 runner: Runner | None = None) -> None:
        self.engine = engine
        self.history = history
        self.runner = runner
        self._engine_ready = False

    def wait_for_engine(self, watcher: RunWatcher | None = None) -> CallError | None:
        """Start the local engine if needed and wait for it; the error to show when it never gets ready."""
        if self.engine is None or self._engine_ready:
            return None
        watcher = watcher or RunWatcher()
        status = self.engine.ensure_started()
        if not status.ready:
            status = self.engine.wait_ready(ENGINE_WAIT_S, watcher.engine_waiting)
            watcher.engine_waited(status)
        if not status.ready:
            return engine_not_ready_error(status)
        self._engine_ready = True
        return None

    def run(self, req: Request, api_key: str | None, watcher: RunWatcher | None = None) -> Run:
        """Run ``req`` the one way: the result's errors are inside it, never raised."""
        result: RunResult | None = None
        if req.endpoint == "local":
            err = self.wait_for_engine(watcher)
            if err is not None:
                result = RunResult(error=err, latency_s=0.0)
        if result is None:
            runner = self.runner or clients.run  # looked up now, so a test may replace clients.run
            if watcher is not None:
                runner = functools.partial(runner, on_delta=watcher.delta, on_retry=watcher.retry)
            with watcher.running(req) if watcher is not None else contextlib.nullcontext():
                result = runner(req, api_key)
            if req.endpoint == "local" and result.error is not None and self.engine is not None:
                down = engine_down_error(self.engine, result.error)
                if down is not None:
                    result.error = down
                    self._engine_ready = False
        # A server may quote the key it refused; results end up on the page, in the history and downloads.
        result = scrub_secret(result, api_key)
        entry = self.history.add(req, result) if self.history is not None else None
        return Run(req, result, entry)
