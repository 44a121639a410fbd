"""Retry on validation failure, the way libraries such as Instructor do it: when the answer does not
parse or does not match the schema, send the answer back with the errors and ask again, up to N
attempts in all. Each attempt is a whole run on the one road (``RunService.run``: engine wait, the
official SDKs, key scrub, history), so the retries' cost is real calls and real tokens.

It is here to be compared: JSON Schema mode constrains the answer so it needs no retries, which the
reference's opening claim says ("eliminates the need for extra validation or retries").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from structured_output.request import Request
from structured_output.result import RunResult
from structured_output.runs.history import HistoryEntry
from structured_output.runs.service import RunService, RunWatcher

MIN_ATTEMPTS, MAX_ATTEMPTS, DEFAULT_ATTEMPTS = 2, 6, 3
RETRIED_VERDICTS = ("not JSON", "invalid", "truncated")  # a call error is not the answer's fault: not asked again
MAX_ERRORS_SENT = 10  # a long list of errors helps the model no more than the first ones


@dataclass
class Attempt:
    """One call of a retried run: what was sent (with the turns before it) and what came back."""

    number: int
    request: Request
    result: RunResult
    entry: HistoryEntry | None = None

    @property
    def verdict(self) -> str:
        return self.result.verdict

    @property
    def passed(self) -> bool:
        return self.result.verdict not in RETRIED_VERDICTS and self.result.error is None


@dataclass
class RetryRun:
    """Every attempt, oldest first, and what they cost together."""

    max_attempts: int
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def final(self) -> Attempt:
        return self.attempts[-1]

    @property
    def calls(self) -> int:
        return len(self.attempts)

    def tokens(self) -> tuple[int, int]:
        """Input and output tokens over every attempt (a call that reported none counts 0)."""
        ins = sum(a.result.usage.input_tokens or 0 for a in self.attempts)
        outs = sum(a.result.usage.output_tokens or 0 for a in self.attempts)
        return ins, outs

    def latency_s(self) -> float:
        return sum(a.result.latency_s or 0.0 for a in self.attempts)

    def summary(self) -> str:
        """One line: how it ended, and how many calls and tokens it took."""
        ins, outs = self.tokens()
        n = self.calls
        if self.final.passed:
            how = ("passed on the first call, no retry needed" if n == 1
                   else f"passed on attempt {n} of at most {self.max_attempts}")
        elif self.final.result.error is not None:
            how = f"stopped on attempt {n}: the call failed ({self.final.result.error.kind})"
        else:
            how = f"still {self.final.verdict} after {n} attempt{'s' if n != 1 else ''}"
        return (f"{how}: {n} call{'s' if n != 1 else ''}, {ins + outs} tokens ({ins} in, {outs} out), "
                f"{self.latency_s():.1f} s")


def needs_retry(result: RunResult) -> bool:
    return result.error is None and result.verdict in RETRIED_VERDICTS


def feedback(req: Request, result: RunResult) -> str:
    """The user turn that sends the errors back (Instructor's "correct your JSON, based on the following
    errors"). Outside JSON Schema mode the model has not seen the schema, so it is included."""
    p, v = result.parse, result.validation
    if result.truncated:
        lines = ["Your answer was cut off before the JSON was complete."]
    elif p is None or not p.ok:
        where = f" at line {p.line}, column {p.column}" if p is not None and p.line else ""
        lines = [f"Your answer is not valid JSON{where}: {p.error if p is not None else 'no content'}."]
    else:
        errors = (v.errors if v is not None else [])[:MAX_ERRORS_SENT]
        lines = ["Your JSON does not match the JSON Schema. The errors:"]
        lines += [f"- {e.path}: {e.message}" for e in errors]
    schema = req.validation_schema()
    if req.mode != "json_schema" and schema is not None:
        lines += ["", "The JSON Schema your answer must match:", json.dumps(schema, ensure_ascii=False)]
    lines += ["", "Correct your JSON based on these errors and answer with the corrected JSON object only."]
    return "\n".join(lines)


def next_request(req: Request, result: RunResult) -> Request:
    """The same request with the failed answer and the errors appended as two more turns."""
    turns = [*req.followups, {"role": "assistant", "content": result.content or ""},
             {"role": "user", "content": feedback(req, result)}]
    return replace(req, followups=turns)


def run_with_retries(service: RunService, req: Request, api_key: str | None, max_attempts: int,
                     watcher_for: Callable[[int], RunWatcher | None] | None = None,
                     on_attempt: Callable[[Attempt], None] | None = None) -> RetryRun:
    """Run ``req``; while the answer fails to parse or validate, send the errors back, up to
    ``max_attempts`` calls in all. ``watcher_for(n)`` shows attempt ``n``; ``on_attempt`` hears each one."""
    if not MIN_ATTEMPTS <= max_attempts <= MAX_ATTEMPTS:
        raise ValueError(f"Retries take {MIN_ATTEMPTS} to {MAX_ATTEMPTS} attempts in all; {max_attempts} were asked.")
    out = RetryRun(max_attempts)
    current = req
    for n in range(1, max_attempts + 1):
        run = service.run(current, api_key, watcher_for(n) if watcher_for is not None else None)
        attempt = Attempt(n, run.request, run.result, run.entry)
        out.attempts.append(attempt)
        if on_attempt is not None:
            on_attempt(attempt)
        if not needs_retry(run.result):
            break
        current = next_request(current, run.result)
    return out
