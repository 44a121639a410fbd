"""JSON Schema and JSON Object mode as llguidance grammars.

Compiled matchers are cached per schema and deep-copied per request: compiling is cheap (a few ms)
but copying is cheaper, and a playground sends the same schema again and again.

Two choices keep a tiny model's output tidy without ever leaving the grammar:
- no free whitespace (``whitespace_flexible: False``) with ``", "`` and ``": "`` separators, the
  spacing of Python's ``json.dumps`` that the model has seen most; runs of spaces or newlines, a
  classic way for small models to never finish, cannot happen;
- JSON Object mode asks for at least one property: ``{}`` is valid JSON but never a useful answer,
  and a base model otherwise likes to close the object at once;
- in JSON Schema mode an object that declares ``properties`` but says nothing about
  ``additionalProperties`` gets only its declared keys (``tighten``). The schema allows more, but a
  base model given the freedom invents keys until ``max_tokens``; every answer that follows the
  tightened schema still follows the original one. An explicit ``additionalProperties`` is obeyed.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any

import llguidance

from local_engine.errors import bad_request

JSON_OPTIONS: dict[str, Any] = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}
JSON_OBJECT_SCHEMA: dict[str, Any] = {"type": "object", "minProperties": 1}
_CACHE_SIZE = 128


class GrammarError(ValueError):
    """llguidance could not compile a schema; the message says why."""


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
            -> llguidance.LLMatcher:
        """A fresh matcher for ``schema``, or a 400 naming what llguidance cannot handle."""
        tight = tighten(schema)
        if tight is not schema:
            try:
                return self._matcher(tight)
            except GrammarError:
                pass  # the original schema decides what to report
        try:
            return self._matcher(schema)
        except GrammarError as e:
            raise bad_request(f"The local engine cannot enforce this JSON Schema: {e}. Simplify the schema "
                              "(see the reference's supported types: string, number, integer, boolean, object, "
                              "array, enum).", where) from None

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


_COMBINATORS = ("allOf", "anyOf", "oneOf", "not", "$ref", "if", "then", "else", "dependentSchemas",
                "dependencies", "unevaluatedProperties", "patternProperties", "propertyNames", "$dynamicRef")
_SUBSCHEMA_MAPS = ("properties", "$defs", "definitions")
_SUBSCHEMA_KEYS = ("items", "additionalItems", "contains")


def tighten(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with ``additionalProperties: false`` on plain objects that declare their properties.

    Conservative: nothing changes in a schema that uses ``allOf`` anywhere (branches would exclude
    each other's keys), nor on an object that combines schemas or requires an undeclared key.
    Returns ``schema`` itself when nothing changed.
    """
    if '"allOf"' in json.dumps(schema):
        return schema
    changed = False

    def walk(node: Any) -> Any:
        nonlocal changed
        if not isinstance(node, dict):
            return node
        out = dict(node)
        for key in _SUBSCHEMA_MAPS:
            if isinstance(out.get(key), dict):
                out[key] = {name: walk(sub) for name, sub in out[key].items()}
        for key in _SUBSCHEMA_KEYS:
            if isinstance(out.get(key), dict):
                out[key] = walk(out[key])
        if isinstance(out.get("prefixItems"), list):
            out["prefixItems"] = [walk(sub) for sub in out["prefixItems"]]
        if isinstance(out.get("additionalProperties"), dict):
            out["additionalProperties"] = walk(out["additionalProperties"])
        props = out.get("properties")
        required = out.get("required") if isinstance(out.get("required"), list) else []
        if (isinstance(props, dict) and props and "additionalProperties" not in out
                and not any(k in out for k in _COMBINATORS) and all(r in props for r in required)):
            out["additionalProperties"] = False
            changed = True
        return out

    result = walk(schema)
    return result if changed else schema


def _tidy(message: str) -> str:
    """llguidance errors can carry a long context trail; the first line names the problem."""
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    return first[:500]
