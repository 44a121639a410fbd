"""The decode loop: evaluate the prompt, then for every token compute llguidance's mask, apply it to the
logits, sample, and feed the token back, stopping the moment the grammar is complete.

It is written against llama.cpp's low-level calls rather than ``Llama.create_completion`` so that
*every* token goes through the mask (llama-cpp-python's own ``response_format`` drops
``json_schema``, and its GBNF grammars ran 4-5x slower here). Runaway guards never leave the
grammar: a mild repeat penalty that spares JSON punctuation, a cap on digit runs applied only when
the grammar allows something else, soft nudges to close long strings and containers (``guards``),
and ``max_tokens`` ending with ``finish_reason: "length"``.
"""

from __future__ import annotations

import codecs
import ctypes
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import llama_cpp
import llguidance
import llguidance.numpy as llnp
import numpy as np

from local_engine.chat import FinishReason
from local_engine.echo import Echo, EchoBan
from local_engine.guards import Guards, JsonShape
from local_engine.logprobs import LogprobRequest, Scorer, TokenLogprob, TokenTrail
from local_engine.model import LoadedModel
from local_engine.steering import Plan, Steerer
from local_engine.stops import StopScanner

DEFAULT_REPEAT_PENALTY = 1.1
REPEAT_WINDOW = 64
MAX_DIGIT_RUN = 16
PROMPT_CHUNK = 128  # prompt tokens per eval call: between chunks a cancelled request is noticed
# Spared by the repeat penalty: JSON punctuation, and digits (values such as invoice numbers and dates
# repeat digits by nature; runs of digits have their own cap, MAX_DIGIT_RUN).
_STRUCTURAL = re.compile(rb'^[\s{}\[\]":,0-9.\-]+$')


class Cancelled(Exception):
    """The client went away; the generation was abandoned."""


class PromptTooLong(ValueError):
    def __init__(self, n_prompt: int, n_ctx: int) -> None:
        super().__init__(f"The prompt is {n_prompt} tokens long; the local model's context holds {n_ctx} "
                         "tokens including the answer. Shorten the messages.")


@dataclass
class Settings:
    max_tokens: int
    min_tokens: int = 0  # unconstrained text only: the end-of-generation tokens are masked until then
    temperature: float | None = None  # None or 0: greedy, which suits a small model doing extraction
    top_p: float | None = None
    top_k: int | None = None
    seed: int | None = None
    repeat_penalty: float = DEFAULT_REPEAT_PENALTY
    presence_penalty: float = 0.0
    stop: list[str] = field(default_factory=list)
    trim: bool = False  # drop leading/trailing whitespace (unconstrained text)
    plan: Plan | None = None  # what to steer towards: the input's spans and numbers, named keys (steering)
    echo: Echo | None = None  # the worked example's words the request does not hold: never written (echo)
    logprobs: LogprobRequest | None = None  # token log probabilities asked for (off by default: costs time)


@dataclass
class Stats:
    """What one generation did, for the response, the log line and the benchmark."""

    prompt_tokens: int = 0
    reused_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: FinishReason = "stop"
    prompt_seconds: float = 0.0
    first_token_seconds: float | None = None
    decode_seconds: float = 0.0
    mask_seconds: float = 0.0  # llguidance's mask plus applying it to the logits
    llguidance_seconds: float = 0.0  # llguidance's mask computation alone
    masked_tokens: int = 0
    hit_stop: bool = False  # ended on one of the request's stop strings (the text is cut there on purpose)
    logprob_seconds: float = 0.0  # computing log probabilities (only when asked for)
    tokens: list[TokenLogprob] | None = None  # one per token of the answer, when asked for

    @property
    def tokens_per_second(self) -> float:
        return self.completion_tokens / self.decode_seconds if self.decode_seconds > 0 else 0.0


OnText = Callable[[str], None]
OnTokens = Callable[[list[TokenLogprob]], None]  # the tokens of the text given to the next OnText call


