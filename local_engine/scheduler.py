"""One generation at a time, a bounded line of waiting requests, and 429 when the line is full.

A request reserves its place the moment it arrives (so a burst is counted at once, not when each
stream starts), then waits for the single slot. Places are released exactly once, whether the
request ran, failed, or its client vanished before its stream ever started.
"""

from __future__ import annotations

import asyncio

from local_engine.errors import EngineError

DEFAULT_MAX_WAITING = 8


class Ticket:
    """A reserved place in line; ``async with ticket`` waits for the slot and holds it."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._state = "waiting"  # waiting → running → done

    async def __aenter__(self) -> Ticket:
        try:
            await self._scheduler._slot.acquire()
        except BaseException:
            self.release()
            raise
        if self._state != "waiting":  # released while waiting (cannot normally happen)
            self._scheduler._slot.release()
            raise asyncio.CancelledError()
        self._state = "running"
        self._scheduler.waiting -= 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        """Give the place (or the slot) back; safe to call more than once."""
        if self._state == "waiting":
            self._scheduler.waiting -= 1
        elif self._state == "running":
            self._scheduler._slot.release()
        self._state = "done"


class Scheduler:
    def __init__(self, max_waiting: int = DEFAULT_MAX_WAITING) -> None:
        self.max_waiting = max_waiting
        self.waiting = 0
        self._slot = asyncio.Lock()

    @property
    def busy(self) -> bool:
        return self._slot.locked()

    def reserve(self) -> Ticket:
        """A place in line, or a 429 when ``max_waiting`` requests already wait behind a running one."""
        if self.waiting + (1 if self.busy else 0) >= self.max_waiting + 1:
            raise EngineError(429, f"The local engine is busy: one generation is running and "
                              f"{self.max_waiting} requests are waiting, the most it queues. It serves one request "
                              "at a time; retry in a few seconds.", headers={"Retry-After": "2"})
        self.waiting += 1
        return Ticket(self)
