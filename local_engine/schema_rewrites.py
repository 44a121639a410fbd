"""Rewrites of a JSON Schema before llguidance compiles it. Each one keeps the guarantee the engine
gives: whatever follows the rewritten schema also validates against the original.

- ``one_of_as_any_of``: llguidance does not implement ``oneOf``. When the branches provably exclude
  each other (different types, disjoint ``const``/``enum`` values, or a required discriminator
  property with disjoint values), "exactly one" and "at least one" are the same, so ``anyOf`` is
  exact. Other ``oneOf``s are left alone, and the schema is refused with llguidance's reason.
- ``drop_format``: an unknown ``format`` is an annotation that validators ignore, so dropping it
  changes nothing that validation checks.
- ``drop_redundant_not``: a ``not`` that only excludes types the schema's ``type``/``anyOf``
  already excludes says nothing; llguidance does not implement ``not``.
- ``require_dependencies``: draft-4 ``dependencies`` ("if x is present, y must be too") is not
  implemented by llguidance; requiring y outright is a narrowing that always satisfies it.
- ``tighten``: a decoding policy rather than an equivalence: objects that declare ``properties`` and
  say nothing of ``additionalProperties`` get only their declared keys (a subset of what the schema
  allows; a small model otherwise invents keys until ``max_tokens``).
"""

from __future__ import annotations

import copy
import json
from itertools import combinations
from typing import Any

_COMBINATORS = ("allOf", "anyOf", "oneOf", "not", "$ref", "if", "then", "else", "dependentSchemas",
                "dependencies", "unevaluatedProperties", "patternProperties", "propertyNames", "$dynamicRef")
_NOT_NARROWABLE = ("allOf", "oneOf", "not", "if", "maxContains", "dependentSchemas", "dependencies")
_SUBSCHEMA_MAPS = ("properties", "$defs", "definitions")
_SUBSCHEMA_KEYS = ("items", "additionalItems", "contains")
_SUBSCHEMA_LISTS = ("prefixItems", "anyOf", "oneOf", "allOf")


def _walk(node: Any, visit: Any, *, exact: bool = True) -> Any:
    """Copy ``node`` bottom-up, letting ``visit`` replace each subschema (dict).

    With ``exact=False`` (a rewrite that narrows rather than preserves) the walk does not enter
    ``not`` or ``if``, where narrowing a subschema would widen what the whole schema accepts
    (``tighten`` also refuses schemas that have them at all, since a ``$ref`` can lead there).
    """
    if not isinstance(node, dict):
        return node
    out = dict(node)
    for key in _SUBSCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: _walk(sub, visit, exact=exact) for name, sub in out[key].items()}
    keys = (*_SUBSCHEMA_KEYS, "additionalProperties", "then", "else", *(("not", "if") if exact else ()))
    for key in keys:
        if isinstance(out.get(key), dict):
            out[key] = _walk(out[key], visit, exact=exact)
    for key in _SUBSCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_walk(sub, visit, exact=exact) for sub in out[key]]
    if isinstance(out.get("items"), list):  # draft-4 tuple form
        out["items"] = [_walk(sub, visit, exact=exact) for sub in out["items"]]
    return visit(out)


# ---------------------------------------------------------------- tighten

