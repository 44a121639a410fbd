"""Soft guards against runaway JSON, applied as logit biases after the grammar's mask.

A grammar says what may come next, not when to stop: a small model inside an object that allows any
key, an array without ``maxItems`` or a string without ``maxLength`` can go on until ``max_tokens``.
These guards follow the JSON being written and, past generous thresholds, make closing the string
or the container more likely (and opening yet another level less likely). They only shift the
scores of tokens the mask already allows, so they can never produce output the grammar forbids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

STRING_SOFT_CHARS = 100  # beyond this many characters a string is nudged to close
ITEMS_SOFT = 8  # beyond this many items an object or array is nudged to close
ITEM_BIAS = 0.75  # per item beyond ITEMS_SOFT
DEPTH_SOFT = 4  # beyond this depth, opening another level is discouraged
MAX_BIAS = 12.0


@dataclass
class JsonShape:
    """Where the generated JSON text is: container stack with item counts, inside a string or not."""

    stack: list[list[int]] = field(default_factory=list)  # [opening char, items so far]
    in_string: bool = False
    escaped: bool = False
    string_chars: int = 0

    def feed(self, text: str) -> None:
        for ch in text:
            if self.in_string:
                if self.escaped:
                    self.escaped = False
                elif ch == "\\":
                    self.escaped = True
                elif ch == '"':
                    self.in_string = False
                    continue
                self.string_chars += 1
            elif ch == '"':
                self.in_string, self.string_chars = True, 0
                self._touch()
            elif ch in "{[":
                self._touch()
                self.stack.append([ord(ch), 0])
            elif ch in "}]":
                if self.stack:
                    self.stack.pop()
            elif ch == ",":
                if self.stack:
                    self.stack[-1][1] += 1
            elif not ch.isspace() and ch != ":":
                self._touch()

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
        self.open = np.flatnonzero([p[:1] in (b"{", b"[") for p in pieces])
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
