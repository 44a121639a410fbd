"""DashScope's documented Batch API limits (``data/batch_api.json``), shared by the playground (checked
before uploading) and the local engine (checked when a file arrives), so both refuse the same files."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data" / "batch_api.json"


@dataclass(frozen=True)
class BatchLimits:
    max_requests: int
    max_file_bytes: int
    max_line_bytes: int
    completion_window: str
    endpoint: str
    terminal: tuple[str, ...]
    endpoints: dict[str, dict[str, Any]]

    def supports(self, endpoint: str) -> bool:
        return bool(self.endpoints.get(endpoint, {}).get("batch"))

    def note(self, endpoint: str) -> str:
        return str(self.endpoints.get(endpoint, {}).get("note", ""))

    def model_note(self, endpoint: str, model: str) -> str:
        """Why ``model`` may be refused a batch job on ``endpoint`` (empty when the pages list it or list none)."""
        listed = self.endpoints.get(endpoint, {}).get("models")
        if not listed or model in listed:
            return ""
        return (f"The batch pages list {', '.join(listed)} for this endpoint; {model} is not among them, so the "
                "service may refuse the job (it can still be sent).")


@functools.cache
def load_limits() -> BatchLimits:
    d = json.loads(DATA.read_text(encoding="utf-8"))
    lim = d["limits"]
    return BatchLimits(
        max_requests=int(lim["max_requests_per_file"]["value"]),
        max_file_bytes=int(lim["max_file_bytes"]["value"]),
        max_line_bytes=int(lim["max_line_bytes"]["value"]),
        completion_window=str(d["completion_window"]["value"]),
        endpoint=str(d["endpoint"]),
        terminal=tuple(d["statuses"]["terminal"]),
        endpoints=dict(d["endpoints"]),
    )


LIMITS = load_limits()
