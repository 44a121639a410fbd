"""A killed local engine is named as such, even when its dropped connection reaches the client a moment
before the process can be reaped (the supervisor then still sees a process that does not answer)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from components import connection, results
from structured_output.errors import CallError
from structured_output.local import EngineStatus

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
def test_engine_down_error(engine: FakeEngine, said: str | None, waits: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "local_engine", lambda: engine)
    got = results.engine_down_error(CallError("connection", "Connection error.", "Check the URL."))
    assert bool(engine.waited) == waits
    if said is None:
        assert got is None
    else:
        assert got is not None
        assert got.message.startswith(f"The local engine stopped while running this request: {said}")
        assert "started again on the next Run" in got.hint
