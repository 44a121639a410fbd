"""Token log probabilities, and what only a constrained decoder knows about each token: computed from
the logits the decode loop already holds, only when a request asks (``logprobs: true``).

Two distributions are in play at every step. The *model's own* comes from its raw logits. The one a
token was *chosen from* is the model's after the engine's processing: llguidance's mask (forbidden
tokens at -inf), the soft guards and key steering (``guards``), the repeat penalty. The standard
OpenAI fields (``logprob``, ``top_logprobs``) describe the second, at temperature 1 whatever the
request's sampling settings (as OpenAI's do); ``MaskInfo`` compares the two: how much of the model's
probability the mask removed and which of its favourite tokens it forbade (the ```` ``` ```` of a
Markdown fence, a "Sure" before the JSON).

``TokenTrail`` lines the tokens up with the text the client sees: the stop scanner trims white space
and cuts at stop strings, so each token's text is clipped to the content, and joined they are the
content. Streaming releases text only at token boundaries, so each delta carries its own tokens.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

MAX_TOP_LOGPROBS = 20  # OpenAI's bound on the compatible route
MAX_TOP_LOGPROBS_NATIVE = 5  # DashScope's documented range on the native API: [0, 5]
FORBIDDEN_SHOWN = 5  # the model's own top choices checked against the mask (at least; top_logprobs if more)
SMALL_ALLOWED = 4096  # below this many allowed tokens, work on their indices instead of the whole vocabulary


@dataclass
class Candidate:
    """A token with a log probability: an alternative in ``top_logprobs`` or a forbidden choice."""

    token: str
    bytes: list[int] | None
    logprob: float


@dataclass
class MaskInfo:
    """What the grammar did at one step (JSON modes only).

    ``forced``: the grammar allowed one continuation only (llguidance's forced tokens, written without
    asking the model; ``allowed`` is then 1). ``removed``: the share of the model's own probability
    that fell on forbidden tokens. ``overrode``: the model's own first choice was forbidden.
    ``steered``: the engine's nudges (guards, key steering, repeat penalty) changed which allowed token
    ranked first. ``None`` where the model was not asked (a forced token evaluated in one batch with
    others, see ``Decoder``).
    """

    forced: bool
    allowed: int
    removed: float | None
    model_logprob: float | None
    overrode: bool | None
    steered: bool
    forbidden: list[Candidate] = field(default_factory=list)


@dataclass
class TokenLogprob:
    """One generated token as the client sees it: its text within the content, and its numbers."""

    token: str
    bytes: list[int] | None
    logprob: float
    top: list[Candidate]
    mask: MaskInfo | None = None  # None in plain mode (no grammar)


@dataclass(frozen=True)
class LogprobRequest:
    """What a request asked for: ``top`` alternatives per token (0 to 20)."""

    top: int = 0


Describe = Callable[[int], tuple[str, bytes | None]]  # token id -> (text, bytes; None for a control token)


class Scorer:
    """Turns the logits of one step into a ``TokenLogprob`` (its text is filled in by ``TokenTrail``).

    Cheap by construction (it runs on every token when asked for): one ``exp`` over the vocabulary per
    step, into a reused buffer; the distribution the token was chosen from is the model's own, corrected
    at the few tokens the engine changed (the mask's forbidden ones, the nudged ones); top choices come
    from the tokens near the maximum, with a full partition only when too few are near it.
    """

    def __init__(self, request: LogprobRequest, describe: Describe) -> None:
        self.top = request.top
        self.describe = describe
        self._buf: np.ndarray | None = None

    def _candidate(self, token: int, logprob: float) -> Candidate:
        text, raw = self.describe(token)
        return Candidate(text, list(raw) if raw is not None else None, float(logprob))

    def _exp(self, x: np.ndarray, shift: float) -> np.ndarray:
        """``exp(x - shift)`` into the reused buffer."""
        if self._buf is None or self._buf.shape != x.shape:
            self._buf = np.empty_like(x, dtype=np.float32)
        np.subtract(x, shift, out=self._buf)
        return np.exp(self._buf, out=self._buf)

    def sampled(self, token: int, final: np.ndarray, raw: np.ndarray | None = None,
                allowed: np.ndarray | None = None) -> TokenLogprob:
        """A token chosen from ``final`` (processed logits). With a grammar, ``raw`` are the model's own
        logits and ``allowed`` the mask that was applied."""
        if allowed is None or raw is None:  # no grammar: the processed logits are all there is
            m = float(final.max())
            lse = m + math.log(float(self._exp(final, m).sum()))
            top = _top(final, self.top, m)
            return self._entry(token, float(final[token]) - lse, [(int(t), float(final[t]) - lse) for t in top])
        m = float(raw.max())
        e = self._exp(raw, m)
        z = float(e.sum())
        raw_lse = m + math.log(z)
        n_allowed = int(np.count_nonzero(allowed))
        want = max(FORBIDDEN_SHOWN, self.top)
        near = _near(raw, m, want)  # the model's likeliest tokens, a superset of its top ``want``
        own = _top(raw, want, m, near)
        if n_allowed <= SMALL_ALLOWED:  # inside JSON's structure: work on the allowed tokens themselves
            idx = np.flatnonzero(allowed)
            sub = final[idx]
            lse = _logsumexp(sub)
            removed_mass = 1.0 - float(e[idx].sum()) / z
            top = idx[_top(sub, self.top)]
            steered = int(idx[int(np.argmax(raw[idx]))]) != int(idx[int(np.argmax(sub))])
        else:  # inside a string: almost everything allowed; correct the model's own sum where tokens changed
            changed = np.flatnonzero(final != raw)  # the forbidden ones (-inf) and the nudged ones
            nudged = changed[allowed[changed]]
            removed_mass = float(e[changed[~allowed[changed]]].sum()) / z
            kept = z * (1.0 - removed_mass)
            if nudged.size:
                kept += float(np.exp(final[nudged].astype(np.float64) - m).sum() - e[nudged].astype(np.float64).sum())
            lse = m + math.log(kept) if kept > 0 else _logsumexp(final)
            top = _top_processed(final, raw, near, allowed, nudged, self.top)
            first = _top_processed(raw, raw, near, allowed, nudged[:0], 1)
            steered = bool(first.size) and int(first[0]) != int(np.argmax(final))
        mask = MaskInfo(
            forced=n_allowed == 1,
            allowed=n_allowed,
            removed=min(1.0, max(0.0, removed_mass)),
            model_logprob=float(raw[token]) - raw_lse,
            overrode=bool(own.size) and not bool(allowed[own[0]]),
            steered=steered,
            forbidden=[self._candidate(int(t), float(raw[t]) - raw_lse) for t in own if not allowed[t]],
        )
        return self._entry(token, float(final[token]) - lse, [(int(t), float(final[t]) - lse) for t in top], mask)

    def forced(self, token: int, raw: np.ndarray | None) -> TokenLogprob:
        """A token the grammar wrote without a choice: probability 1 under the grammar. With ``raw`` (the
        model's logits at that position), what the model itself would have written there."""
        if raw is None:
            mask = MaskInfo(forced=True, allowed=1, removed=None, model_logprob=None, overrode=None, steered=False)
            return self._entry(token, 0.0, [(token, 0.0)] if self.top else [], mask)
        m = float(raw.max())
        raw_lse = m + math.log(float(self._exp(raw, m).sum()))
        own = _top(raw, max(FORBIDDEN_SHOWN, self.top), m)
        model_logprob = float(raw[token]) - raw_lse
        mask = MaskInfo(
            forced=True,
            allowed=1,
            removed=max(0.0, 1.0 - math.exp(model_logprob)),
            model_logprob=model_logprob,
            overrode=bool(own.size) and int(own[0]) != token,
            steered=False,
            forbidden=[self._candidate(int(t), float(raw[t]) - raw_lse) for t in own if int(t) != token],
        )
        return self._entry(token, 0.0, [(token, 0.0)] if self.top else [], mask)

    def _entry(self, token: int, logprob: float, top: list[tuple[int, float]],
               mask: MaskInfo | None = None) -> TokenLogprob:
        text, raw = self.describe(token)
        return TokenLogprob(text, list(raw) if raw is not None else None, logprob,
                            [self._candidate(t, lp) for t, lp in top if math.isfinite(lp)], mask)


NEAR = (8.0, 16.0)  # nats below the maximum searched for the top choices, the narrow band first


def _logsumexp(x: np.ndarray) -> float:
    m = float(x.max())
    if not math.isfinite(m):
        return m
    return m + math.log(float(np.exp(x - m).sum()))


def _near(x: np.ndarray, m: float, n: int) -> np.ndarray | None:
    """Indices of the values within a band below the maximum ``m`` holding at least ``n`` of them (the
    narrowest such band), or None when even the widest holds fewer."""
    for band in NEAR:
        idx = np.flatnonzero(x >= m - band)
        if idx.size >= n:
            return idx
    return None


def _top(x: np.ndarray, n: int, m: float | None = None, near: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``n`` largest values, largest first: exact, from the near-maximum ones when they
    are enough (``near``, or found here), else from a partition of everything."""
    n = min(n, x.shape[0])
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    if near is None or near.size < n:
        near = _near(x, float(x.max()) if m is None else m, n)
    idx = near if near is not None else np.argpartition(x, -n)[-n:]
    if idx.size > n:
        idx = idx[np.argpartition(x[idx], -n)[-n:]]
    return idx[np.argsort(-x[idx], kind="stable")]


def _top_processed(final: np.ndarray, raw: np.ndarray, near: np.ndarray | None, allowed: np.ndarray,
                   nudged: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` allowed tokens with the highest ``final`` values, found among the allowed ones of ``near``
    (the model's likeliest, a band below its maximum) and the nudged ones: a token not nudged has its raw
    value, so outside ``near`` it is below the band. A full pass if that is not enough."""
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    if near is None:
        return _top(final, n)
    cand = near[allowed[near]]
    if nudged.size:
        cand = np.union1d(cand, nudged)
    if cand.size < n:
        return _top(final, n)
    best = cand[np.argsort(-final[cand], kind="stable")[:n]]
    if float(final[best[-1]]) < float(raw[near].min()):  # a token outside the band might outrank it
        return _top(final, n)
    return best


@dataclass
class _Span:
    entry: TokenLogprob
    start: int  # offsets in the decoded text of all generated tokens (before trimming and stops)
    end: int


class TokenTrail:
    """Generated tokens with their place in the decoded text, lined up with the text the client sees.

    The stop scanner's output is a contiguous slice of the decoded text: it starts after the leading
    white space it trims (``trim``) and ends where a stop string or trailing white space begins. Each
    token's text is its part of that slice (a token holding half of a UTF-8 character has none; the
    next one completes it), so the tokens join up to the content.
    """

    def __init__(self, *, trim: bool) -> None:
        self.trim = trim
        self._spans: list[_Span] = []
        self._decoded: list[str] = []
        self._length = 0
        self._lead: int | None = None  # characters trimmed before the content (known once it starts)
        self._released = 0  # content characters given out
        self._sent = 0  # spans given out
        self.given: list[TokenLogprob] = []  # the tokens of the content given out so far

    def add(self, entry: TokenLogprob, text: str) -> None:
        """A token and the characters the incremental UTF-8 decoder produced for it."""
        start = self._length
        self._length += len(text)
        self._decoded.append(text)
        self._spans.append(_Span(entry, start, self._length))

    def extend_last(self, text: str) -> None:
        """Characters the decoder gives out at the very end (an incomplete UTF-8 sequence)."""
        if self._spans and text:
            self._spans[-1].end += len(text)
            self._length += len(text)
            self._decoded.append(text)

    def release(self, content: str, *, final: bool = False) -> tuple[str, list[TokenLogprob]]:
        """Given the content the scanner has let out so far, the new text and the tokens it is made of:
        up to the last token boundary inside it, or all of it when ``final``."""
        if self._lead is None:
            if not content and not final:
                return "", []
            joined = "".join(self._decoded)
            self._lead = len(joined) - len(joined.lstrip()) if self.trim else 0
        lead = self._lead
        limit = lead + len(content)
        start = self._sent
        n = start
        while n < len(self._spans):
            s = self._spans[n]
            inside = s.end > s.start or s.start < limit  # a token with no text of its own waits for the next
            if not final and not (s.end <= limit and inside):
                break
            n += 1
        self._sent = n
        cut = limit if final else max(lead + self._released, self._spans[n - 1].end if n > start else 0)
        text = content[self._released:cut - lead]
        out: list[TokenLogprob] = []
        for s in self._spans[start:n]:
            a, b = max(s.start, lead), min(s.end, limit)
            if b < a or (b == a and not (s.start == s.end and lead <= s.start < limit)):
                continue  # trimmed away, or after the stop
            entry = s.entry
            entry.token = content[a - lead:b - lead]
            if (a, b) != (s.start, s.end):  # clipped by trimming or a stop string
                entry.bytes = list(entry.token.encode("utf-8"))
            out.append(entry)
        self.given += out
        self._released = max(self._released, cut - lead)
        return text, out
