"""Token log probabilities on the wire, the same object on both protocols: ``{"content": [{"token",
"logprob", "bytes", "top_logprobs"}]}`` as OpenAI defines it (``choices[0].logprobs`` on the
compatible route, ``output.choices[0].logprobs`` on the native one, as DashScope's SDKs read it).

Under a grammar each entry also carries ``grammar`` (``GRAMMAR_FIELD``), what only a constrained
decoder knows; the README describes it. Clients that do not know the field ignore it.
"""

from __future__ import annotations

from typing import Any

from local_engine.chat import ChatRequest
from local_engine.errors import bad_request
from local_engine.logprobs import MAX_TOP_LOGPROBS, MAX_TOP_LOGPROBS_NATIVE, Candidate, TokenLogprob
from local_engine.shapes.fields import get_bool, get_int

GRAMMAR_FIELD = "grammar"


def parse(params: dict[str, Any], prefix: str, *, native: bool) -> tuple[bool, int]:
    """``(logprobs, top_logprobs)`` from a body (compatible) or its ``parameters`` (native)."""
    logprobs = bool(get_bool(params, "logprobs", f"{prefix}logprobs"))
    hi = MAX_TOP_LOGPROBS_NATIVE if native else MAX_TOP_LOGPROBS
    top = get_int(params, "top_logprobs", f"{prefix}top_logprobs", lo=0, hi=hi)
    if top is not None and not logprobs:
        raise bad_request(f"`{prefix}top_logprobs` needs `{prefix}logprobs: true` (it says how many alternatives "
                          "to list for each token's log probability).", f"{prefix}top_logprobs")
    return logprobs, top or 0


def content(tokens: list[TokenLogprob]) -> dict[str, Any]:
    """The ``logprobs`` object of a choice (or of one stream chunk's choice)."""
    return {"content": [_entry(t) for t in tokens]}


def choice_logprobs(req: ChatRequest, tokens: list[TokenLogprob] | None) -> dict[str, Any] | None:
    return content(tokens or []) if req.logprobs else None


def _candidate(c: Candidate) -> dict[str, Any]:
    return {"token": c.token, "logprob": c.logprob, "bytes": c.bytes}


def _entry(t: TokenLogprob) -> dict[str, Any]:
    entry: dict[str, Any] = {"token": t.token, "logprob": t.logprob, "bytes": t.bytes,
                             "top_logprobs": [_candidate(c) for c in t.top]}
    m = t.mask
    if m is not None:
        entry[GRAMMAR_FIELD] = {
            "forced": m.forced,
            "allowed": m.allowed,
            "removed": m.removed,
            "model_logprob": m.model_logprob,
            "overrode": m.overrode,
            "steered": m.steered,
            "forbidden": [_candidate(c) for c in m.forbidden],
        }
    return entry
