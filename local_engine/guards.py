"""Soft guards against runaway JSON, applied as logit biases after the grammar's mask.

A grammar says what may come next, not when to stop: a small model inside an object that allows any
key, an array without ``maxItems`` or a string without ``maxLength`` can go on until ``max_tokens``.
These guards follow the JSON being written and, past generous thresholds, make closing the string
or the container more likely (and opening yet another level less likely). They only shift the
scores of tokens the mask already allows, so they can never produce output the grammar forbids.

In JSON Object mode the grammar allows any key, and a small model reading a receipt writes the
receipt's labels ("Invoice No.") instead of the keys the instruction asked for (``invoice_number``).
``steer_keys`` favours the tokens that spell the first asked key not yet used in the current object
(while the key written so far is a prefix of it), disfavours closing an object that holds some asked
keys but not all, and a nested container as the value of an asked key: nudges, not constraints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

STRING_SOFT_CHARS = 100  # beyond this many characters a string is nudged to close
ITEMS_SOFT = 8  # beyond this many items an object or array is nudged to close
ITEM_BIAS = 0.75  # per item beyond ITEMS_SOFT
DEPTH_SOFT = 4  # beyond this depth, opening another level is discouraged
MAX_BIAS = 12.0
KEY_BIAS = 6.0  # towards a key the instruction named, where a key starts; against leaving one out
KEY_BIAS_INSIDE = 10.0  # once a key has begun like a named one, towards finishing it as that one


@dataclass(frozen=True)
class KeyPlan:
    """The keys an instruction names, in its order. ``groups``: named keys that hold fields of their own
    ("the ticket information (including travel_date, trains, ...)"), as arrays of objects when
    ``lists``. Without groups every object is steered towards ``keys``; with them the top level gets
    the groups and the loose keys, and an object under a group gets that group's keys. ``many``: the
    lists hold as many objects as the input has ("every product with its name, ..."); otherwise one
    object is expected and the list is nudged to close after it."""

    keys: tuple[str, ...] = ()
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lists: bool = False
    many: bool = False

    @property
    def top(self) -> tuple[str, ...]:
        inner = {k for ks in self.groups.values() for k in ks}
        return tuple(k for k in self.keys if k not in inner)

    def for_object(self, owner: str | None, depth: int) -> tuple[str, ...]:
        """The keys to steer towards in an object ``depth`` levels down, held under the key ``owner``."""
        if not self.groups:
            return self.keys
        if depth == 1:
            return self.top
        return self.groups.get(owner or "", ())


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
    in_key: bool = False
    key_text: str = ""
    value_of: str | None = None  # after '"key":', until its value starts: that key
    # Per open container: the key it is the value of (items of an array inherit the array's key).
    owners: list[str | None] = field(default_factory=list)
    last: str = ""  # the last character outside strings that was not white space ('"' for a closed string)

    def feed(self, text: str) -> None:
        for ch in text:
            if self.in_string:
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
                    continue
                self.string_chars += 1
                if self.in_key:
                    self.key_text += ch
                continue
            if ch.isspace():
                continue
            self.last = ch
            if ch == ":":
                self.value_of = self.key_text if self.at_object else None
                continue
            pending, self.value_of = self.value_of, None
            if ch == '"':
                self.in_string, self.string_chars = True, 0
                self.in_key = self.at_key
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
            elif ch in "}]":
                if self.stack:
                    self.owners.pop()
                    if self.stack.pop()[0] == ord("{") and self.keys:
                        self.expect_key.pop()
                        self.keys.pop()
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
        self.open_object = tokens(lambda q: q[:1] == b"{")
        # '[' or '[{' (an array that holds objects), and '["', '[1' and the like (one that holds scalars)
        self.open_array = tokens(lambda q: q in (b"[", b"[{") or q.startswith(b'[{"'))
        self.open_scalar_array = tokens(lambda q: q[:1] == b"[" and q[1:2] not in (b"", b"{"))
        self.scalar_start = tokens(lambda q: q[:1] == b'"' or q[:1].isdigit() or q[:1] == b"-")
        self.comma = tokens(lambda q: q[:1] == b",")
        self.close_object = tokens(lambda q: q[:1] == b"}")
        # '}': closes this object only; '}]}' closes more; '},' or '}, {' goes on with another item;
        # '}],' or '}},' closes this object and what holds it, then goes on one level further out
        self.close_one = tokens(lambda q: q == b"}")
        self.close_more = tokens(lambda q: len(q) > 1 and all(c in b"}]" for c in q))
        self.close_and_continue = tokens(lambda q: q.startswith(b"},"))
        self.close_out_and_continue = tokens(lambda q: q[:1] == b"}" and b"," in q and not q.startswith(b"},"))
        self.close_array_only = tokens(lambda q: q == b"]")
        self.close_array_and_continue = tokens(lambda q: q.startswith(b"],"))
        self.close_array_and_object = tokens(lambda q: q.startswith(b"]}"))
        # the end of a string value and: of its object ('"}'), another key ('",'), another item ('"},')
        self.quote_close_object = tokens(lambda q: q.startswith(b'"}'))
        self.quote_comma = tokens(lambda q: q.startswith(b'",'))
        self.quote_close_continue = tokens(lambda q: q.startswith(b'"},'))
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
        self._by_piece: dict[bytes, list[int]] = {}
        for i, p in enumerate(pieces):
            if p:
                self._by_piece.setdefault(p, []).append(i)
        self._longest = max(map(len, self._by_piece), default=1)

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

    def steer_keys(self, shape: JsonShape, logits: np.ndarray, plan: KeyPlan | None) -> None:
        """Favour spelling the first named key not yet in this object, a plain value for a named key and
        a container for a group (see the module doc and ``KeyPlan``)."""
        if plan is None or not plan.keys:
            return
        if shape.value_of is not None:  # right after '"key":'
            if plan.groups and shape.depth == 1 and shape.value_of in plan.groups:
                logits[self.open_array if plan.lists else self.open_object] += KEY_BIAS
                logits[self.open_scalar_array] -= KEY_BIAS
            elif shape.value_of in plan.for_object(shape.owner, shape.depth):
                logits[self.open] -= KEY_BIAS  # a named field is a leaf: a nested object there runs away
            return
        if not shape.in_string and shape.stack and shape.stack[-1][0] == ord("[") and shape.owner in plan.groups:
            if shape.last == "}" and plan.many:  # as many objects as the input holds: the model decides when
                if _enclosing_done(shape, plan, 0):  # the list ends, but what holds the list gets no new keys
                    logits[self.close_array_and_continue] -= KEY_BIAS
                return
            if shape.last == "}":  # one object done: the source rarely holds more, and a small model repeats
                parent_used = shape.keys[-1] if shape.keys else set()
                if set(plan.for_object(None, shape.depth - 1)) <= parent_used:  # the object around it is done
                    logits[self.close_array_only] += KEY_BIAS
                    logits[self.close_array_and_object] += KEY_BIAS
                    logits[self.close_array_and_continue] -= KEY_BIAS
                else:
                    logits[self.close_array_only] += KEY_BIAS
                    logits[self.close_array_and_continue] += KEY_BIAS
                    logits[self.close_array_and_object] -= KEY_BIAS
            else:
                logits[self.open_object] += KEY_BIAS  # a group's array holds objects (the mask decides where)
                logits[self.scalar_start] -= KEY_BIAS
            return
        if not shape.at_object:
            return
        keys = plan.for_object(shape.owner, shape.depth)
        if not keys:
            return
        used = shape.keys[-1] if shape.keys else set()
        if not shape.at_key:
            # In or after a value: an object that holds named keys is not closed while others are missing,
            # and is closed once it holds them all and its last value is complete.
            if used & set(keys) and not set(keys) <= used:
                logits[self.quote_close_object if shape.in_string else self.close_object] -= KEY_BIAS
            elif set(keys) <= used:
                # an item of a list of many may be followed by another; any other object ends here
                item_of_many = plan.many and shape.depth > 1 and shape.stack[-2][0] == ord("[")
                if shape.in_string:
                    logits[self.quote_comma] -= KEY_BIAS
                    if not item_of_many:
                        logits[self.quote_close_continue] -= KEY_BIAS
                else:
                    logits[self.comma] -= KEY_BIAS  # after a number too: no key of its own after the named ones
                    if _enclosing_done(shape, plan, 1):
                        logits[self.close_out_and_continue] -= KEY_BIAS
                if not shape.in_string and shape.last in ('"', "}", "]"):
                    logits[self.close_one] += KEY_BIAS
                    if item_of_many:
                        logits[self.close_and_continue] += KEY_BIAS
                    else:
                        logits[self.close_and_continue] -= KEY_BIAS
                        if shape.depth > 1:
                            logits[self.close_more] -= KEY_BIAS  # what is around it decides for itself
            return
        if shape.in_string and not shape.in_key:
            return
        typed = shape.key_text if shape.in_string else ""
        key = next((k for k in keys if k not in used and k.startswith(typed)), None)
        if key is None:
            return
        if shape.in_string:
            rests = [f'{key[len(typed):]}"'.encode()]
            if typed != key:
                logits[self.quote] -= KEY_BIAS  # "employee" is not yet "employees"
        else:
            rests = [f'"{key}"'.encode(), f' "{key}"'.encode(), f'\n"{key}"'.encode()]
        boosted: set[int] = set()
        for rest in rests:
            for n in range(1, min(len(rest), self._longest) + 1):
                boosted.update(self._by_piece.get(rest[:n], ()))
        if boosted:
            logits[list(boosted)] += KEY_BIAS_INSIDE if shape.in_string else KEY_BIAS


def _enclosing_done(shape: JsonShape, plan: KeyPlan, up: int) -> bool:
    """Whether the object ``up`` objects out from the innermost object (0: the innermost) holds all of its
    named keys."""
    objects = [i for i, (kind, _items) in enumerate(shape.stack) if kind == ord("{")]
    if len(objects) <= up or len(shape.keys) != len(objects):
        return False
    at = objects[-1 - up]
    keys = plan.for_object(shape.owners[at], at + 1)
    return bool(keys) and set(keys) <= shape.keys[-1 - up]
