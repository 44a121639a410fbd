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
        raise JSONTextError(e.msg + _real_mistake(text, e), e.lineno, e.colno) from None
    except RecursionError:
        raise JSONTextError("nested too deeply to read", 1, 1) from None


def _real_mistake(text: str, e: json.JSONDecodeError) -> str:
    """Where the mistake probably is when the parser notices it only later: a comma missing at the end of
    the line before, or a bracket never closed (named with the line and column where it opened)."""
    if e.pos >= len(text.rstrip()):  # the text ended first: a bracket was never closed
        opened = _open_brackets(text)
        if not opened:
            return ""
        char, at = opened[-1]
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        return f"; the `{char}` opened at line {line}, column {column} is never closed"
    before = text[: e.pos]
    line_start = before.rfind("\n") + 1
    if e.msg == "Expecting ',' delimiter" and not before[line_start:].strip() and line_start > 0:
        prev_line = before[: line_start - 1].rstrip().count("\n") + 1
        return f"; a comma is probably missing at the end of line {prev_line}"
    return ""


def _open_brackets(text: str) -> list[tuple[str, int]]:
    """The brackets still open at the end of ``text`` (strings skipped), with their offsets."""
    stack: list[tuple[str, int]] = []
    in_string = escaped = False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append((ch, i))
        elif ch in "}]" and stack:
            stack.pop()
    return stack


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
