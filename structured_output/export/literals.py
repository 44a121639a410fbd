"""Values written as Python, JavaScript, JSON or Java literals, pretty-printed the way a person
would write them in a snippet."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class _Var:
    """A value that is a variable in the generated code (an image URL read from a file)."""

    name: str


def py_str(s: str) -> str:
    """A Python string literal; multi-line text becomes a readable triple-quoted string."""
    if "\n" in s and len(s) > 60 and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", s):
        body = s.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
        if body.endswith('"'):
            body = body[:-1] + '\\"'
        return '"""\\\n' + body + '"""'
    return json.dumps(s, ensure_ascii=False)


def js_str(s: str) -> str:
    """A JavaScript string literal; multi-line text becomes a template literal."""
    if "\n" in s and len(s) > 60 and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", s):
        return "`" + s.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${") + "`"
    return json.dumps(s, ensure_ascii=False)


def java_str(s: str, indent: str) -> str:
    """A Java string literal (Java 8+); multi-line text is joined with ``+``, one line per line."""
    def lit(part: str) -> str:
        return '"' + part.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace(
            "\t", "\\t").replace("\n", "\\n") + '"'
    lines = s.split("\n")
    if len(lines) == 1:
        return lit(s)
    parts = [lit(line + "\n") for line in lines[:-1]] + ([lit(lines[-1])] if lines[-1] else [])
    return (" +\n" + indent).join(parts)


def _inline(value: Any, lang: str) -> str | None:
    if isinstance(value, _Var):
        return value.name
    if isinstance(value, str):
        return py_str(value) if lang == "python" else js_str(value) if lang == "js" else json.dumps(value)
    if isinstance(value, bool):
        return ("True" if value else "False") if lang == "python" else ("true" if value else "false")
    if value is None:
        return "None" if lang == "python" else "null"
    if isinstance(value, int | float):
        return json.dumps(value)
    return None


def _key(k: str, lang: str) -> str:
    if lang == "js" and re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", k):
        return k
    return json.dumps(k, ensure_ascii=False)


def literal(value: Any, lang: str, level: int = 0, width: int = 88) -> str:
    """``value`` as a Python (``lang="python"``) or JavaScript (``"js"``) literal, pretty-printed
    with 4-space indents, short containers kept on one line."""
    simple = _inline(value, lang)
    if simple is not None:
        return simple
    flat = _flat(value, lang)
    if flat is not None and "\n" not in flat and len(flat) + 4 * level <= width:
        return flat
    pad, end = "    " * (level + 1), "    " * level
    if isinstance(value, dict):
        items = [f"{pad}{_key(k, lang)}: {literal(v, lang, level + 1, width)}" for k, v in value.items()]
        return "{}" if not items else "{\n" + ",\n".join(items) + ",\n" + end + "}"
    if isinstance(value, list | tuple):
        items = [pad + literal(v, lang, level + 1, width) for v in value]
        return "[]" if not items else "[\n" + ",\n".join(items) + ",\n" + end + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a literal")


def _flat(value: Any, lang: str) -> str | None:
    """``value`` on one line (the caller decides whether it is short enough)."""
    simple = _inline(value, lang)
    if simple is not None:
        return simple
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k, lang)}: {_flat(v, lang)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(_flat(v, lang)) for v in value) + "]"
    return None
