"""Schemas that allow no JSON document that ends: refused before decoding, with the reason.

``{"$ref": "#"}`` says only "be what I am"; a ``$ref`` cycle where every branch refers on, a required
property or a ``minItems`` item that must again be the whole schema: every value would have to hold
another value of the same kind, without end. llguidance compiles such a schema, and then either has
nothing to allow at all (its mask lets only the end of the text through, so the answer is ``""`` with
``finish_reason: "stop"``) or forces ``{"a": {"a": ...`` until ``max_tokens``. Neither is an answer.

The check is the classic "productive symbol" fixed point of a grammar: a subschema is finite when some
value it allows can be written out completely, given which of its subschemas are finite. Starting
from "none is" and re-evaluating until nothing changes gives the least fixed point, so a cycle counts
only when it has a way out. It is deliberately lenient: whatever it does not model (patterns, bounds,
``not``, contradictions) counts as finite and is left to llguidance, which reports its own errors.
"""

from __future__ import annotations

from typing import Any

_DATA_KEYWORDS = {"enum", "const", "default", "examples", "example"}  # values, not subschemas


def unending(schema: Any) -> str | None:
    """Why no document that ends satisfies ``schema``, or None when one may."""
    nodes: dict[int, Any] = {}
    _collect(schema, nodes)
    value: dict[int, bool] = dict.fromkeys(nodes, False)
    for _ in range(len(nodes) + 1):
        changed = False
        for key, node in nodes.items():
            if not value[key] and _finite(node, schema, value):
                value[key] = changed = True
        if not changed:
            break
    if _finite(schema, schema, value):
        return None
    refs = sorted({n["$ref"] for n in nodes.values() if isinstance(n, dict) and isinstance(n.get("$ref"), str)})
    through = f" (through {', '.join(repr(r) for r in refs[:4])})" if refs else ""
    return ("no JSON document that ends satisfies it: every value it allows must contain another value of the "
            f"same schema, without end{through}. Give the recursion a way out: make the recursive property "
            "optional, let the array be empty (minItems 0), or add an anyOf branch that does not refer back")


def _collect(node: Any, nodes: dict[int, Any]) -> None:
    if isinstance(node, bool):
        nodes.setdefault(id(node), node)
        return
    if not isinstance(node, dict) or id(node) in nodes:
        return
    nodes[id(node)] = node
    for key, sub in node.items():
        if key in _DATA_KEYWORDS:
            continue
        if isinstance(sub, dict):
            if key in ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas"):
                for child in sub.values():
                    _collect(child, nodes)
            else:
                _collect(sub, nodes)
        elif isinstance(sub, list):
            for child in sub:
                if isinstance(child, dict | bool):
                    _collect(child, nodes)


def _resolve(ref: str, root: Any) -> Any:
    """A local ``$ref`` (``#``, ``#/$defs/x``); None for anything else (left to llguidance)."""
    if not ref.startswith("#"):
        return None
    node = root
    for raw in [p for p in ref[1:].split("/") if p]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _ok(node: Any, root: Any, value: dict[int, bool]) -> bool:
    """The current verdict on a subschema (one not collected, such as a ``$ref`` target outside the
    walked tree, is evaluated directly)."""
    if isinstance(node, bool):
        return node
    if not isinstance(node, dict):
        return True
    if id(node) in value:
        return value[id(node)]
    return _finite(node, root, value)


def _finite(node: Any, root: Any, value: dict[int, bool]) -> bool:
    if isinstance(node, bool):
        return node
    if not isinstance(node, dict):
        return True
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = _resolve(ref, root)
        if target is not None and not _ok(target, root, value):
            return False
    for sub in node.get("allOf") or []:
        if not _ok(sub, root, value):
            return False
    for key in ("anyOf", "oneOf"):
        branches = node.get(key)
        if isinstance(branches, list) and branches and not any(_ok(b, root, value) for b in branches):
            return False
    if "enum" in node or "const" in node:
        return True
    kinds = node.get("type")
    if kinds is None:
        return True  # any type: a string or null ends at once
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(_kind_finite(str(k), node, root, value) for k in kinds)


def _kind_finite(kind: str, node: dict[str, Any], root: Any, value: dict[int, bool]) -> bool:
    if kind == "object":
        props = node.get("properties") if isinstance(node.get("properties"), dict) else {}
        extra = node.get("additionalProperties", True)
        for name in node.get("required") or []:
            sub = props.get(name, extra) if isinstance(name, str) else True
            if not _ok(sub, root, value):
                return False
        return True
    if kind == "array":
        at_least = node.get("minItems", 0)
        at_least = at_least if isinstance(at_least, int) else 0
        prefix = node.get("prefixItems") if isinstance(node.get("prefixItems"), list) else []
        items = node.get("items", True)
        if isinstance(items, list):  # draft 4-7 tuple form
            prefix, items = items, node.get("additionalItems", True)
        for i in range(min(at_least, len(prefix) + 1)):
            if not _ok(prefix[i] if i < len(prefix) else items, root, value):
                return False
        contains = node.get("contains")
        return contains is None or _ok(contains, root, value)
    return True
