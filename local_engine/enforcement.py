"""What the grammar enforces of a JSON Schema, what it does not, and where.

llguidance compiles a schema in *lenient* mode (``"lenient": true``, its docs/json_schema.md): keywords it
does not implement (``uniqueItems``, ``not``, ``if``/``then``/``else``, ``contains``, ``dependentRequired``,
...), formats it does not know and ``min``/``maxProperties`` it cannot express are ignored, and a ``oneOf``
whose branches may overlap is read as ``anyOf``. Everything else is still enforced while decoding. It
reports what it ignored as warnings that name the keyword but not its place; this module finds the
places (JSON pointers into the schema as the client sent it), so an answer can say "uniqueItems at
/properties/tags", and validation afterwards can tell whether the answer happened to satisfy it.

It also finds where a schema that cannot be compiled at all goes wrong: llguidance's errors seldom say
where, so the search replaces subschemas by ``true`` until the schema compiles.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from structured_output.schema_walk import pointer, subschemas, walk

Enforcement = Literal["lenient", "strict"]
ENFORCEMENT_PARAM = "keyword_enforcement"  # the request's extension parameter (top level, or in `parameters`)
RESPONSE_FIELD = "unenforced_keywords"  # the response's field (top level, or in native `output`)
HEADER = "X-Local-Engine-Unenforced"  # the same list, compact JSON, for clients that read headers
HEADER_MAX_CHARS = 4000

_UNIMPLEMENTED = re.compile(r"Unimplemented keys: (\[.*?\])")
_UNKNOWN_FORMAT = re.compile(r"Unknown format: (.+?)(?: \(\d+ times\))?$")
_ONE_OF = "oneOf not fully supported"
_MIN_MAX_PROPERTIES = "min/maxProperties only supported"


@dataclass(frozen=True)
class Unenforced:
    """One keyword the grammar does not enforce: which, where (a JSON pointer to the subschema that holds
    it, "" for the root) and what the engine does instead."""

    keyword: str
    path: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def place(self) -> str:
        return f"{self.keyword} at {self.path or '/ (the root)'}"


def report(original: dict[str, Any], compiled: dict[str, Any], warnings: list[str]) -> list[Unenforced]:
    """The keywords llguidance's lenient ``warnings`` speak of, each at its place in ``original``.

    ``compiled`` is the schema llguidance was given (``original`` after the exact rewrites of
    ``schema_rewrites``, which keep every place but may have turned a ``oneOf`` into ``anyOf`` or dropped
    a ``not`` or a ``dependencies`` they enforce otherwise); places are searched there and read back as
    paths of ``original``.
    """
    ignored: list[str] = []
    formats: list[str] = []
    one_of = min_max = False
    others: list[str] = []
    for w in warnings:
        if m := _UNIMPLEMENTED.search(w):
            try:
                ignored += [k for k in json.loads(m.group(1)) if k not in ignored]
            except json.JSONDecodeError:
                others.append(w)
        elif m := _UNKNOWN_FORMAT.search(w):
            formats.append(m.group(1))
        elif w.startswith(_ONE_OF):
            one_of = True
        elif w.startswith(_MIN_MAX_PROPERTIES):
            min_max = True
        else:
            others.append(w)
    out: list[Unenforced] = []
    found: set[str] = set()
    for parts, node in walk(compiled, skip=frozenset(ignored)):
        where = _original_path(original, parts)
        for key in ignored:
            if key in node:
                found.add(key)
                out.append(Unenforced(key, where, f"llguidance does not implement {key}; ignored while decoding"))
        fmt = node.get("format")
        if isinstance(fmt, str) and fmt in formats:
            found.add(f"format:{fmt}")
            out.append(Unenforced("format", where, f"format {fmt!r} is unknown to llguidance; ignored while "
                                  "decoding"))
        if one_of and isinstance(node.get("oneOf"), list):
            found.add("oneOf")
            out.append(Unenforced("oneOf", where, "branches may overlap: enforced as anyOf (at least one branch, "
                                  "not exactly one)"))
        if min_max and _min_max_unsupported(node):
            found.add("minProperties")
            for key in ("minProperties", "maxProperties"):
                if key in node:
                    out.append(Unenforced(key, where, f"{key} with optional declared properties is not "
                                          "expressible in the grammar; ignored while decoding"))
    for key in ignored:
        if key not in found:
            out.append(Unenforced(key, "", f"llguidance does not implement {key}; ignored while decoding (its "
                                  "place in the schema was not found)"))
    for fmt in formats:
        if f"format:{fmt}" not in found:
            out.append(Unenforced("format", "", f"format {fmt!r} is unknown to llguidance; ignored while decoding"))
    if one_of and "oneOf" not in found:
        out.append(Unenforced("oneOf", "", "branches may overlap: enforced as anyOf"))
    if min_max and "minProperties" not in found:
        out.append(Unenforced("minProperties", "", "min/maxProperties ignored while decoding"))
    out += [Unenforced("?", "", f"llguidance: {w}") for w in others]
    return out


def _min_max_unsupported(node: dict[str, Any]) -> bool:
    if "minProperties" not in node and "maxProperties" not in node:
        return False
    props = node.get("properties") if isinstance(node.get("properties"), dict) else {}
    required = node.get("required") if isinstance(node.get("required"), list) else []
    return any(p not in required for p in props)


def _original_path(original: Any, parts: list[str]) -> str:
    """``parts`` (a path in the rewritten schema) as a pointer into ``original``: a ``oneOf`` the
    rewrites turned into ``anyOf`` is spelled ``oneOf`` again."""
    node, out = original, []
    for part in parts:
        if isinstance(node, dict) and part == "anyOf" and "anyOf" not in node and "oneOf" in node:
            part = "oneOf"
        out.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            node = None
    return pointer(out)


def without(schema: dict[str, Any], unenforced: list[Unenforced]) -> dict[str, Any]:
    """``schema`` less what the grammar did not enforce (``oneOf`` read as ``anyOf``): what every finished
    answer must satisfy. The benchmark and the tests validate answers against it."""
    out = copy.deepcopy(schema)
    # deepest first: a oneOf read as anyOf must keep its name until the keywords inside it are handled
    for u in sorted(unenforced, key=lambda u: -u.path.count("/")):
        node = _at(out, u.path)
        if not isinstance(node, dict) or u.keyword not in node:
            continue
        if u.keyword == "oneOf":
            node["anyOf"] = node.pop("oneOf")
        elif u.keyword in ("minProperties", "maxProperties"):
            node.pop("minProperties", None)
            node.pop("maxProperties", None)
        else:
            del node[u.keyword]
    return out


def _at(schema: Any, path: str) -> Any:
    node = schema
    for raw in path.split("/")[1:] if path else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def header_value(unenforced: list[Unenforced]) -> str:
    """The list as compact ASCII JSON ``[["uniqueItems", "/properties/tags"], ...]``, cut to fit a header
    (the response field always has all of them)."""
    items: list[list[str]] = []
    for u in unenforced:
        items.append([u.keyword, u.path])
        if len(json.dumps(items)) > HEADER_MAX_CHARS:
            items[-1] = ["...", f"{len(unenforced) - len(items) + 1} more in the response field {RESPONSE_FIELD}"]
            break
    return json.dumps(items, separators=(",", ":"))


def locate_failure(schema: dict[str, Any], fails: Callable[[Any], bool], budget: int = 160,
                   seconds: float = 2.0) -> tuple[str, str | None]:
    """Where a schema that does not compile goes wrong: ``(pointer, keyword or None)``.

    Descends into the first subschema whose replacement by ``true`` makes the schema compile, then, at the
    deepest such subschema, looks for the one keyword whose removal does. ``fails`` compiles a candidate;
    ``budget`` and ``seconds`` bound the search (a refusal costs at most that); when either runs out,
    the deepest place found so far is the answer.
    """
    deadline = time.monotonic() + seconds

    def fails_in_time(candidate: Any) -> bool:
        nonlocal budget
        budget -= 1
        if time.monotonic() > deadline:
            budget = 0
        return fails(candidate)

    path: list[str] = []
    while budget > 0:
        node = _at(schema, pointer(path))
        step = None
        # definitions first: a problem in a shared definition shows wherever it is used
        for rel, _sub in sorted(subschemas(node), key=lambda item: item[0][0] not in ("$defs", "definitions")):
            trial = copy.deepcopy(schema)
            _set(trial, path + rel, True)
            if not fails_in_time(trial):
                step = rel
                break
            if budget <= 0:
                break
        if step is None:
            break
        path += step
    node = _at(schema, pointer(path))
    if isinstance(node, dict) and budget > 0:
        for key in list(node):
            trial = copy.deepcopy(schema)
            target = _at(trial, pointer(path))
            del target[key]
            if path == [] and not target:
                continue
            if not fails_in_time(trial):
                return pointer(path), key
            if budget <= 0:
                break
    return pointer(path), None


def _set(schema: Any, parts: list[str], value: Any) -> None:
    node = schema
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
