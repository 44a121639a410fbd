"""The one stream accumulator: both protocols feed it each chunk's text, reasoning, finish reason and
usage, and it keeps the chunks as received, the time to first token and the live output callback."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from structured_output.errors import CallError
from structured_output.result import RunResult, Usage
from structured_output.wire.common import OnDelta


@dataclass
class StreamAccumulator:
    """Collects a stream into ``result``; ``close`` fills the content and says when the stream ended early."""

    result: RunResult
    on_delta: OnDelta | None
    started: float  # perf_counter() when the run began, for the time to first token
    chunks: list[Any] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)

    def chunk(self, raw: Any) -> None:
        """One chunk exactly as received (kept for the raw panel)."""
        self.chunks.append(raw)
        self.result.raw = self.chunks

    def text(self, text: str | None) -> None:
        if not text:
            return
        if self.result.ttft_s is None:
            self.result.ttft_s = time.perf_counter() - self.started
        self.parts.append(text)
        if self.on_delta is not None:
            self.on_delta(text)

    def thought(self, text: str | None) -> None:
        if text:
            self.reasoning.append(text)

    def finish_reason(self, reason: str | None) -> None:
        if reason and reason != "null":
            self.result.finish_reason = reason

    def usage(self, input_tokens: int | None, output_tokens: int | None) -> None:
        self.result.usage = Usage(input_tokens, output_tokens)

    def close(self) -> None:
        self.result.raw = self.chunks
        self.result.content = "".join(self.parts)
        if self.reasoning:
            self.result.reasoning = "".join(self.reasoning)
        if self.result.finish_reason is None:
            raise CallError("stream_cut", "The stream ended without a finish reason: the answer may be incomplete.",
                            "Run it again; if it keeps happening, turn streaming off.")
