"""The session's runs: what was asked, what came back, and when, so any run can be reopened or compared.

Kept in the session's memory and, given a ``RunStore``, in the SQLite file of the user's data folder, so
a reload or a restart starts from the runs kept there. Nothing here ever holds an API key: ``Request``
has no key field, and ``scrub_secret`` removes the key from anything a server echoed back before a
result is stored (the service scrubs before it records).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from structured_output.request import MODE_LABELS, Request
from structured_output.result import RunResult
from structured_output.runs.store import RunStore, StoreError

DEFAULT_LIMIT = 50  # a session that runs all afternoon must not grow without bound (images are kept)
REDACTED = "[redacted key]"


@dataclass
class HistoryEntry:
    """One run: a private copy of the request (later edits do not change it) and its result."""

    id: int
    at: datetime
    request: Request
    result: RunResult

    @property
    def verdict(self) -> str:
        return self.result.verdict

    @property
    def label(self) -> str:
        """One line that tells runs apart in a picker."""
        return (f"#{self.id} · {self.at:%H:%M:%S} · {self.request.model} · "
                f"{MODE_LABELS.get(self.request.mode, self.request.mode)} · {self.verdict}")

    def output_text(self) -> str:
        """What the model said, or the error when there is no output."""
        if self.result.content is not None:
            return self.result.content
        if self.result.error is not None:
            return f"(error) {self.result.error}"
        return ""

    def row(self) -> dict[str, Any]:
        r = self.result
        return {
            "run": self.id,
            "time": self.at.strftime("%H:%M:%S"),
            "model": self.request.model,
            "endpoint": f"{self.request.endpoint}/{self.request.protocol}",
            "mode": MODE_LABELS.get(self.request.mode, self.request.mode),
            "verdict": self.verdict,
            "latency (s)": round(r.latency_s, 2) if r.latency_s is not None else None,
            "tokens": r.usage.total_tokens,
        }


@dataclass
class History:
    """Runs newest first, at most ``limit`` of them; with a ``store``, also kept on disk (ids are the
    store's, so a run keeps its number across restarts)."""

    limit: int = DEFAULT_LIMIT
    entries: list[HistoryEntry] = field(default_factory=list)
    next_id: int = 1
    store: RunStore | None = None
    store_error: str = ""  # why the file could not be used: the page says so, the runs stay in memory

    @classmethod
    def from_store(cls, store: RunStore, limit: int = DEFAULT_LIMIT) -> History:
        h = cls(limit=limit, store=store)
        try:
            h.entries = [HistoryEntry(i, at, req, res) for i, at, req, res in store.runs(limit)]
        except StoreError as e:
            h.store, h.store_error = None, str(e)
        h.next_id = max((e.id for e in h.entries), default=0) + 1
        return h

    def add(self, request: Request, result: RunResult, at: datetime | None = None) -> HistoryEntry:
        at = at or datetime.now()
        entry_id = self.next_id
        if self.store is not None:
            try:
                entry_id = self.store.add_run(at, request, result)
                self.store.trim(self.limit)
            except StoreError as e:
                self.store, self.store_error = None, str(e)
        entry = HistoryEntry(entry_id, at, copy.deepcopy(request), result)
        self.next_id = max(self.next_id, entry_id) + 1
        self.entries.insert(0, entry)
        del self.entries[self.limit:]
        return entry

    def clear(self) -> None:
        """Forget every run, in memory and on disk."""
        if self.store is not None:
            try:
                self.store.clear_runs()
            except StoreError as e:
                self.store_error = str(e)
        self.entries.clear()

    def get(self, entry_id: int | None) -> HistoryEntry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def rows(self) -> list[dict[str, Any]]:
        return [e.row() for e in self.entries]

    def __len__(self) -> int:
        return len(self.entries)


def scrub_secret(result: RunResult, secret: str | None) -> RunResult:
    """Replace every occurrence of ``secret`` in what the server sent back, in place.

    Some servers quote the key they refused in the error message; that text is shown, kept in the
    history and could be exported, so the key is taken out before the result is stored.
    """
    if not secret or len(secret) < 4:
        return result

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(secret, REDACTED)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {clean(k): clean(v) for k, v in value.items()}
        return value

    result.raw = clean(result.raw)
    result.content = clean(result.content)
    result.reasoning = clean(result.reasoning)
    result.request_id = clean(result.request_id)
    result.served_by = clean(result.served_by)
    if result.error is not None:
        for name in ("message", "hint", "code", "request_id"):
            setattr(result.error, name, clean(getattr(result.error, name)))
        result.error.args = tuple(clean(a) for a in result.error.args)  # what pickling an exception keeps
    # What was derived from the content before the scrub: the parsed tree (shown in the Parsed panel)
    # and validation messages (which quote the offending value) would still hold the key.
    if result.parse is not None:
        result.parse.value = clean(result.parse.value)
        result.parse.lenient_value = clean(result.parse.lenient_value)
        result.parse.error = clean(result.parse.error)
    if result.validation is not None:
        result.validation.note = clean(result.validation.note)
        for row in result.validation.errors:
            row.path, row.message = clean(row.path), clean(row.message)
    return result
