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
  ``anyOf``, objects kept to their declared keys), each of which keeps every answer valid against the
  original schema; it is then compiled leniently: what llguidance cannot enforce (``uniqueItems``,
  ``not``, unknown formats, ...) is ignored and reported with its place (``enforcement``), and only a
  schema that cannot be compiled at all is refused.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any

import llguidance

from local_engine.enforcement import (
    ENFORCEMENT_PARAM,
    RESPONSE_FIELD,
    Enforcement,
    Unenforced,
    locate_failure,
    report,
)
from local_engine.errors import bad_request
from local_engine.finite import unending
from local_engine.schema_rewrites import (
    drop_redundant_not,
    one_of_as_any_of,
    require_dependencies,
    tighten,
)

JSON_OPTIONS: dict[str, Any] = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}
# lenient: keywords llguidance does not implement are ignored and reported as warnings (see enforcement.py)
COMPILE_OPTIONS: dict[str, Any] = {**JSON_OPTIONS, "lenient": True}
JSON_OBJECT_SCHEMA: dict[str, Any] = {"type": "object", "minProperties": 1}
_CACHE_SIZE = 128


class GrammarError(ValueError):
    """llguidance could not compile a schema; the message says why."""


class EndlessSchema(GrammarError):
    """The schema allows no JSON document that ends (``finite``): nothing to simplify, a recursion to fix."""


class Grammars:
    """Compiles and caches matchers for one tokenizer."""

    def __init__(self, tokenizer: llguidance.LLTokenizer) -> None:
        self.tokenizer = tokenizer
        self._cache: OrderedDict[str, tuple[llguidance.LLMatcher, list[str]]] = OrderedDict()
        self._lock = threading.Lock()
        self.last_compile_seconds = 0.0

    def json_object(self) -> llguidance.LLMatcher:
        return self._matcher(JSON_OBJECT_SCHEMA)[0]

    def json_schema(self, schema: dict[str, Any], where: str = "response_format.json_schema.schema",
                    enforcement: Enforcement = "lenient") -> tuple[llguidance.LLMatcher, list[str], list[Unenforced]]:
        """A fresh matcher for ``schema``, notes on any rewrite and what it does not enforce; a 400 when it
        cannot be compiled at all (naming the reason and the place), or, with ``enforcement="strict"``,
        when anything would go unenforced."""
        try:
            matcher, notes, unenforced = self.for_schema(schema)
        except EndlessSchema as e:
            raise bad_request(f"The JSON Schema cannot be answered: {e}.", where) from None
        except GrammarError as e:
            raise bad_request(f"The local engine cannot enforce this JSON Schema: {e}. Simplify the schema "
                              "(see the reference's supported types: string, number, integer, boolean, object, "
                              "array, enum).", where) from None
        if enforcement == "strict" and unenforced:
            places = "; ".join(f"{u.place()} ({u.reason})" for u in unenforced[:12])
            more = f"; and {len(unenforced) - 12} more" if len(unenforced) > 12 else ""
            raise bad_request(f"`{ENFORCEMENT_PARAM}` is \"strict\" and the local engine cannot enforce "
                              f"{len(unenforced)} keyword(s) of this JSON Schema while decoding: {places}{more}. "
                              f"Remove them, or leave `{ENFORCEMENT_PARAM}` out (\"lenient\", the default) to have "
                              f"everything else enforced and these listed in `{RESPONSE_FIELD}`.", where)
        return matcher, notes, unenforced

    def for_schema(self, schema: dict[str, Any]) -> tuple[llguidance.LLMatcher, list[str], list[Unenforced]]:
        """Compile ``schema`` through the rewrites, leniently; raises ``EndlessSchema`` for a schema no finite
        answer satisfies, ``GrammarError`` with llguidance's reason and the place it concerns."""
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
        tight = tighten(current)
        for candidate in [tight, current] if tight is not current else [current]:
            try:
                matcher, warnings = self._matcher(candidate)
            except GrammarError as e:
                error = e
                continue
            if candidate is tight and tight is not current:
                notes.append("objects without additionalProperties are limited to their declared properties")
            return matcher, notes, report(schema, candidate, warnings)
        assert error is not None
        path, keyword = locate_failure(schema, self._fails)
        place = f"{keyword} at {path or '/'}" if keyword else f"at {path or '/ (the root)'}"
        raise GrammarError(f"{error} ({place})")

    def _fails(self, schema: Any) -> bool:
        """Whether ``schema`` fails to compile (the search for the place of a compile error)."""
        try:
            grammar = llguidance.LLMatcher.grammar_from_json_schema(schema, overrides=COMPILE_OPTIONS)
            failed, _ = llguidance.LLMatcher.validate_grammar_with_warnings(grammar, self.tokenizer)
        except (ValueError, TypeError):
            return True
        return bool(failed)

    def compile(self, schema: dict[str, Any]) -> llguidance.LLMatcher:
        """Compile without the cache (the benchmark times this); raises ``GrammarError``."""
        started = time.perf_counter()
        try:
            grammar = llguidance.LLMatcher.grammar_from_json_schema(schema, overrides=COMPILE_OPTIONS)
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

    def _matcher(self, schema: dict[str, Any]) -> tuple[llguidance.LLMatcher, list[str]]:
        """A fresh matcher and llguidance's warnings (what lenient compilation ignored)."""
        key = json.dumps(schema, sort_keys=True, separators=(",", ":"))
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached[0].deep_copy(), cached[1]
        matcher = self.compile(schema)
        warnings = [w for w in matcher.get_grammar_warnings() if w]
        with self._lock:
            self._cache[key] = (matcher, warnings)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return matcher.deep_copy(), warnings

def _tidy(message: str) -> str:
    """llguidance errors can carry a long context trail; the first line names the problem."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if not lines:
        return "unknown error"
    # a regex error spells the pattern over several lines and ends with "error: <why>"
    why = next((line for line in lines[1:] if line.startswith("error:")), "")
    return (f"{lines[0]} {why.removeprefix('error:').strip()}" if why else lines[0])[:500]
