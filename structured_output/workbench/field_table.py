"""The schema as a table of fields (name, type, required, description, enum values), for the common case,
two-way with the JSON text: ``to_rows`` reads a schema into rows, ``to_schema`` writes rows back.

A nested field is named by its path: ``address.city`` is the field ``city`` of the object ``address``, and
``tags[]`` the items of the array ``tags`` (``items[].sku`` a field of an array's objects). A schema with
anything the table cannot show (another keyword, a type list, a ``$ref``) is refused with the reason, so
the JSON editor stays the only one and nothing is silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TYPES = ("string", "number", "integer", "boolean", "object", "array")  # the reference's list, enum aside
OBJECT_KEYS = {"type", "properties", "required", "additionalProperties", "description"}
LEAF_KEYS = {"type", "description", "enum", "items"}


class TableError(ValueError):
    """A schema the table cannot show, or rows that make no schema: what, where and how to fix."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass
class FieldRow:
    field: str  # the path: name, parent.name, list[] or list[].name
    type: str
    required: bool = True
    description: str = ""
    enum: str = ""  # comma-separated values (strings), empty for none


def _unsupported(what: str, where: str) -> TableError:
    return TableError(f"The table cannot show {what} at {where}.",
                      "Edit the schema as JSON; the table shows name, type, required, description, enum values, "
                      "nested objects and arrays.")


def to_rows(schema: Any) -> tuple[list[FieldRow], bool]:
    """The fields of ``schema`` and whether its objects set ``additionalProperties: false`` (all of them do,
    or none: the table has one switch for it)."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise _unsupported('a schema whose top is not {"type": "object"}', "the top")
    rows: list[FieldRow] = []
    closed: set[bool] = set()

    def obj(node: dict[str, Any], prefix: str, where: str) -> None:
        extra = set(node) - OBJECT_KEYS
        if extra:
            raise _unsupported(f"`{sorted(extra)[0]}`", where)
        ap = node.get("additionalProperties")
        if ap not in (None, False):
            raise _unsupported(f"additionalProperties {ap!r}", where)
        closed.add(ap is False)
        props = node.get("properties", {})
        required = node.get("required", [])
        if not isinstance(props, dict) or not isinstance(required, list) or set(required) - set(props):
            raise _unsupported("a required name that is not a property", where)
        for name, sub in props.items():
            if not isinstance(name, str) or not name or any(c in name for c in ".[]"):
                raise _unsupported(f"the field name {name!r} (empty, or with . [ ])", where)
            leaf(sub, f"{prefix}{name}", name in required, f"{where}.{name}")

    def leaf(node: Any, path: str, required: bool, where: str) -> None:
        if not isinstance(node, dict):
            raise _unsupported("a schema that is not an object", where)
        t = node.get("type")
        if isinstance(t, list) or t not in TYPES:
            raise _unsupported(f"the type {t!r}", where)
        desc = node.get("description", "")
        if not isinstance(desc, str):
            raise _unsupported("a description that is not text", where)
        if t == "object":
            rows.append(FieldRow(path, t, required, desc))
            obj(node, f"{path}.", where)
            return
        extra = set(node) - LEAF_KEYS
        if extra:
            raise _unsupported(f"`{sorted(extra)[0]}`", where)
        enum = node.get("enum")
        if enum is not None and (t != "string" or not all(isinstance(v, str) and "," not in v for v in enum)):
            raise _unsupported("enum values that are not strings without commas", where)
        rows.append(FieldRow(path, t, required, desc, ", ".join(enum or [])))
        if t == "array":
            items = node.get("items")
            if not isinstance(items, dict):
                raise _unsupported("an array without one items schema", where)
            leaf(items, f"{path}[]", True, f"{where}[*]")
        elif "items" in node:
            raise _unsupported("`items` on a non-array", where)

    obj(schema, "", "$")
    if len(closed) > 1:
        raise _unsupported("additionalProperties false on some objects and not others", "$")
    return rows, closed == {True}


def to_schema(rows: list[FieldRow], closed: bool = True) -> dict[str, Any]:
    """The JSON Schema the rows describe (``closed``: ``additionalProperties: false`` on every object)."""
    def new_object() -> dict[str, Any]:
        node: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        if closed:
            node["additionalProperties"] = False
        return node

    root = new_object()
    nodes: dict[str, dict[str, Any]] = {"": root}
    for n, row in enumerate(rows, start=1):
        path = (row.field or "").strip()
        where = f"row {n} ({path or 'no name'})"
        if not path:
            raise TableError(f"Row {n} has no field name.", "Name the field, or delete the row.")
        if path in nodes:
            raise TableError(f"{where.capitalize()}: the field is listed twice.", "Delete one of the rows.")
        if row.type not in TYPES:
            raise TableError(f"{where.capitalize()}: the type {row.type!r} is not one of {', '.join(TYPES)}.",
                             "Pick a type from the list.")
        if path.endswith("[]"):
            parent_path, name = path[:-2], None
        else:
            parent_path, _, name = path.rpartition(".")
            if "[" in name or "]" in name or not name:
                raise TableError(f"{where.capitalize()}: a name cannot hold [ or ] except a final [] for items.",
                                 "Use list[] for an array's items and list[].name for their fields.")
        parent = nodes.get(parent_path)
        if parent is None:
            kind = "an array" if name is None else "an object or an array's items"
            raise TableError(f"{where.capitalize()}: there is no row for {parent_path!r} before it ({kind}).",
                             f"Add a row {parent_path!r} above it, of type {'array' if name is None else 'object'}.")
        node: dict[str, Any] = new_object() if row.type == "object" else {"type": row.type}
        if row.description:
            node = {"type": node.pop("type"), "description": row.description, **node}
        values = [v.strip() for v in (row.enum or "").split(",") if v.strip()]
        if values:
            if row.type != "string":
                raise TableError(f"{where.capitalize()}: enum values are for string fields.",
                                 "Make the type string, or clear the enum values.")
            node["enum"] = values
        if name is None:
            if parent.get("type") != "array" or "items" in parent:
                raise TableError(f"{where.capitalize()}: {parent_path!r} is not an array, or has items already.",
                                 f"Make {parent_path!r} an array with one items row.")
            parent["items"] = node
        else:
            if parent.get("type") != "object":
                raise TableError(f"{where.capitalize()}: {parent_path!r} is not an object.",
                                 f"Make {parent_path!r} an object (or {parent_path}[] for an array's items).")
            parent["properties"][name] = node
            if row.required:
                parent["required"].append(name)
        nodes[path] = node
    for path, node in nodes.items():
        if node.get("type") == "array" and "items" not in node:
            raise TableError(f"The array {path!r} has no items row.", f"Add a row {path}[] with the items' type.")
        if node.get("required") == []:
            del node["required"]
    return root
