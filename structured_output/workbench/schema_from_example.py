"""From an example answer to a JSON Schema: ``genson`` infers it, then it is tightened for structured
output, each tightening a ``Change`` the user can undo.

Why two steps: genson describes the example faithfully (its draft URL, ``required`` only for keys seen in
every sample, ``null`` for a null value), while the reference's *Configuration guide* asks for more:
``required`` declared, ``additionalProperties: false`` and only the types it lists (string, number,
integer, boolean, object, array, enum; ``null`` beside another type for an optional field). Each change is
applied by ``tighten`` unless the user's ``choices`` say otherwise, so undoing one is tightening again
without it. One change is offered but off by default: requiring a field the example itself leaves out
in some items would make the schema refuse its own example.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genson import SchemaBuilder

from structured_output import jsontext
from structured_output.result import json_path

MAX_EXAMPLE_CHARS = 200_000
NULL_STANDS_FOR = "string"  # a null example value says nothing of the type: the commonest is assumed


class ExampleError(ValueError):
    """The example cannot become a schema: what is wrong and where (line and column for bad JSON)."""

    def __init__(self, message: str, hint: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message, self.hint, self.line, self.column = message, hint, line, column


@dataclass(frozen=True)
class Change:
    """One tightening: ``id`` is stable (kind + schema path), so a skip set survives re-tightening."""

    id: str
    kind: str  # "$schema" | "additionalProperties" | "required" | "null type" | "items"
    path: str  # the JSON path of the answer's value it concerns ($, $.address, $.items[*])
    what: str
    why: str
    default: bool = True  # applied unless the user unticks it


@dataclass
class Inferred:
    """The example's schema as genson wrote it, the tightened one, and the changes that lead from one to
    the other (every change, applied or skipped)."""

    example: Any
    genson_schema: dict[str, Any]
    schema: dict[str, Any]
    changes: list[Change] = field(default_factory=list)
    choices: dict[str, bool] = field(default_factory=dict)  # the user's ticks, by change id

    def is_applied(self, c: Change) -> bool:
        return self.choices.get(c.id, c.default)

    def text(self) -> str:
        """The tightened schema as the editor shows it."""
        return json.dumps(self.schema, indent=2, ensure_ascii=False) + "\n"

    def applied(self) -> list[Change]:
        return [c for c in self.changes if self.is_applied(c)]


def read_example(text: str) -> Any:
    """The pasted example as a JSON value, or an ``ExampleError`` naming the line and column."""
    if not text.strip():
        raise ExampleError("The example is empty.", "Paste a JSON answer you would like to get, e.g. "
                           '{"name": "Alex", "age": 34}, or take the last parsed answer.')
    if len(text) > MAX_EXAMPLE_CHARS:
        raise ExampleError(f"The example is {len(text):,} characters long; at most {MAX_EXAMPLE_CHARS:,} are read.",
                           "Paste a shorter example: one or two items of each list are enough.")
    try:
        value = jsontext.loads(text)
    except jsontext.JSONTextError as e:
        raise ExampleError(f"The example is not valid JSON at line {e.line}, column {e.column}: {e.msg}.",
                           "Fix the JSON there (quotes around keys and strings, commas between items, "
                           "no trailing comma).", e.line, e.column) from None
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else f"a {type(value).__name__}"
        raise ExampleError(f"The example is {kind}, not a JSON object.",
                           "Structured output answers with an object at the top: wrap it, e.g. "
                           '{"items": [...]}.')
    return value


def infer(example: Any, choices: Mapping[str, bool] | None = None) -> Inferred:
    """genson's schema of ``example``, then tightened (each change as ``choices`` says, else its default)."""
    builder = SchemaBuilder()
    builder.add_object(example)
    raw = builder.to_schema()
    schema, changes = tighten(raw, choices or {})
    ids = {c.id for c in changes}
    return Inferred(example, raw, schema, changes, {k: v for k, v in (choices or {}).items() if k in ids})


