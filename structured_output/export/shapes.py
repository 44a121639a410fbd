"""A JSON Schema as the classes of the Pydantic + ``parse`` and zod forms, or ``NotExpressible``
saying why a simple class cannot say the schema exactly."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Any

from structured_output.request import Request


class NotExpressible(ValueError):
    """The schema uses something a simple Pydantic class or zod object cannot say exactly."""


_NODE_KEYS = {"type", "properties", "required", "additionalProperties", "title", "description", "items", "enum",
              "anyOf", "default", "$schema", "minimum", "maximum"}
SAFE_INT_BOUNDS = (-9007199254740991, 9007199254740991)  # what zod's .int() sends (JavaScript's safe integers)
_PY_RESERVED = {"model_config", "model_fields", "schema", "json", "dict", "copy", "construct", "validate",
                "fields", "parse_obj", "parse_raw", "from_orm", "update_forward_refs"}


@dataclass
class _Type:
    kind: str  # string, integer, number, boolean, array, object, enum
    nullable: bool = False
    item: _Type | None = None
    obj: _Object | None = None
    values: tuple[str, ...] = ()
    description: str = ""
    bounds: tuple[int | float, int | float] | None = None  # minimum and maximum, both given


@dataclass
class _Field:
    name: str
    type: _Type
    required: bool


@dataclass
class _Object:
    name: str
    fields: list[_Field]


def class_name(text: str) -> str:
    """``user_info`` → ``UserInfo`` (the reference's class for the user_info schema)."""
    words = re.findall(r"[A-Za-z0-9]+", text)
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Result"
    return name if name[0].isalpha() else "M" + name


def _parse_type(node: Any, name_hint: str, where: str, classes: list[_Object], used: set[str]) -> _Type:
    if not isinstance(node, dict):
        raise NotExpressible(f"{where} is not a schema object")
    extra = set(node) - _NODE_KEYS
    if extra:
        raise NotExpressible(f"{where} uses {', '.join(sorted(extra))}")
    if "default" in node and node["default"] is not None:
        raise NotExpressible(f"{where} has a non-null default")
    desc = node.get("description", "")
    if not isinstance(desc, str):
        raise NotExpressible(f"{where} has a non-string description")
    if "anyOf" in node:
        options = node["anyOf"]
        non_null = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
        if len(options) != 2 or len(non_null) != 1 or set(node) - {"anyOf", "title", "description", "default"}:
            raise NotExpressible(f"{where} uses anyOf other than T-or-null")
        t = _parse_type(non_null[0], name_hint, where, classes, used)
        t.nullable, t.description = True, desc or t.description
        return t
    typ = node.get("type")
    nullable = False
    if isinstance(typ, list):
        others = [t for t in typ if t != "null"]
        if len(typ) != 2 or len(others) != 1:
            raise NotExpressible(f"{where} has a type list other than [T, null]")
        typ, nullable = others[0], True
    if "enum" in node:
        values = node["enum"]
        if not values or not all(isinstance(v, str) for v in values) or typ not in (None, "string"):
            raise NotExpressible(f"{where} has an enum that is not all strings")
        return _Type("enum", nullable, values=tuple(values), description=desc)
    if typ in ("string", "integer", "number", "boolean"):
        if set(node) & {"properties", "items", "required", "additionalProperties"}:
            raise NotExpressible(f"{where} mixes {typ} with object/array keywords")
        bounds = None
        if set(node) & {"minimum", "maximum"}:
            low, high = node.get("minimum"), node.get("maximum")
            numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high))
            if typ not in ("integer", "number") or not numbers:
                raise NotExpressible(f"{where} has a minimum/maximum other than both, on a number")
            bounds = (low, high)
        return _Type(typ, nullable, description=desc, bounds=bounds)
    if set(node) & {"minimum", "maximum"}:
        raise NotExpressible(f"{where} has a minimum/maximum on a {typ}")
    if typ == "array":
        if "items" not in node:
            raise NotExpressible(f"{where} is an array without items")
        item = _parse_type(node["items"], name_hint + "Item", f"{where}.items", classes, used)
        return _Type("array", nullable, item=item, description=desc)
    if typ == "object":
        return _Type("object", nullable, obj=_parse_object(node, name_hint, where, classes, used), description=desc)
    raise NotExpressible(f"{where} has type {typ!r}")


def _parse_object(node: dict[str, Any], name: str, where: str, classes: list[_Object], used: set[str]) -> _Object:
    props = node.get("properties")
    if not isinstance(props, dict) or not props:
        raise NotExpressible(f"{where} is an object without properties")
    if node.get("additionalProperties", False) is not False:
        raise NotExpressible(f"{where} allows additional properties, which parse always forbids")
    required = node.get("required", [])
    if not isinstance(required, list) or set(required) - set(props):
        raise NotExpressible(f"{where} has a `required` naming unknown properties")
    base, n = class_name(name), 2
    cls_name = base
    while cls_name in used:
        cls_name, n = f"{base}{n}", n + 1
    used.add(cls_name)
    obj = _Object(cls_name, [])
    for key, sub in props.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) or keyword.iskeyword(key) or key in _PY_RESERVED \
                or key.startswith("model_"):
            raise NotExpressible(f"property {key!r} at {where} is not a plain identifier")
        obj.fields.append(_Field(key, _parse_type(sub, key, f"{where}.{key}", classes, used), key in required))
    classes.append(obj)  # nested classes first, so each is defined before use
    return obj


def schema_shape(schema: dict[str, Any] | None, name: str) -> list[_Object]:
    """The classes for ``schema`` (nested first, the root last); ``NotExpressible`` says why not."""
    if not isinstance(schema, dict):
        raise NotExpressible("the schema is empty or not JSON")
    if schema.get("type") != "object":
        raise NotExpressible("the root is not an object")
    classes: list[_Object] = []
    _parse_object(schema, name, "the root", classes, set())
    return classes


def parse_shape(req: Request) -> list[_Object]:
    """The classes for the request's schema as ``parse`` would send them; ``NotExpressible`` when the
    parse form would change the request (parse and zodResponseFormat always send ``strict: true``)."""
    if not req.strict:
        raise NotExpressible("strict is false, and parse always sends strict: true")
    return schema_shape(req.schema(), req.schema_name or "Result")
