"""The prompt's worked example is for form only: its content never reaches an answer unless the request
itself holds it.

A base model this small copies whatever finished answer its prompt holds whenever the input gives it
nothing better to write ("hello", "x", an image with no text): the worked example's own answer,
``{"planet": "Saturn"}``, is a valid reply to every JSON request. Rewording the example only changes
what is copied, and dropping it costs the format it teaches ("only the asked fields, then stop"). So
the decoder keeps the example's give-away words (``prompting.JSON_EXAMPLE_TELLS`` and
``TEXT_EXAMPLE_TELLS``) out of the output: while it writes, a token that would
complete one of those words (in any letter case, across token boundaries, inside a key, a value or
plain text) is masked out, unless the request's own text (messages, OCR text, schema) contains the
word, in which case it may well be the right answer. Like the guards this only ever removes tokens
the grammar allows, and never all of them: if nothing else is left the word goes through.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from local_engine.chat import ChatRequest

MIN_PREFIX = 3  # a word begun like a banned one ("Sat") is cut there, unless the request has a word begun so
_WORD = re.compile(r"[^\W\d_]+")
_RUN = re.compile(r"[^\W\d_]*$")


@dataclass(frozen=True)
class Echo:
    """What one request's answer must not write: the example's ``words`` it does not hold, and the
    beginnings of them that a word of the request begins with too (``allowed``)."""

    words: tuple[str, ...] = ()
    allowed: frozenset[str] = frozenset()


def for_request(tells: tuple[str, ...], req: ChatRequest, *, cut_prefixes: bool = True) -> Echo:
    """The ``tells`` (the worked example's give-away words) the request does not hold. With ``cut_prefixes``
    a word begun like one of them is stopped too (JSON values, where a copy starts "Sat" once "Saturn" is
    banned); free text (plain mode) keeps every beginning, since "pla" or "aut" begin too many real words."""
    text = request_text(req)
    banned = unasked(tuple(t.lower() for t in tells), text)
    if cut_prefixes:
        return Echo(banned, open_prefixes(banned, text))
    return Echo(banned, frozenset(w[:k] for w in banned for k in range(MIN_PREFIX, len(w))))


def request_text(req: ChatRequest) -> str:
    """Everything the request itself says: message texts, images' OCR text, the schema."""
    chunks = [p.text or (p.image.ocr_text or "" if p.image else "") for m in req.messages for p in m.parts]
    if req.schema is not None:
        chunks.append(json.dumps(req.schema, ensure_ascii=False))
    return "\n".join(chunks)


def unasked(words: Iterable[str], text: str) -> tuple[str, ...]:
    """The ``words`` that ``text`` does not contain (case-insensitive): those the answer must not write."""
    said = text.lower()
    return tuple(w for w in words if w not in said)


def open_prefixes(words: Iterable[str], text: str) -> frozenset[str]:
    """The beginnings of ``words`` that begin a word of ``text`` too ("sat" when it says "Saturday"):
    those may be written, since the answer may be spelling the request's own word."""
    said = {w.lower() for w in _WORD.findall(text)}
    return frozenset(w[:k] for w in words for k in range(MIN_PREFIX, len(w) + 1)
                     if any(s.startswith(w[:k]) for s in said))


_NONE = np.array([], dtype=np.int64)


class EchoBan:
    """Token indexes over one vocabulary, to mask tokens that would complete a banned word."""

    def __init__(self, pieces: list[bytes]) -> None:
        lowered = [p.decode("utf-8", "ignore").lower() for p in pieces]
        self._lowered = lowered
        order = sorted(range(len(lowered)), key=lowered.__getitem__)
        self._sorted_ids = np.array(order, dtype=np.int64)
        self._sorted = [lowered[i] for i in order]
        self._containing_cache: dict[str, np.ndarray] = {}
        self._ending_cache: dict[str, np.ndarray] = {}
        exact: dict[str, list[int]] = {}
        for i, p in enumerate(lowered):
            exact.setdefault(p, []).append(i)
        self._exact = {p: np.array(ids, dtype=np.int64) for p, ids in exact.items()}

    def _starting(self, prefix: str) -> np.ndarray:
        """Tokens whose lower-cased text starts with ``prefix`` (a contiguous run of the sorted pieces)."""
        lo = bisect.bisect_left(self._sorted, prefix)
        hi = bisect.bisect_left(self._sorted, prefix + "\U0010ffff")
        return self._sorted_ids[lo:hi]

    def _containing(self, word: str) -> np.ndarray:
        """Tokens whose text holds all of ``word`` (cached: the example's words are few and always the same)."""
        ids = self._containing_cache.get(word)
        if ids is None:
            ids = np.flatnonzero([word in p for p in self._lowered])
            if len(self._containing_cache) < 256:
                self._containing_cache[word] = ids
        return ids

    def _ending_word(self, prefix: str) -> np.ndarray:
        """Tokens that end on a word that starts inside them and reads ``prefix`` (' Sat', '"sat')."""
        ids = self._ending_cache.get(prefix)
        if ids is None:
            ids = np.flatnonzero([p.endswith(prefix) and len(p) > len(prefix) and not p[-len(prefix) - 1].isalpha()
                                  for p in self._lowered])
            if len(self._ending_cache) < 1024:
                self._ending_cache[prefix] = ids
        return ids

    def banned(self, words: tuple[str, ...], tail: str, allowed: frozenset[str] = frozenset()) -> np.ndarray:
        """Tokens that, written after ``tail`` (the answer so far), would complete one of ``words``, or
        leave the answer ending on a word begun like one of them (3 letters or more) that no word of the
        request begins with (``allowed``, from ``open_prefixes``)."""
        tail = tail.lower()
        run = _RUN.search(tail).group(0)  # type: ignore[union-attr]  # the letters the tail ends on
        found: list[np.ndarray] = []
        for word in words:
            found.append(self._containing(word))
            for cut in range(1, len(word)):  # the word begun at the end of the tail, finished by the token
                if tail.endswith(word[:cut]):
                    found.append(self._starting(word[cut:]))
            for k in range(MIN_PREFIX, len(word)):
                prefix = word[:k]
                if prefix in allowed:
                    continue
                found.append(self._ending_word(prefix))
                if word.startswith(run) and len(run) < k:
                    found.append(self._exact.get(prefix[len(run):], _NONE))
        return np.unique(np.concatenate(found)) if found else _NONE

    def warm(self, words: Iterable[str]) -> None:
        """Build the indexes for ``words`` ahead of the first request (the worked examples' words)."""
        self.banned(tuple(words), "")

    def apply(self, logits: np.ndarray, echo: Echo | None, tail: str) -> None:
        """Mask the tokens ``banned`` returns, unless that would leave nothing allowed."""
        if echo is None or not echo.words:
            return
        ids = self.banned(echo.words, tail, echo.allowed)
        if ids.size == 0:
            return
        kept = logits[ids].copy()
        logits[ids] = -np.inf
        if not np.isfinite(logits).any():
            logits[ids] = kept