def from_text(text: str, choices: Mapping[str, bool] | None = None) -> Inferred:
    return infer(read_example(text), choices)


# ---------------------------------------------------------------- tightening

def tighten(genson_schema: dict[str, Any], choices: Mapping[str, bool]) -> tuple[dict[str, Any], list[Change]]:
    """The schema made ready for ``response_format``; every change found is listed, and applied when
    ``choices`` (else its default) says so."""
    schema = copy.deepcopy(genson_schema)
    changes: list[Change] = []

    def change(c: Change) -> bool:
        changes.append(c)
        return choices.get(c.id, c.default)

    if "$schema" in schema and change(Change(
            "$schema", "$schema", "$", f"removed \"$schema\": \"{schema['$schema']}\"",
            "genson names its draft; the reference's schemas carry none, and some servers refuse unknown "
            "top-level keys in response_format")):
        del schema["$schema"]
    _walk(schema, [], change)
    return schema, changes


def _path(parts: list[Any]) -> str:
    return json_path(parts).replace("['*']", "[*]")


def _walk(node: dict[str, Any], parts: list[Any], change: Any) -> None:
    where = _path(parts)
    types = node.get("type")
    type_list = types if isinstance(types, list) else [types] if types else []
    if "anyOf" in node:
        for sub in node["anyOf"]:
            if isinstance(sub, dict):
                _walk(sub, parts, change)
        return
    if type_list == ["null"] and change(Change(
            f"null type:{where}", "null type", where,
            f'{where}: type "null" became ["{NULL_STANDS_FOR}", "null"]',
            "the example's value is null, which says nothing of its type; the reference's optional field "
            f'is a type beside "null" ({NULL_STANDS_FOR} assumed: change it if it is another)')):
        node["type"] = [NULL_STANDS_FOR, "null"]
    if "object" in type_list:
        props: dict[str, Any] = node.get("properties", {})
        required = list(node.get("required", []))
        optional = [k for k in props if k not in required]
        if optional and change(Change(
                f"required:{where}", "required", where,
                f"{where}: {', '.join(optional)} added to \"required\", each allowing null",
                "seen in only some of the example's items, so genson left them optional; the reference's other "
                "way to an optional field keeps it required with a null type, so every answer has the same keys "
                "(off at first: the example's own items without them would fail)", default=False)):
            for k in optional:
                props[k] = _nullable(props[k])
            node["required"] = [*required, *optional]
        if isinstance(node.get("required"), list) and set(node["required"]) <= set(props):
            node["required"] = [k for k in props if k in node["required"]]  # genson sorts; field order reads better
        if node.get("additionalProperties") is None and change(Change(
                f"additionalProperties:{where}", "additionalProperties", where,
                f"{where}: \"additionalProperties\": false added",
                "the reference recommends false to output only defined fields")):
            node["additionalProperties"] = False
        for k, sub in props.items():
            if isinstance(sub, dict):
                _walk(sub, [*parts, k], change)
    if "array" in type_list:
        items = node.get("items")
        if items is None and change(Change(
                f"items:{where}", "items", where, f'{where}: "items": {{"type": "{NULL_STANDS_FOR}"}} added',
                "the example's list is empty, so nothing says what its items are; an array without items "
                f"lets the model put anything in it ({NULL_STANDS_FOR} assumed)")):
            node["items"] = {"type": NULL_STANDS_FOR}
        elif isinstance(items, dict):
            _walk(items, [*parts, "*"], change)


def _nullable(sub: Any) -> Any:
    if not isinstance(sub, dict):
        return sub
    out = dict(sub)
    t = out.get("type")
    if isinstance(t, str) and t != "null":
        out["type"] = [t, "null"]
    elif isinstance(t, list) and "null" not in t:
        out["type"] = [*t, "null"]
    elif "anyOf" in out and not any(isinstance(s, dict) and s.get("type") == "null" for s in out["anyOf"]):
        out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    return out
