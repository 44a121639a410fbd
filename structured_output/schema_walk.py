"""Where the subschemas of a JSON Schema are, with their JSON pointers: what the keyword table
(``keywords``) and the local engine's enforcement report both walk. Property names, ``$defs`` names and
the like are never taken for keywords, since only schema positions are visited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Where subschemas sit (JSON Schema 2020-12 and the older drafts' spellings).
MAP_KEYS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies")
ONE_KEYS = ("items", "additionalItems", "additionalProperties", "contains", "not", "if", "then", "else",
            "propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema")
LIST_KEYS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")


def pointer(parts: list[str]) -> str:
    """A JSON pointer (RFC 6901) from path parts: ``["properties", "a/b"]`` → ``/properties/a~1b``."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def subschemas(node: Any, skip: frozenset[str] = frozenset()) -> Iterator[tuple[list[str], Any]]:
    """``(relative path, subschema)`` for every direct subschema of ``node``, except under ``skip`` keys."""
    if not isinstance(node, dict):
        return
    for key in MAP_KEYS:
        value = node.get(key)
        if key in skip or not isinstance(value, dict):
            continue
        for name, sub in value.items():
            if isinstance(sub, dict | bool):
                yield [key, str(name)], sub
    for key in ONE_KEYS:
        if key not in skip and isinstance(node.get(key), dict | bool):
            yield [key], node[key]
    for key in LIST_KEYS:
        value = node.get(key)
        if key not in skip and isinstance(value, list):
            for i, sub in enumerate(value):
                if isinstance(sub, dict | bool):
                    yield [key, str(i)], sub


def walk(schema: Any, skip: frozenset[str] = frozenset()) -> Iterator[tuple[list[str], dict[str, Any]]]:
    """Every subschema object with its path, depth first in document order, not entering ``skip`` keys."""
    stack: list[tuple[list[str], Any]] = [([], schema)]
    while stack:
        path, node = stack.pop()
        if not isinstance(node, dict):
            continue
        yield path, node
        stack.extend((path + rel, sub) for rel, sub in reversed(list(subschemas(node, skip))))