class Decoder:
    """Runs generations on one loaded model, one at a time, reusing the KV cache of a shared prefix."""

    def __init__(self, model: LoadedModel) -> None:
        self.model = model
        self.llm = model.llm
        self.vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self._lock = threading.Lock()
        self._bitmask = llnp.allocate_token_bitmask(1, model.n_vocab)
        buf = (ctypes.c_char * 256)()
        pieces = [self._piece(t, buf) for t in range(model.n_vocab)]
        self._pieces = pieces
        self._spared = np.array([bool(p) and _STRUCTURAL.match(p) is not None for p in pieces])
        self._digit_start = np.array([p[:1].isdigit() for p in pieces])
        # Tokens llguidance's table marks as special: control tokens, and user-defined ones shaped like a
        # tag ("<b>", "<table>": Gemma has many). Under a grammar they can only be wrong, yet its mask can
        # let a user-defined one through and then refuse it; the end-of-generation tokens stay allowed.
        self._special_like = np.array([self._looks_special(t, p) for t, p in enumerate(pieces)])
        self._special_like[sorted(model.eog_ids)] = False
        self._eog = np.array(sorted(model.eog_ids), dtype=np.int64)
        # Every other token by its bytes, to spell forced text such as "<b>" without the tag token.
        self._by_piece: dict[bytes, int] = {}
        for t, p in enumerate(pieces):
            if p and not self._special_like[t]:
                self._by_piece.setdefault(p, t)
        self._longest_piece = max(map(len, self._by_piece), default=1)
        self._guards = Guards(pieces)
        self.echo = EchoBan(pieces)
        self._steerer = Steerer(pieces)
        self._cached: list[int] = []
        self._allowed: np.ndarray | None = None  # the last mask applied (read for log probabilities)
        self._described: dict[int, tuple[str, bytes | None]] = {}

    def _looks_special(self, token: int, piece: bytes) -> bool:
        """The rule ``llguidance.llamacpp.lltokenizer_from_vocab`` uses to prefix a token with 0xFF."""
        attr = llama_cpp.llama_token_get_attr(self.vocab, token)
        return bool(attr & llama_cpp.LLAMA_TOKEN_ATTR_CONTROL) or bool(
            attr & llama_cpp.LLAMA_TOKEN_ATTR_USER_DEFINED and piece.startswith(b"<") and piece.endswith(b">"))

    def _piece(self, token: int, buf: ctypes.Array[ctypes.c_char]) -> bytes:
        """The bytes a token stands for; control tokens (``<eos>`` ...) stand for none."""
        n = llama_cpp.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, False)
        if n < 0:
            big = (ctypes.c_char * -n)()
            n = llama_cpp.llama_token_to_piece(self.vocab, token, big, -n, 0, False)
            return bytes(big[:n])
        return bytes(buf[:n])

    def describe(self, token: int) -> tuple[str, bytes | None]:
        """A token's text and bytes for a client; a control token (``<end_of_turn>``) has its name and no bytes."""
        known = self._described.get(token)
        if known is None:
            piece = self._pieces[token]
            if piece:
                known = (piece.decode("utf-8", errors="replace"), piece)
            else:
                buf = (ctypes.c_char * 64)()
                n = llama_cpp.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, True)
                known = (bytes(buf[:max(n, 0)]).decode("utf-8", errors="replace"), None)
            self._described[token] = known
        return known

    def tokenize(self, text: str) -> list[int]:
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=True, special=False))

    @property
    def n_ctx(self) -> int:
        return int(self.llm.n_ctx())

    def generate(self, prompt: list[int], matcher: llguidance.LLMatcher | None, settings: Settings, *,
                 on_text: OnText | None = None, cancel: threading.Event | None = None,
                 on_tokens: OnTokens | None = None) -> tuple[str, Stats]:
        """The answer text and its stats. Raises ``Cancelled`` when ``cancel`` is set midway."""
        with self._lock:
            return self._generate(prompt, matcher, settings, on_text, cancel, on_tokens)

    def _generate(self, prompt: list[int], matcher: llguidance.LLMatcher | None, settings: Settings,
                  on_text: OnText | None, cancel: threading.Event | None,
                  on_tokens: OnTokens | None = None) -> tuple[str, Stats]:
        stats = Stats(prompt_tokens=len(prompt))
        room = self.n_ctx - len(prompt)
        if room < 2:
            raise PromptTooLong(len(prompt), self.n_ctx)
        max_tokens = min(settings.max_tokens, room - 1)
        # What the grammar forces before anything is sampled (e.g. '{"name": ') is evaluated with the prompt.
        forced = self._forced(matcher, max_tokens)
        scorer = Scorer(settings.logprobs, self.describe) if settings.logprobs is not None else None
        trail = TokenTrail(trim=settings.trim) if scorer is not None else None
        started = time.perf_counter()
        if scorer is not None and forced:
            # The model's view of the forced opening ('{' where it would have opened a ``` fence) costs
            # nothing: the prompt's last logits. The rest of a forced run is written without asking it.
            self._eval_prompt(prompt, stats, cancel)
            opening = self._logits()
            self.llm.eval(forced)
            self._cached.extend(forced)
            forced_entries = [scorer.forced(forced[0], opening), *(scorer.forced(t, None) for t in forced[1:])]
        else:
            self._eval_prompt(prompt + forced, stats, cancel)
            forced_entries = []
        stats.prompt_seconds = time.perf_counter() - started

        rng = np.random.default_rng(settings.seed)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        scanner = StopScanner(settings.stop, trim=settings.trim)
        out: list[str] = []
        written = [""]  # the answer's text so far (before stop strings are cut), for the echo ban
        generated: list[int] = []
        shape = JsonShape() if matcher is not None else None
        decode_started = time.perf_counter()

        def emit(text: str) -> None:
            """Give out text; with log probabilities, up to a token boundary, with its tokens."""
            if trail is None:
                if on_text is not None and text:
                    on_text(text)
                return
            shown, tokens = trail.release("".join(out), final=not text)
            if on_tokens is not None and tokens:
                on_tokens(tokens)
            if on_text is not None and shown:
                on_text(shown)

        def take(tokens: list[int], entries: list[TokenLogprob] | None = None) -> bool:
            """Record and emit ``tokens`` (with their log probabilities); True when the answer is complete."""
            for i, token in enumerate(tokens):
                generated.append(token)
                piece = decoder.decode(self._pieces[token])
                written[0] = (written[0] + piece)[-64:]
                if trail is not None and entries is not None:
                    trail.add(entries[i], piece)
                if shape is not None:
                    shape.feed_bytes(self._pieces[token])
                text = scanner.feed(piece)
                if text:
                    if stats.first_token_seconds is None:
                        stats.first_token_seconds = time.perf_counter() - started
                    out.append(text)
                    emit(text)
                if scanner.hit:
                    return True
            return matcher is not None and matcher.is_stopped()

        finish: FinishReason = "stop" if take(forced, forced_entries) else "length"
        while finish == "length" and len(generated) < max_tokens:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self.llm.ctx, -1),
                                           shape=(self.model.n_vocab,)).copy()
            raw = logits.copy() if scorer is not None and matcher is not None else None
            if matcher is not None:
                t0 = time.perf_counter()
                stats.llguidance_seconds += self._apply_mask(matcher, logits, generated)
                stats.mask_seconds += time.perf_counter() - t0
                stats.masked_tokens += 1
            if shape is not None:
                self._guards.apply(shape, logits)
                self._steerer.apply(shape, logits, settings.plan)
            self.echo.apply(logits, settings.echo, written[0])
            if matcher is None and len(generated) < settings.min_tokens:
                logits[self._eog] = -np.inf
            self._penalize(logits, generated, settings)
            token = self._choose(logits, settings, rng)
            if token in self.model.eog_ids:
                finish = "stop"
                break
            if matcher is not None and not matcher.consume_token(token):
                raise RuntimeError(f"llguidance refused a token its own mask allowed: {matcher.get_error()}")
            # Tokens the grammar now forces (a key, '": ') go into the same llama.cpp batch: one decode
            # call for several tokens is what lets constrained decoding keep up with unconstrained.
            batch = [token, *self._forced(matcher, max_tokens - len(generated) - 1)]
            entries: list[TokenLogprob] | None = None
            if scorer is not None:
                # Forced tokens are not asked about: the model's row for each would cost its output layer
                # (most of a token's decoding for this model) once more.
                t0 = time.perf_counter()
                entries = [scorer.sampled(token, logits, raw, self._allowed if matcher is not None else None),
                           *(scorer.forced(t, None) for t in batch[1:])]
                stats.logprob_seconds += time.perf_counter() - t0
            if take(batch, entries):
                finish = "stop"
                break
            if len(generated) < max_tokens:
                self.llm.eval(batch)
                self._cached.extend(batch)
        if not scanner.hit:
            rest = decoder.decode(b"", final=True)
            if trail is not None:
                trail.extend_last(rest)
            tail = scanner.feed(rest) + scanner.flush()
            if tail:
                out.append(tail)
                if trail is None:
                    emit(tail)
        if trail is not None:
            emit("")  # the rest of the content, with every token not given out yet
            stats.tokens = trail.given
        stats.completion_tokens = len(generated)
        stats.finish_reason = finish
        stats.hit_stop = scanner.hit
        stats.decode_seconds = time.perf_counter() - decode_started
        return "".join(out), stats

    @staticmethod
    def _forced(matcher: llguidance.LLMatcher | None, limit: int) -> list[int]:
        """Tokens the grammar allows no alternative to, consumed by the matcher (at most ``limit``)."""
        if matcher is None or limit <= 0 or matcher.is_stopped():
            return []
        forced = list(matcher.compute_ff_tokens())[:limit]
        # llama.cpp tokenizes forced text such as "<b>" into a user-defined token that llguidance's table
        # marks as special (it looks like a control token), and the matcher then refuses it. Keep the
        # prefix it accepts; the masked sampling that follows writes the rest byte-wise.
        forced = forced[:matcher.validate_tokens(forced)] if forced else forced
        if forced and not matcher.consume_tokens(forced):
            raise RuntimeError(f"llguidance refused its own forced tokens: {matcher.get_error()}")
        return forced

    def _logits(self) -> np.ndarray:
        """A copy of the logits after the last evaluated token."""
        return np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self.llm.ctx, -1),
                                     shape=(self.model.n_vocab,)).copy()

    def _eval_prompt(self, prompt: list[int], stats: Stats, cancel: threading.Event | None) -> None:
        """Evaluate what the KV cache does not already hold (at least the last token, for fresh logits)."""
        common = 0
        for a, b in zip(self._cached, prompt, strict=False):
            if a != b:
                break
            common += 1
        common = min(common, len(prompt) - 1)
        if common > 0 and self.llm._ctx.kv_cache_seq_rm(-1, common, -1):
            self.llm.n_tokens = common
        else:
            common = 0
            self.llm.reset()
        self._cached = prompt[:common]
        stats.reused_tokens = common
        for i in range(common, len(prompt), PROMPT_CHUNK):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            chunk = prompt[i:i + PROMPT_CHUNK]
            self.llm.eval(chunk)
            self._cached.extend(chunk)

    def _apply_mask(self, matcher: llguidance.LLMatcher, logits: np.ndarray, generated: list[int]) -> float:
        """Mask ``logits`` in place; returns the seconds llguidance took to compute the mask."""
        t0 = time.perf_counter()
        llnp.fill_next_token_bitmask(matcher, self._bitmask)
        took = time.perf_counter() - t0
        allowed = np.unpackbits(self._bitmask[0].view(np.uint8), bitorder="little")[: logits.shape[0]].view(bool)
        plain = allowed & ~self._special_like
        if plain.any():
            allowed = plain
        else:  # when the grammar forces "<b>", llguidance's mask names only the tag token, which it refuses
            spelled = self._plain_spelling(matcher)
            if spelled is not None:
                allowed = np.zeros_like(allowed)
                allowed[spelled] = True
        if self._digit_run(generated) >= MAX_DIGIT_RUN:
            narrowed = allowed & ~self._digit_start
            if narrowed.any():
                allowed = narrowed
        logits[~allowed] = -np.inf
        self._allowed = allowed
        return took

    def _plain_spelling(self, matcher: llguidance.LLMatcher) -> int | None:
        """The longest ordinary token that starts the grammar's forced bytes and that the matcher accepts."""
        forced = bytes(matcher.compute_ff_bytes())
        for n in range(min(len(forced), self._longest_piece), 0, -1):
            token = self._by_piece.get(forced[:n])
            if token is not None and matcher.validate_tokens([token]) == 1:
                return token
        return None

    def _digit_run(self, generated: list[int]) -> int:
        run = 0
        for token in reversed(generated[-MAX_DIGIT_RUN:]):
            piece = self._pieces[token]
            if piece.isdigit():
                run += len(piece)
            else:
                break
        return run

    def _penalize(self, logits: np.ndarray, generated: list[int], settings: Settings) -> None:
        if not generated or (settings.repeat_penalty == 1.0 and not settings.presence_penalty):
            return
        recent = np.unique(np.array(generated[-REPEAT_WINDOW:], dtype=np.int64))
        recent = recent[~self._spared[recent]]
        if recent.size == 0:
            return
        values = logits[recent]
        p = settings.repeat_penalty
        if p != 1.0:
            values = np.where(values > 0, values / p, values * p)
        if settings.presence_penalty:
            values = values - settings.presence_penalty
        logits[recent] = values

    @staticmethod
    def _choose(logits: np.ndarray, settings: Settings, rng: np.random.Generator) -> int:
        if not settings.temperature:
            return int(np.argmax(logits))
        k = settings.top_k or 40
        k = min(k, logits.shape[0])
        idx = np.argpartition(logits, -k)[-k:]
        vals = logits[idx].astype(np.float64) / settings.temperature
        finite = np.isfinite(vals)
        if not finite.any():
            return int(np.argmax(logits))
        idx, vals = idx[finite], vals[finite]
        order = np.argsort(-vals)
        idx, vals = idx[order], vals[order]
        probs = np.exp(vals - vals[0])
        probs /= probs.sum()
        if settings.top_p is not None and settings.top_p < 1.0:
            keep = int(np.searchsorted(np.cumsum(probs), settings.top_p) + 1)
            idx, probs = idx[:keep], probs[:keep] / probs[:keep].sum()
        return int(rng.choice(idx, p=probs))