def tighten(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with ``additionalProperties: false`` on plain objects that declare their properties.

    Narrowing a subschema narrows the whole schema only where it sits in a positive position, so
    nothing changes in a schema that uses, anywhere, a keyword where narrowing could widen or break
    it: ``allOf`` (branches would exclude each other's keys), ``oneOf`` (narrowed branches can hide
    an overlap of the originals), ``not``, ``if``, ``maxContains``, ``dependentSchemas``. Nor does an
    object that combines schemas or requires an undeclared key change. Returns ``schema`` itself
    when nothing changed.
    """
    text = json.dumps(schema)
    if any(f'"{k}"' in text for k in _NOT_NARROWABLE):
        return schema
    changed = False

    def visit(node: dict[str, Any]) -> dict[str, Any]:
        nonlocal changed
        props = node.get("properties")
        required = node.get("required") if isinstance(node.get("required"), list) else []
        if (isinstance(props, dict) and props and "additionalProperties" not in node
                and not any(k in node for k in _COMBINATORS) and all(r in props for r in required)):
            node["additionalProperties"] = False
            changed = True
        return node

    result = _walk(schema, visit, exact=False)
    return result if changed else schema


# ---------------------------------------------------------------- oneOf

def one_of_as_any_of(schema: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """``schema`` with every provably exclusive ``oneOf`` turned into ``anyOf``, and how many."""
    count = 0

    def visit(node: dict[str, Any]) -> dict[str, Any]:
        nonlocal count
        branches = node.get("oneOf")
        if (isinstance(branches, list) and "anyOf" not in node
                and all(isinstance(b, dict) for b in branches)
                and all(_exclusive(_resolve(schema, a), _resolve(schema, b)) for a, b in combinations(branches, 2))):
            node["anyOf"] = node.pop("oneOf")
            count += 1
        return node

    if '"oneOf"' not in json.dumps(schema):
        return schema, 0
    result = _walk(schema, visit)
    return (result, count) if count else (schema, 0)


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (``#/definitions/x``, ``#/$defs/x``) for the exclusivity check only."""
    for _ in range(8):
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return node
        target: Any = root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                return node
            target = target[part]
        if not isinstance(target, dict):
            return node
        node = target
    return node


def _types(node: dict[str, Any]) -> set[str] | None:
    """The JSON types a schema admits, when it says (``integer`` counts as ``number`` too)."""
    kind = node.get("type")
    if isinstance(kind, str):
        kinds = {kind}
    elif isinstance(kind, list) and all(isinstance(k, str) for k in kind):
        kinds = set(kind)
    else:
        values = _values(node)
        if values is None:
            return None
        kinds = {_json_type(v) for v in values}
    if "integer" in kinds:
        kinds.add("number")
    if "number" in kinds:
        kinds.add("integer")
    return kinds


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _values(node: dict[str, Any]) -> list[Any] | None:
    if "const" in node:
        return [node["const"]]
    if isinstance(node.get("enum"), list):
        return list(node["enum"])
    return None


def _disjoint(a: list[Any], b: list[Any]) -> bool:
    keys_a = {json.dumps(v, sort_keys=True) for v in a}
    return not any(json.dumps(v, sort_keys=True) in keys_a for v in b)


def _exclusive(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True only when no value can satisfy both schemas."""
    ta, tb = _types(a), _types(b)
    if ta is not None and tb is not None and not (ta & tb):
        return True
    va, vb = _values(a), _values(b)
    if va is not None and vb is not None and _disjoint(va, vb):
        return True
    props_a, props_b = a.get("properties"), b.get("properties")
    req_a = set(a.get("required") or []) if isinstance(a.get("required"), list) else set()
    req_b = set(b.get("required") or []) if isinstance(b.get("required"), list) else set()
    if isinstance(props_a, dict) and isinstance(props_b, dict):
        for name in req_a & req_b & set(props_a) & set(props_b):
            pa, pb = props_a[name], props_b[name]
            if isinstance(pa, dict) and isinstance(pb, dict):
                xa, xb = _values(pa), _values(pb)
                if xa is not None and xb is not None and _disjoint(xa, xb):
                    return True
    return False


# ---------------------------------------------------------------- not, dependencies

def drop_redundant_not(schema: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """``schema`` without ``not: {"type": ...}`` where the node's own types already exclude those."""
    count = 0

    def visit(node: dict[str, Any]) -> dict[str, Any]:
        nonlocal count
        negated = node.get("not")
        if not (isinstance(negated, dict) and set(negated) == {"type"}):
            return node
        excluded = _types(negated)
        own = _types(node) if "type" in node else None
        if own is None and isinstance(node.get("anyOf"), list) and node["anyOf"]:
            branch_types = [_types(b) if isinstance(b, dict) else None for b in node["anyOf"]]
            if all(t is not None for t in branch_types):
                own = set().union(*branch_types)  # type: ignore[arg-type]
        if excluded is not None and own is not None and not (own & excluded):
            del node["not"]
            count += 1
        return node

    if '"not"' not in json.dumps(schema):
        return schema, 0
    result = _walk(schema, visit)
    return (result, count) if count else (schema, 0)


def require_dependencies(schema: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """``schema`` with array-form ``dependencies`` turned into ``required`` (a narrowing).

    Only where narrowing is safe (no ``not``, ``if``, ``oneOf`` or ``maxContains`` anywhere), and
    only objects whose dependencies are all of the array form.
    """
    text = json.dumps(schema)
    if '"dependencies"' not in text or any(f'"{k}"' in text for k in ("not", "if", "oneOf", "maxContains")):
        return schema, 0
    count = 0

    def visit(node: dict[str, Any]) -> dict[str, Any]:
        nonlocal count
        deps = node.get("dependencies")
        if not (isinstance(deps, dict) and deps
                and all(isinstance(v, list) and all(isinstance(n, str) for n in v) for v in deps.values())):
            return node
        required = list(node.get("required") or []) if isinstance(node.get("required"), list) else []
        for names in deps.values():
            required += [n for n in names if n not in required]
        node["required"] = required
        del node["dependencies"]
        count += 1
        return node

    result = _walk(schema, visit, exact=False)
    return (result, count) if count else (schema, 0)


# ---------------------------------------------------------------- format

def drop_format(schema: dict[str, Any], fmt: str) -> dict[str, Any]:
    """``schema`` without any ``"format": fmt`` (the format llguidance does not know)."""

    def visit(node: dict[str, Any]) -> dict[str, Any]:
        if node.get("format") == fmt:
            del node["format"]
        return node

    return _walk(copy.deepcopy(schema), visit)
