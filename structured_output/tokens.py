"""The token view's data: the per-token log probabilities a server returned (``logprobs``), read from
the raw response or stream chunks of a run, whichever protocol, and what they add up to.

The standard fields (``token``, ``logprob``, ``top_logprobs``) come from any server that returns
them (DashScope, an OpenAI-compatible server). The local engine adds ``grammar`` to each token under
a grammar (see the README, "Token view"): whether the grammar forced it, how many tokens it allowed,
how much of the model's probability its mask removed and which of the model's own top choices it
forbade. Only a constrained decoder knows those; elsewhere the view says so instead of guessing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

GRAMMAR_FIELD = "grammar"  # the local engine's extension (local_engine/shapes/logprobs.py)
TOP_LOGPROBS = 5  # alternatives asked for per token: the most DashScope's native API takes (0 to 5)

Kind = Literal["forced", "chosen", "free", "unknown"]
KIND_LABELS: dict[str, str] = {
    "forced": "forced by the grammar",
    "chosen": "chosen among allowed tokens",
    "free": "unconstrained",
    "unknown": "no mask details",
}


@dataclass
class Alternative:
    token: str
    logprob: float
    forbidden: bool = False  # the grammar's mask took it away (the model's own probability is shown)

    @property
    def prob(self) -> float:
        return math.exp(self.logprob)


@dataclass
class Grammar:
    """What the local engine's decoder saw at one token (``None`` fields: the model was not asked)."""

    forced: bool
    allowed: int
    removed: float | None
    model_logprob: float | None
    overrode: bool | None
    steered: bool


@dataclass
class Token:
    text: str
    logprob: float
    alternatives: list[Alternative]
    forbidden: list[Alternative]
    grammar: Grammar | None
    kind: Kind

    @property
    def prob(self) -> float:
        return math.exp(self.logprob)

    @property
    def model_prob(self) -> float | None:
        if self.grammar is None or self.grammar.model_logprob is None:
            return None
        return math.exp(self.grammar.model_logprob)


@dataclass
class Summary:
    tokens: int
    forced: int
    chosen: int
    free: int
    overrode: int  # tokens where the model's own first choice was forbidden
    mean_removed: float | None  # over the tokens where the model was asked
    mean_prob: float | None


@dataclass
class TokenStrip:
    """The tokens of one answer; ``has_mask``: the server said what its grammar did (the local engine)."""

    tokens: list[Token] = field(default_factory=list)
    has_mask: bool = False

    @property
    def text(self) -> str:
        return "".join(t.text for t in self.tokens)

    def summary(self) -> Summary:
        removed = [t.grammar.removed for t in self.tokens if t.grammar is not None and t.grammar.removed is not None]
        return Summary(
            tokens=len(self.tokens),
            forced=sum(t.kind == "forced" for t in self.tokens),
            chosen=sum(t.kind == "chosen" for t in self.tokens),
            free=sum(t.kind == "free" for t in self.tokens),
            overrode=sum(bool(t.grammar and t.grammar.overrode) for t in self.tokens),
            mean_removed=sum(removed) / len(removed) if removed else None,
            mean_prob=sum(t.prob for t in self.tokens) / len(self.tokens) if self.tokens else None,
        )


def strip_of(raw: Any, mode: str) -> TokenStrip | None:
    """The tokens in a run's raw response (a body, or the list of stream chunks), or ``None`` when the
    server returned no logprobs. ``mode`` is what was sent: without a grammar a token is unconstrained."""
    chunks = raw if isinstance(raw, list) else [raw]
    entries: list[dict[str, Any]] = []
    found = False
    for chunk in chunks:
        content = _logprobs_content(chunk)
        if content is not None:
            found = True
            entries += [e for e in content if isinstance(e, dict)]
    if not found:
        return None
    tokens = [_token(e, mode) for e in entries]
    return TokenStrip(tokens, has_mask=any(t.grammar is not None for t in tokens))


def _logprobs_content(body: Any) -> list[Any] | None:
    """``choices[0].logprobs.content`` (compatible) or ``output.choices[0].logprobs.content`` (native)."""
    if not isinstance(body, dict):
        return None
    choices = body.get("choices")
    if not choices and isinstance(body.get("output"), dict):
        choices = body["output"].get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    logprobs = choices[0].get("logprobs")
    if not isinstance(logprobs, dict):
        return None
    content = logprobs.get("content")
    return content if isinstance(content, list) else None


def _number(value: Any, default: float | None = None) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _alternatives(items: Any, *, forbidden: bool = False) -> list[Alternative]:
    out: list[Alternative] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and _number(item.get("logprob")) is not None:
            out.append(Alternative(str(item.get("token", "")), float(item["logprob"]), forbidden))
    return out


def _token(entry: dict[str, Any], mode: str) -> Token:
    g = entry.get(GRAMMAR_FIELD)
    grammar: Grammar | None = None
    forbidden: list[Alternative] = []
    if isinstance(g, dict):
        grammar = Grammar(forced=bool(g.get("forced")), allowed=int(_number(g.get("allowed"), 0) or 0),
                          removed=_number(g.get("removed")), model_logprob=_number(g.get("model_logprob")),
                          overrode=g.get("overrode") if isinstance(g.get("overrode"), bool) else None,
                          steered=bool(g.get("steered")))
        forbidden = _alternatives(g.get("forbidden"), forbidden=True)
    if grammar is not None:
        kind: Kind = "forced" if grammar.forced else "chosen"
    else:
        kind = "free" if mode == "none" else "unknown"
    return Token(text=str(entry.get("token", "")), logprob=_number(entry.get("logprob"), -math.inf) or 0.0,
                 alternatives=_alternatives(entry.get("top_logprobs")), forbidden=forbidden, grammar=grammar,
                 kind=kind)
