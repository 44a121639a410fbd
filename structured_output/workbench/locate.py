"""Where a JSON path is in a JSON text: the characters of the value (with its key, for an object
member) so an error can be pointed at in the answer as the model wrote it, in the parsed result as
shown, and in the schema editor (a schema path is a JSON path into the schema's text).

A small scanner over the text rather than a re-serialisation: the answer's own spacing, key order and
duplicates are what the user reads in the raw panel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

_WS = " \t\n\r"
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class Span:
    start: int  # offset of the first character (the key's quote for an object member)
    end: int  # offset past the last character of the value

    def line_col(self, text: str) -> tuple[int, int]:
        """1-based line and column of the start."""
        return line_col(text, self.start)


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def offset_of(text: str, line: int, column: int) -> int:
    """The offset of a 1-based line and column (clamped to the text)."""
    lines = text.split("\n")
    line = max(1, min(line, len(lines)))
    return min(len(text), sum(len(x) + 1 for x in lines[:line - 1]) + max(0, column - 1))


def _ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _value_end(text: str, i: int) -> int:
    """Offset past the JSON value that starts at ``i``."""
    _, end = _DECODER.raw_decode(text, i)
    return end


def find(text: str, parts: tuple[str | int, ...] | list[str | int]) -> Span | None:
    """The span of the value at ``parts`` in the JSON ``text`` (the whole value for ``()``), or None when the
    text is not JSON or has no such path. The first JSON value in the text is read (white space or a fence
    before it is passed over)."""
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        return None
    i = min(starts)
    try:
        return _find(text, i, list(parts), None)
    except (ValueError, IndexError, RecursionError):
        return None


def _find(text: str, i: int, parts: list[str | int], key_start: int | None) -> Span | None:
    i = _ws(text, i)
    if not parts:
        return Span(key_start if key_start is not None else i, _value_end(text, i))
    want, rest = parts[0], parts[1:]
    if text[i] == "{" and isinstance(want, str):
        i = _ws(text, i + 1)
        while text[i] != "}":
            k_start = i
            key, i = _DECODER.raw_decode(text, i)
            i = _ws(text, i)
            if text[i] != ":":
                raise ValueError(f"expected ':' at offset {i}")
            v_start = _ws(text, i + 1)
            if key == want:
                return _find(text, v_start, rest, k_start if not rest else None)
            i = _ws(text, _value_end(text, v_start))
            if text[i] == ",":
                i = _ws(text, i + 1)
        return None
    if text[i] == "[" and isinstance(want, int):
        i = _ws(text, i + 1)
        n = 0
        while text[i] != "]":
            if n == want:
                return _find(text, i, rest, None)
            i = _ws(text, _value_end(text, i))
            if text[i] == ",":
                i = _ws(text, i + 1)
            n += 1
        return None
    return None
