"""What the code export's ``parse`` forms would really send, and how that differs from the request.

The Pydantic + ``client.chat.completions.parse`` form (Python) and the zod + ``zodResponseFormat``
form (Node.js) do not send the editor's schema: the SDK converts the class, and the conversion adds
``additionalProperties: false``, makes an optional field required and nullable, adds titles (Pydantic)
or integer bounds and ``$schema`` (zod), and names the schema after the class. The
code export offers such a form only when it would send the very same request; otherwise it says what
would change (issue 12). ``tests/domain/test_export_wire.py`` runs every exported form against a
recording server and compares what it sends with the playground's own request.

Python: the classes the export writes are built with ``pydantic.create_model`` and converted by the
installed openai SDK's own ``type_to_response_format_param``, so the result is exactly what ``parse``
sends. Node.js: there is no zod in Python, so the conversion of openai's ``zodResponseFormat`` (openai
6, zod 4) is written out for the shapes the export generates, each recorded against the real
libraries; a shape that was not recorded is reported as unchecked, never assumed to be the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

from structured_output.export.shapes import SAFE_INT_BOUNDS
from structured_output.request import Request

PYTHON_PARSE = "python-openai-parse"
NODE_PARSE = "node-openai-parse"
_ZOD_SCHEMA_URI = "http://json-schema.org/draft-07/schema#"
_ZOD_INT_BOUNDS = {"minimum": SAFE_INT_BOUNDS[0], "maximum": SAFE_INT_BOUNDS[1]}  # zod .int() sends them
MAX_CHANGES = 8


class _Unchecked(ValueError):
    """A shape whose zod conversion was not recorded against the real library."""


@dataclass(frozen=True)
class ParseFormCheck:
    """One parse form for one request. ``sends`` is the ``response_format`` it would send (None when the
    form cannot be written for this schema, ``why_not`` says why); ``changes`` how the request would
    differ, in words. The form is offered only when ``same``."""

    kind: str
    sends: dict[str, Any] | None = None
    changes: list[str] = field(default_factory=list)
    why_not: str = ""

    @property
    def same(self) -> bool:
        return self.sends is not None and not self.changes and not self.why_not

    def summary(self) -> str:
        """One sentence for the export: why this form is not offered (empty when it is)."""
        if self.same:
            return ""
        if self.why_not:
            return self.why_not
        shown = self.changes[:MAX_CHANGES]
        more = len(self.changes) - len(shown)
        return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


# ---------------------------------------------------------------- Python: Pydantic + parse

def _annotation(t: Any, built: dict[str, Any]) -> Any:
    if t.kind == "enum":
        inner: Any = Literal[tuple(t.values)]  # type: ignore[valid-type]
    elif t.kind == "array":
        inner = list[_annotation(t.item, built)] if t.item else list  # type: ignore[misc]
    elif t.kind == "object":
        inner = built[t.obj.name] if t.obj else dict
    else:
        inner = {"string": str, "integer": int, "number": float, "boolean": bool}[t.kind]
    return Optional[inner] if t.nullable else inner  # noqa: UP045 - the export writes Optional[...]


def pydantic_model(classes: list[Any]) -> type:
    """The export's Pydantic classes (``snippets.pydantic_classes`` writes the same ones as code), built."""
    from pydantic import Field, create_model

    built: dict[str, Any] = {}
    for obj in classes:
        fields: dict[str, Any] = {}
        for f in obj.fields:
            hint = _annotation(f.type, built)
            extra: dict[str, Any] = {"description": f.type.description} if f.type.description else {}
            if f.type.bounds is not None:  # as the export writes it: Field(ge=..., le=...)
                extra |= {"ge": f.type.bounds[0], "le": f.type.bounds[1]}
            if not f.required:
                if not f.type.nullable:
                    hint = Optional[hint]  # noqa: UP045
                fields[f.name] = (hint, Field(default=None, **extra))
            else:
                fields[f.name] = (hint, Field(**extra))
        built[obj.name] = create_model(obj.name, **fields)
    return built[classes[-1].name]


def python_parse_check(req: Request) -> ParseFormCheck:
    from openai.lib._parsing._completions import type_to_response_format_param

    from structured_output.export.shapes import NotExpressible, parse_shape

    try:
        classes = parse_shape(req)
    except NotExpressible as e:
        return ParseFormCheck(PYTHON_PARSE, why_not=f"a Pydantic class cannot express this schema ({e})")
    except RecursionError:
        return ParseFormCheck(PYTHON_PARSE, why_not="the schema nests too deeply for a Pydantic class")
    try:
        sends = dict(type_to_response_format_param(pydantic_model(classes)))  # type: ignore[arg-type]
    except RecursionError:  # a schema nested deeper than Pydantic's schema generation can walk
        return ParseFormCheck(PYTHON_PARSE, why_not="the schema nests too deeply for a Pydantic class")
    return ParseFormCheck(PYTHON_PARSE, sends, request_changes(req, sends, "parse"))


# ---------------------------------------------------------------- Node.js: zod + zodResponseFormat

def _zod_plain(t: Any) -> dict[str, Any]:
    """The JSON Schema zod writes for a type without ``.nullable()`` (and its ``.describe``)."""
    if t.kind == "enum":
        out: dict[str, Any] = {"type": "string", "enum": list(t.values)}
    elif t.kind == "array":
        if t.item is None:
            raise _Unchecked("an array without items")
        out = {"type": "array", "items": _zod(t.item, optional=False)}
    elif t.kind == "object":
        out = _zod_object(t.obj)
    elif t.kind == "integer":
        if t.bounds is not None and t.bounds != SAFE_INT_BOUNDS:
            raise _Unchecked("an integer with other bounds than the safe-integer ones")
        out = {"type": "integer", **_ZOD_INT_BOUNDS}
    else:
        if t.bounds is not None:
            raise _Unchecked(f"a {t.kind} with bounds")
        out = {"type": t.kind}
    if t.description:
        out["description"] = t.description
    return out


