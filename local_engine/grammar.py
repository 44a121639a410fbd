"""JSON Schema and JSON Object mode as llguidance grammars.

Compiled matchers are cached per schema and deep-copied per request: compiling is cheap (a few ms)
but copying is cheaper, and a playground sends the same schema again and again.

Two choices keep a tiny model's output tidy without ever leaving the grammar:
- no free whitespace (``whitespace_flexible: False``) with ``", "`` and ``": "`` separators, the
  spacing of Python's ``json.dumps`` that the model has seen most; runs of spaces or newlines, a
  classic way for small models to never finish, cannot happen;
- JSON Object mode asks for at least one property: ``{}`` is valid JSON but never a useful answer,
  and a base model otherwise likes to close the object at once;
- in JSON Schema mode the schema first goes through ``schema_rewrites`` (exclusive ``oneOf`` as
  ``anyOf``, unknown formats dropped, objects kept to their declared keys), each of which keeps
  every answer valid against the original schema.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from typing import Any

import llguidance

from local_engine.errors import bad_request
from local_engine.finite import unending
from local_engine.schema_rewrites import (
    drop_format,
    drop_redundant_not,
    one_of_as_any_of,
    require_dependencies,
    tighten,
)

JSON_OPTIONS: dict[str, Any] = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}
JSON_OBJECT_SCHEMA: dict[str, Any] = {"type": "object", "minProperties": 1}
_CACHE_SIZE = 128
_UNKNOWN_FORMAT = re.compile(r"Unknown format: (\S+)")


class GrammarError(ValueError):
    """llguidance could not compile a schema; the message says why."""


class EndlessSchema(GrammarError):
    """The schema allows no JSON document that ends (``finite``): nothing to simplify, a recursion to fix."""


class Grammars:
    """Compiles and caches matchers for one tokenizer."""

    def __init__(self, tokenizer: llguidance.LLTokenizer) -> None:
        self.tokenizer = tokenizer
        self._cache: OrderedDict[str, llguidance.LLMatcher] = OrderedDict()
        self._lock = threading.Lock()
        self.last_compile_seconds = 0.0

    def json_object(self) -> llguidance.LLMatcher:
        return self._matcher(JSON_OBJECT_SCHEMA)

    def json_schema(self, schema: dict[str, Any], where: str = "response_format.json_schema.schema") \
            -> tuple[llguidance.LLMatcher, list[str]]:
        """A fresh matcher for ``schema`` and notes on any rewrite, or a 400 naming what llguidance
        cannot handle."""
        try:
            return self.for_schema(schema)
        except EndlessSchema as e:
            raise bad_request(f"The JSON Schema cannot be answered: {e}.", where) from None
        except GrammarError as e:
            raise bad_request(f"The local engine cannot enforce this JSON Schema: {e}. Simplify the schema "
                              "(see the reference's supported types: string, number, integer, boolean, object, "
                              "array, enum).", where) from None

    def for_schema(self, schema: dict[str, Any]) -> tuple[llguidance.LLMatcher, list[str]]:
        """Compile ``schema`` through the rewrites; raises ``GrammarError`` with llguidance's reason."""
        endless = unending(schema)
        if endless is not None:
            raise EndlessSchema(endless)
        notes: list[str] = []
        current, exclusive = one_of_as_any_of(schema)
        if exclusive:
            notes.append(f"{exclusive} oneOf with mutually exclusive branches enforced as anyOf")
        current, redundant = drop_redundant_not(current)
        if redundant:
            notes.append(f"{redundant} not that excluded nothing dropped")
        current, deps = require_dependencies(current)
        if deps:
            notes.append("dependencies enforced by requiring the dependent properties")
        error: GrammarError | None = None
        for _ in range(8):
            tight = tighten(current)
            candidates = [tight, current] if tight is not current else [current]
            for candidate in candidates:
                try:
                    matcher = self._matcher(candidate)
                except GrammarError as e:
                    error = e
                    continue
                if candidate is tight and tight is not current:
                    notes.append("objects without additionalProperties are limited to their declared properties")
                return matcher, notes
            m = _UNKNOWN_FORMAT.match(str(error))
            if m is None:
                break
            current = drop_format(current, m.group(1))
            notes.append(f"unknown format {m.group(1)!r} ignored (formats are annotations)")
        assert error is not None
        raise error

    def compile(self, schema: dict[str, Any]) -> llguidance.LLMatcher:
        """Compile without the cache (the benchmark times this); raises ``GrammarError``."""
        started = time.perf_counter()
        try:
            grammar = llguidance.LLMatcher.grammar_from_json_schema(schema, overrides=JSON_OPTIONS)
        except (ValueError, TypeError) as e:
            raise GrammarError(_tidy(str(e))) from None
        matcher = llguidance.LLMatcher(self.tokenizer, grammar, log_level=0)
        self.last_compile_seconds = time.perf_counter() - started
        if matcher.is_error():
            raise GrammarError(_tidy(matcher.get_error()))
        probe = matcher.deep_copy()  # some grammars fail only once asked for their first token
        probe.compute_bitmask()
        if probe.is_error():
            raise EndlessSchema("it allows no JSON value at all (llguidance finds nothing it could start with: "
                                f"{_tidy(probe.get_error())})")
        return matcher

    def _matcher(self, schema: dict[str, Any]) -> llguidance.LLMatcher:
        key = json.dumps(schema, sort_keys=True, separators=(",", ":"))
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached.deep_copy()
        matcher = self.compile(schema)
        with self._lock:
            self._cache[key] = matcher
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return matcher.deep_copy()


def _tidy(message: str) -> str:
    """llguidance errors can carry a long context trail; the first line names the problem."""
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    return first[:500]
