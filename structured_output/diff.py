"""Differences between two outputs: a structural JSON diff (keys, types, values) and a text diff.

Used to compare two runs of the history, and by the presets page to mark where a live result
differs from the documented one.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any, Literal

from structured_output.result import json_path

DiffKind = Literal["added", "removed", "type", "value"]


@dataclass(frozen=True)
class DiffRow:
    """One difference at ``path``: a key only on the right (added), only on the left (removed),
    a different JSON type, or the same type with a different value."""

    path: str
    kind: DiffKind
    left: Any = None
    right: Any = None


def json_type(value: Any) -> str:
    """The JSON name of a Python value's type (bool before int: True is an int in Python)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def json_diff(left: Any, right: Any) -> list[DiffRow]:
    """Every difference between two JSON values, in document order; empty when they are equal.

    1 and 1.0 count as the same number but a different type ("integer" vs "number"), because a schema
    with ``"type": "integer"`` tells them apart.
    """
    rows: list[DiffRow] = []

    def walk(a: Any, b: Any, parts: list[Any]) -> None:
        ta, tb = json_type(a), json_type(b)
        if ta != tb:
            rows.append(DiffRow(json_path(parts), "type", a, b))
        elif isinstance(a, dict):
            for k in a:
                if k not in b:
                    rows.append(DiffRow(json_path([*parts, k]), "removed", a[k], None))
                else:
                    walk(a[k], b[k], [*parts, k])
            for k in b:
                if k not in a:
                    rows.append(DiffRow(json_path([*parts, k]), "added", None, b[k]))
        elif isinstance(a, list):
            for i in range(max(len(a), len(b))):
                if i >= len(b):
                    rows.append(DiffRow(json_path([*parts, i]), "removed", a[i], None))
                elif i >= len(a):
                    rows.append(DiffRow(json_path([*parts, i]), "added", None, b[i]))
                else:
                    walk(a[i], b[i], [*parts, i])
        elif a != b:
            rows.append(DiffRow(json_path(parts), "value", a, b))

    walk(left, right, [])
    return rows


def short(value: Any, limit: int = 80) -> str:
    """A value as compact JSON text for a table cell."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def diff_table(rows: list[DiffRow]) -> list[dict[str, str]]:
    """Rows ready for a table: path, what changed, left, right (absent sides are empty)."""
    return [{"path": r.path, "change": r.kind,
             "left": "" if r.kind == "added" else short(r.left),
             "right": "" if r.kind == "removed" else short(r.right)} for r in rows]


def text_diff(left: str, right: str, left_name: str = "A", right_name: str = "B") -> str:
    """A unified diff of two texts, pretty-printing each first when it is JSON so keys line up."""
    a, b = _pretty(left), _pretty(right)
    lines = difflib.unified_diff(a.splitlines(), b.splitlines(), left_name, right_name, lineterm="", n=2)
    return "\n".join(lines)


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False, sort_keys=True)
    except (ValueError, RecursionError):
        return text


# ---------------------------------------------------------------- documented result vs live result

DocumentedDiffKind = Literal["missing", "extra", "type", "value"]
_DOCUMENTED_KIND: dict[str, DocumentedDiffKind] = {"removed": "missing", "added": "extra", "type": "type",
                                                   "value": "value"}


@dataclass(frozen=True)
class DocumentedDiffRow:
    """One way a live result differs from what the reference documents: a key the documentation has
    and the live result lacks (missing), one only the live result has (extra), a different JSON type,
    or a different value. Named from the documentation's side, so the presets and compare pages read
    "what did the model do differently from the docs"."""

    path: str
    kind: DocumentedDiffKind
    documented: Any = None
    live: Any = None


def documented_diff(documented: Any, live: Any) -> list[DocumentedDiffRow]:
    """``json_diff`` with the documented result on the left and the live one on the right."""
    return [DocumentedDiffRow(r.path, _DOCUMENTED_KIND[r.kind], r.left, r.right) for r in json_diff(documented, live)]


def keyed_leaves(value: Any, key: str | None = None) -> list[tuple[str, Any]]:
    """(key, scalar) for every value stored under a key, however deeply nested (list items take the
    key of their list); ``null`` values are skipped: they say nothing was found."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in keyed_leaves(v, str(k))]
    if isinstance(value, list):
        return [leaf for v in value for leaf in keyed_leaves(v, key)]
    return [] if key is None or value is None else [(key, value)]


def _same_scalar(a: Any, b: Any) -> bool:
    """Equal as JSON, or as text ("8.00" and 8.0, "371" and 371), ignoring case and outer spaces."""
    if a == b and json_type(a) == json_type(b):
        return True
    try:
        return float(str(a)) == float(str(b))
    except ValueError:
        return str(a).strip().lower() == str(b).strip().lower()


def _norm_key(key: str) -> str:
    return "".join(ch for ch in key.lower() if ch not in " _-")


def documented_values_found(documented: Any, live: Any) -> tuple[int, int]:
    """How many of the documented keyed values the live result holds under the same key (``seat_num``
    and ``Seat Num`` alike), anywhere: a result that nests differently can still carry every value."""
    wanted = keyed_leaves(documented)
    pool = [(_norm_key(k), v) for k, v in keyed_leaves(live)]
    found = 0
    for key, value in wanted:
        hit = next((i for i, (k, v) in enumerate(pool) if k == _norm_key(key) and _same_scalar(value, v)), None)
        if hit is not None:
            found += 1
            pool.pop(hit)  # each live value answers for one documented value
    return found, len(wanted)


def documented_diff_table(rows: list[DocumentedDiffRow]) -> list[dict[str, str]]:
    """Rows ready for a table: path, kind, documented, live (an absent side is empty)."""
    return [{"path": r.path, "kind": r.kind,
             "documented": "" if r.kind == "extra" else short(r.documented),
             "live": "" if r.kind == "missing" else short(r.live)} for r in rows]


def diff_counts(rows: list[DocumentedDiffRow]) -> dict[str, int]:
    """How many differences of each kind, for a one-line summary ("2 missing, 1 value")."""
    counts = {k: 0 for k in ("missing", "extra", "type", "value")}
    for r in rows:
        counts[r.kind] += 1
    return counts
