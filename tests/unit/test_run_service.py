"""The one road every page takes (``structured_output.runs.service``), with a fake engine supervisor
and a fake call: a killed local engine is named as such, even when its dropped connection reaches the
client a moment before the process can be reaped (the supervisor then still sees a process that does
not answer); the engine is waited for once; the key is scrubbed before the run is recorded."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from structured_output.errors import CallError
from structured_output.local import EngineStatus
from structured_output.request import Request
from structured_output.result import RunResult
from structured_output.runs.history import REDACTED, History
from structured_output.runs.service import RunService, RunWatcher, engine_down_error

DYING = EngineStatus("starting", "http://127.0.0.1:1", "launching", owned=True, pid=42)
DEAD = EngineStatus("failed", "http://127.0.0.1:1", "The local engine was killed by signal 9: ready in 8 s")
READY = EngineStatus("ready", "http://127.0.0.1:1", "", owned=True, pid=42)


@dataclass
class FakeEngine:
    before: EngineStatus
    after: EngineStatus
    exits: bool
    waited: list[float] = field(default_factory=list)

    def status(self) -> EngineStatus:
        return self.after if self.waited and self.exits else self.before

    def wait_exit(self, timeout_s: float) -> bool:
        self.waited.append(timeout_s)
        return self.exits


@pytest.mark.parametrize(("engine", "said", "waits"), [
    (FakeEngine(DYING, DEAD, exits=True), "it was killed by signal 9", True),  # the race: reaped a moment later
    (FakeEngine(DEAD, DEAD, exits=True), "it was killed by signal 9", False),  # already reaped
    (FakeEngine(READY, READY, exits=False), None, False),  # a live engine's error is its own: no wait
    (FakeEngine(DYING, DYING, exits=False), None, True),  # really starting: left as the SDK said
])
def test_engine_down_error(engine: FakeEngine, said: str | None, waits: bool) -> None:
    got = engine_down_error(engine, CallError("connection", "Connection error.", "Check the URL."))
    assert bool(engine.waited) == waits
    if said is None:
        assert got is None
    else:
        assert got is not None
        assert got.message.startswith(f"The local engine stopped while running this request: {said}")
        assert "started again on the next Run" in got.hint


# ---------------------------------------------------------------- the road

@dataclass
class StartingEngine:
    """Not ready at first; ready (or failed) after one wait. Counts what the road asked."""

    ends: EngineStatus
    started: int = 0
    waits: int = 0
    dead: bool = False

    def ensure_started(self) -> EngineStatus:
        self.started += 1
        return DYING

    def wait_ready(self, timeout_s: float, on_progress=None) -> EngineStatus:
        self.waits += 1
        if on_progress is not None:
            on_progress(DYING)
        return self.ends

    def status(self) -> EngineStatus:
        return DEAD if self.dead else READY

    def wait_exit(self, timeout_s: float) -> bool:
        return True


class Seen(RunWatcher):
    def __init__(self) -> None:
        self.events: list[str] = []

    def engine_waiting(self, status: EngineStatus) -> None:
        self.events.append(f"waiting:{status.state}")

    def engine_waited(self, status: EngineStatus) -> None:
        self.events.append(f"waited:{status.state}")

    def delta(self, text: str) -> None:
        self.events.append(f"delta:{text}")


SECRET = "sk-road-secret-271828"


def test_the_road_waits_once_runs_scrubs_and_records() -> None:
    engine, history, calls = StartingEngine(READY), History(), []

    def call(req: Request, api_key: str | None, *, on_delta, on_retry) -> RunResult:
        calls.append(api_key)
        on_delta("{")
        return RunResult(content=f'{{"echo": "{api_key}"}}', finish_reason="stop")

    road, seen = RunService(engine=engine, history=history, runner=call), Seen()
    first = road.run(Request(endpoint="local", user_text="json"), SECRET, seen)
    second = road.run(Request(endpoint="local", user_text="json"), SECRET, seen)
    assert (engine.started, engine.waits) == (1, 1)  # the second run does not wait again
    assert seen.events == ["waiting:starting", "waited:ready", "delta:{", "delta:{"]
    assert calls == [SECRET, SECRET]  # the key reaches the call ...
    assert SECRET not in (first.result.content or "") and REDACTED in (first.result.content or "")  # ... not the record
    assert [e.id for e in history.entries] == [second.entry.id, first.entry.id]
    assert history.get(first.entry.id).result is first.result


def test_an_engine_that_never_gets_ready_is_an_error_without_a_call() -> None:
    engine = StartingEngine(DEAD)
    road = RunService(engine=engine, history=History(), runner=lambda *a, **kw: pytest.fail("called"))
    run = road.run(Request(endpoint="local", user_text="json"), None)
    assert run.result.error is not None and run.result.error.kind == "connection"
    assert run.result.error.message == f"The local engine is not ready: {DEAD.reason}"
    assert run.entry is not None and run.entry.verdict == "error"  # recorded too, as every page did


def test_a_killed_engine_is_named_on_every_page_and_waited_for_again() -> None:
    """Compare used to call clients.run itself, so there a killed engine read as a plain connection error."""
    engine = StartingEngine(READY)

    def call(req: Request, api_key: str | None) -> RunResult:
        engine.dead = True
        return RunResult(error=CallError("connection", "Connection error.", "Check the URL."))

    road = RunService(engine=engine, runner=call)
    run = road.run(Request(endpoint="local", user_text="json"), None)
    assert run.result.error is not None
    assert run.result.error.message.startswith("The local engine stopped while running this request: it was killed")
    assert run.entry is None  # no history given: batch rows are not recorded
    engine.dead = False
    road.run(Request(endpoint="local", user_text="json"), None)
    assert engine.started == 2  # a dead engine is started again by the next run


def test_other_endpoints_never_wait_for_the_engine() -> None:
    engine = StartingEngine(DEAD)
    road = RunService(engine=engine, runner=lambda req, key: RunResult(error=CallError("connection", "x", "y")))
    run = road.run(Request(endpoint="custom", custom_base_url="http://127.0.0.1:9/v1", user_text="json"), None)
    assert engine.started == 0 and run.result.error is not None and run.result.error.message == "x"
