"""The one error shape every failure becomes, whichever SDK or transport raised it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ErrorKind = Literal[
    "http", "connection", "timeout", "auth", "rate_limit", "server", "missing_key", "bad_response", "stream_cut",
    "invalid_request", "unsupported",
]


@dataclass
class CallError(Exception):
    """A failed call, normalized: what kind, the server's status/code/message, and what to do about it."""

    kind: ErrorKind
    message: str
    hint: str
    status: int | None = None
    code: str | None = None
    request_id: str | None = None
    retries: int = 0

    def __str__(self) -> str:
        head = f"HTTP {self.status}" if self.status else self.kind.replace("_", " ")
        code = f" [{self.code}]" if self.code else ""
        return f"{head}{code}: {self.message}"