def _zod(t: Any, *, optional: bool) -> dict[str, Any]:
    """What the export's zod expression for ``t`` becomes: ``z.T()[.nullable()][.describe(d)]``, and for an
    optional field ``.optional().nullable()`` after that (recorded: openai 6.49, zod 4.6)."""
    primitive = t.kind in ("string", "number", "boolean")
    if t.nullable and optional:
        raise _Unchecked("a nullable optional field")
    if t.nullable:  # .nullable().describe(d): the description outside the null union
        if primitive:
            out: dict[str, Any] = {"type": [t.kind, "null"]}
            return {"description": t.description, **out} if t.description else out
        if t.description:
            raise _Unchecked(f"a described nullable {t.kind}")
        return {"anyOf": [_zod_plain(t), {"type": "null"}]}
    if optional:  # .describe(d).optional().nullable(): the description inside the null union
        if primitive and not t.description:
            return {"type": [t.kind, "null"]}
        return {"anyOf": [_zod_plain(t), {"type": "null"}]}
    return _zod_plain(t)


def _zod_object(obj: Any) -> dict[str, Any]:
    return {"type": "object",
            "properties": {f.name: _zod(f.type, optional=not f.required) for f in obj.fields},
            "required": [f.name for f in obj.fields], "additionalProperties": False}


def zod_parse_check(req: Request) -> ParseFormCheck:
    from structured_output.export.shapes import NotExpressible, parse_shape

    try:
        classes = parse_shape(req)
    except NotExpressible as e:
        return ParseFormCheck(NODE_PARSE, why_not=f"a zod object cannot express this schema ({e})")
    except RecursionError:
        return ParseFormCheck(NODE_PARSE, why_not="the schema nests too deeply for a zod object")
    try:
        schema = {"$schema": _ZOD_SCHEMA_URI, **_zod_object(classes[-1])}
    except RecursionError:
        return ParseFormCheck(NODE_PARSE, why_not="the schema nests too deeply for a zod object")
    except _Unchecked as e:
        return ParseFormCheck(NODE_PARSE, why_not=f"what zodResponseFormat sends for {e} is not checked here, so the "
                                                  "zod form is not offered")
    sends = {"type": "json_schema", "json_schema": {"name": req.schema_name or "result", "strict": True,
                                                    "schema": schema}}
    return ParseFormCheck(NODE_PARSE, sends, request_changes(req, sends, "zodResponseFormat"))


# ---------------------------------------------------------------- the differences, in words

def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_null_union(before: Any, after: Any) -> bool:
    """``after`` is ``before`` or null (as a type list or an anyOf)."""
    if not isinstance(after, dict) or not isinstance(before, dict):
        return False
    if "anyOf" in after:
        return len(after["anyOf"]) == 2 and {"type": "null"} in after["anyOf"] and any(
            o == before or (isinstance(o, dict) and {k: v for k, v in o.items() if k != "description"} ==
                            {k: v for k, v in before.items() if k != "description"}) for o in after["anyOf"])
    t = after.get("type")
    return isinstance(t, list) and "null" in t and [x for x in t if x != "null"] == [before.get("type")]


def schema_changes(before: Any, after: Any, path: str = "$") -> list[str]:
    """How ``after`` differs from ``before``, one phrase a difference, by JSON path."""
    if before == after:
        return []
    if _is_null_union(before, after):
        return [f"lets {path} be null"]
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return [f"{path}: {_show(before)} becomes {_show(after)}"]
    out: list[str] = []
    for key in after:
        where = f"{path}.{key}"
        if key not in before:
            out.append(f"adds {key}: {_show(after[key])} at {path}" if key != "properties" else f"adds {where}")
        elif key == "required" and isinstance(before[key], list) and isinstance(after[key], list):
            added = [k for k in after[key] if k not in before[key]]
            dropped = [k for k in before[key] if k not in after[key]]
            out += [f"makes {path}.properties.{k} required" for k in added]
            out += [f"makes {path}.properties.{k} optional" for k in dropped]
        elif key == "properties" and isinstance(before[key], dict) and isinstance(after[key], dict):
            for name in after[key]:
                if name in before[key]:
                    out += schema_changes(before[key][name], after[key][name], f"{where}.{name}")
                else:
                    out.append(f"adds the property {where}.{name}")
            out += [f"drops the property {where}.{name}" for name in before[key] if name not in after[key]]
        else:
            out += schema_changes(before[key], after[key], where)
    out += [f"drops {key} at {path}" for key in before if key not in after]
    return out


def request_changes(req: Request, sends: dict[str, Any], how: str) -> list[str]:
    """How a form that sends ``sends`` as its response_format differs from ``req``'s."""
    rf = req.response_format() or {}
    mine = rf.get("json_schema", {}) if isinstance(rf, dict) else {}
    theirs = sends.get("json_schema", {})
    out = []
    if mine.get("name") != theirs.get("name"):
        out.append(f"{how} names the schema {_show(theirs.get('name'))} (the request says {_show(mine.get('name'))})")
    if mine.get("strict") != theirs.get("strict"):
        out.append(f"{how} sends strict {_show(theirs.get('strict'))} (the request says {_show(mine.get('strict'))})")
    out += [f"{how} {c}" for c in schema_changes(mine.get("schema"), theirs.get("schema"))]
    return out  # not streaming is no change to what is asked: the form's code says it does not stream
