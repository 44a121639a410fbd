"""Soft guards against runaway JSON, applied as logit biases after the grammar's mask.

A grammar says what may come next, not when to stop: a small model inside an object that allows any
key, an array without ``maxItems`` or a string without ``maxLength`` can go on until ``max_tokens``.
These guards follow the JSON being written and, past generous thresholds, make closing the string
or the container more likely (and opening yet another level less likely). They only shift the
scores of tokens the mask already allows, so they can never produce output the grammar forbids.

Steering towards what the input holds, and towards the keys an instruction names, is ``steering``.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

STRING_SOFT_CHARS = 100  # beyond this many characters a string is nudged to close
ITEMS_SOFT = 8  # beyond this many items an object or array is nudged to close
ITEM_BIAS = 0.75  # per item beyond ITEMS_SOFT
DEPTH_SOFT = 4  # beyond this depth, opening another level is discouraged
MAX_BIAS = 12.0


@dataclass
class JsonShape:
    """Where the generated JSON text is: container stack with item counts, inside a string or not,
    and, for objects, whether a key or a value comes next."""

    stack: list[list[int]] = field(default_factory=list)  # [opening char, items so far]
    in_string: bool = False
    escaped: bool = False
    string_chars: int = 0
    # Per open object: whether its next string is a key, and the keys it holds so far.
    expect_key: list[bool] = field(default_factory=list)
    keys: list[set[str]] = field(default_factory=list)
    values: list[set[str]] = field(default_factory=list)  # per open object: the string values it holds so far
    in_key: bool = False
    key_text: str = ""
    value_of: str | None = None  # after '"key":', until its value starts: that key
    # Per open container: the key it is the value of (items of an array inherit the array's key).
    owners: list[str | None] = field(default_factory=list)
    last: str = ""  # the last character outside strings that was not white space ('"' for a closed string)
    string_text: str = ""  # the current string as written so far (escapes as written)
    number_text: str = ""  # the number being written, if any
    pending: bytes = b""  # the bytes of a character not yet complete (a token may end inside one)
    string_key: str | None = None  # the key whose value the current string is (None: a key, or an item)
    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace"))

    def feed_bytes(self, data: bytes) -> None:
        """Feed a token's bytes: the characters they complete, and keep the rest as ``pending``."""
        self.feed(self._decoder.decode(data))
        self.pending = self._decoder.getstate()[0]

    def feed(self, text: str) -> None:
        for ch in text:
            if self.in_string:
                if ch != '"' or self.escaped:
                    self.string_text += ch
                if self.escaped:
                    self.escaped = False
                elif ch == "\\":
                    self.escaped = True
                elif ch == '"':
                    self.in_string = False
                    self.last = '"'
                    if self.in_key:
                        self.in_key = False
                        self.expect_key[-1] = False
                        self.keys[-1].add(self.key_text)
                    elif self.at_object and self.values:
                        self.values[-1].add(self.string_text)
                    continue
                self.string_chars += 1
                if self.in_key:
                    self.key_text += ch
                continue
            if ch.isspace():
                self.number_text = ""
                continue
            if ch.isdigit() or ch in "-+.eE":
                self.number_text += ch
            else:
                self.number_text = ""
            self.last = ch
            if ch == ":":
                self.value_of = self.key_text if self.at_object else None
                continue
            pending, self.value_of = self.value_of, None
            if ch == '"':
                self.in_string, self.string_chars, self.string_text = True, 0, ""
                self.in_key = self.at_key
                self.string_key = None if self.in_key else pending
                if self.in_key:
                    self.key_text = ""
                self._touch()
            elif ch in "{[":
                self._touch()
                inherited = self.owners[-1] if self.stack and self.stack[-1][0] == ord("[") else None
                self.owners.append(pending if pending is not None else inherited)
                self.stack.append([ord(ch), 0])
                if ch == "{":
                    self.expect_key.append(True)
                    self.keys.append(set())
                    self.values.append(set())
            elif ch in "}]":
                if self.stack:
                    self.owners.pop()
                    if self.stack.pop()[0] == ord("{") and self.keys:
                        self.expect_key.pop()
                        self.keys.pop()
                        self.values.pop()
            elif ch == ",":
                if self.stack:
                    self.stack[-1][1] += 1
                    if self.at_object:
                        self.expect_key[-1] = True
            else:
                self._touch()

    @property
    def owner(self) -> str | None:
        """The key whose value the innermost container is."""
        return self.owners[-1] if self.owners else None

    @property
    def at_object(self) -> bool:
        return bool(self.stack) and self.stack[-1][0] == ord("{") and bool(self.expect_key)

    @property
    def at_key(self) -> bool:
        """The next string (or the one being written) is a key of the innermost object."""
        return self.at_object and self.expect_key[-1]

    def _touch(self) -> None:
        """Something started inside the current container: it has at least one item."""
        if self.stack and self.stack[-1][1] == 0:
            self.stack[-1][1] = 1

    @property
    def depth(self) -> int:
        return len(self.stack)

    @property
    def items(self) -> int:
        return self.stack[-1][1] if self.stack else 0


class Guards:
    """Token classes (precomputed once per vocabulary) and the biases they get."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.quote = np.flatnonzero([p[:1] == b'"' for p in pieces])
        # The other classes look at a token's JSON punctuation only: white space inside it does not count.
        squeezed = [bytes(c for c in p if c not in b" \n\t\r") for p in pieces]

        def tokens(test: Callable[[bytes], bool]) -> np.ndarray:
            return np.flatnonzero([test(q) for q in squeezed])

        self.open = tokens(lambda q: q[:1] in (b"{", b"["))
        # Tokens that only close: '}', ']}', and, ending a string at the same time, '"]' or '"}'. Grouped
        # by (ends a string, how many containers they close), since '},' or '}, {' continue a list
        # instead and must not be favoured when the list is the long thing.
        groups: dict[tuple[bool, int], list[int]] = {}
        for i, p in enumerate(pieces):
            quoted = p[:1] == b'"'
            body = bytes(c for c in (p[1:] if quoted else p) if c not in b" \n\t\r")
            if body and all(c in b"}]" for c in body):
                groups.setdefault((quoted, len(body)), []).append(i)
        self.closers = {key: np.array(ids) for key, ids in groups.items()}

    def apply(self, shape: JsonShape, logits: np.ndarray) -> None:
        if shape.in_string:
            over = shape.string_chars - STRING_SOFT_CHARS
            if over > 0:
                logits[self.quote] += min(MAX_BIAS, 0.05 * over)
        elif shape.depth - DEPTH_SOFT > 0:
            logits[self.open] -= min(MAX_BIAS, 1.0 * (shape.depth - DEPTH_SOFT))
        if not shape.stack:
            return
        per_level = [min(MAX_BIAS, ITEM_BIAS * (items - ITEMS_SOFT)) for _kind, items in reversed(shape.stack)]
        if max(per_level) <= 0:
            return
        for (quoted, closes), ids in self.closers.items():
            if quoted != shape.in_string:
                continue
            bias = max(per_level[:closes])
            if bias > 0:
                logits[ids] += bias
