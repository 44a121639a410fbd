"""``json.loads`` with one error shape: syntax errors and too-deep nesting both say where."""

from __future__ import annotations

import json
from typing import Any

MAX_SCHEMA_CHARS = 500_000
MAX_SCHEMA_DEPTH = 64


class JSONTextError(ValueError):
    def __init__(self, msg: str, line: int, column: int) -> None:
        super().__init__(f"{msg} (line {line}, column {column})")
        self.msg, self.line, self.column = msg, line, column


def loads(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise JSONTextError(e.msg, e.lineno, e.colno) from None
    except RecursionError:
        raise JSONTextError("nested too deeply to read", 1, 1) from None


def depth(value: Any, limit: int = MAX_SCHEMA_DEPTH) -> int:
    """Nesting depth, counted without recursion and stopping once past ``limit``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((c, d + 1) for c in children)
    return deepest
