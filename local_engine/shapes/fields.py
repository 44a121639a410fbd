"""Typed readers for request fields. Bodies are read by hand rather than by a model class so that every
mistake gets one sentence naming the field and what was expected, instead of a validation dump."""

from __future__ import annotations

import json
import math
from typing import Any

from local_engine.errors import bad_request

_MISSING = object()


def parse_json_body(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400 that says what is wrong with it."""
    if not raw.strip():
        raise bad_request("The request body is empty; send a JSON object.")
    try:
        body = json.loads(raw)
    except UnicodeDecodeError:
        raise bad_request("The request body is not UTF-8 text; send a JSON object.") from None
    except json.JSONDecodeError as e:
        raise bad_request(f"The request body is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}.") \
            from None
    except RecursionError:  # Python's parser recurses: thousands of nested [ or { exhaust the stack
        raise bad_request(f"The request body nests too deeply to read (more than about "
                          f"{MAX_BODY_DEPTH} levels); send a flatter JSON object.") from None
    if not isinstance(body, dict):
        raise bad_request(f"The request body must be a JSON object, not {type_name(body)}.")
    if _depth(body) > MAX_BODY_DEPTH:
        raise bad_request(f"The request body nests more than {MAX_BODY_DEPTH} levels deep; send a flatter JSON "
                          "object (a JSON Schema may nest at most 64 levels).")
    where = _lone_surrogate(body)
    if where is not None:
        # JSON may spell half of a UTF-16 pair (\ud800) on its own; such a string is not text, and the
        # tokenizer (UTF-8) would fail on it much later, so it is refused here with its place.
        raise bad_request(f"`{where}` holds a lone UTF-16 surrogate escape (such as \\ud800), which is not a "
                          "Unicode character; send valid text.", where)
    return body


MAX_BODY_DEPTH = 128  # a 64-level JSON Schema inside response_format, with room to spare


def _depth(value: Any) -> int:
    """Nesting depth without recursion, stopping once past ``MAX_BODY_DEPTH``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > MAX_BODY_DEPTH:
            break
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((c, d + 1) for c in children)
    return deepest


def _lone_surrogate(body: dict[str, Any]) -> str | None:
    """The dotted path of the first key or string that cannot be encoded as UTF-8, if any."""
    stack: list[tuple[Any, str]] = [(body, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if not _utf8_ok(node):
                return path or "(body)"
        elif isinstance(node, dict):
            for k, v in node.items():
                key_path = f"{path}.{k}" if path else str(k)
                if not _utf8_ok(str(k)):
                    return path or "(body)"
                stack.append((v, key_path))
        elif isinstance(node, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node))
    return None


def _utf8_ok(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def get_obj(d: dict[str, Any], key: str, where: str, *, required: bool = False) -> dict[str, Any] | None:
    value = d.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise bad_request(f"`{where}` is required and must be an object.", where)
        return None
    if not isinstance(value, dict):
        raise bad_request(f"`{where}` must be an object, not {type_name(value)}.", where)
    return value


def get_str(d: dict[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = d.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise bad_request(f"`{where}` is required and must be a string.", where)
        return None
    if not isinstance(value, str):
        raise bad_request(f"`{where}` must be a string, not {type_name(value)}.", where)
    return value


def get_bool(d: dict[str, Any], key: str, where: str) -> bool | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise bad_request(f"`{where}` must be true or false, not {type_name(value)}.", where)
    return value


def get_int(d: dict[str, Any], key: str, where: str, *, lo: int | None = None, hi: int | None = None) -> int | None:
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"`{where}` must be an integer, not {type_name(value)}.", where)
    if lo is not None and value < lo:
        raise bad_request(f"`{where}` must be at least {lo}; got {value}.", where)
    if hi is not None and value > hi:
        raise bad_request(f"`{where}` must be at most {hi}; got {value}.", where)
    return value


def get_float(d: dict[str, Any], key: str, where: str, *, lo: float | None = None, hi: float | None = None,
              lo_open: bool = False) -> float | None:
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"`{where}` must be a number, not {type_name(value)}.", where)
    if not math.isfinite(value):  # Python's json reads NaN and Infinity, which JSON itself does not have
        raise bad_request(f"`{where}` must be a finite number, not {value}.", where)
    value = float(value)
    if lo is not None and (value < lo or (lo_open and value == lo)):
        bound = f"greater than {lo:g}" if lo_open else f"at least {lo:g}"
        raise bad_request(f"`{where}` must be {bound}; got {value:g}.", where)
    if hi is not None and value > hi:
        raise bad_request(f"`{where}` must be at most {hi:g}; got {value:g}.", where)
    return value


def get_stop(d: dict[str, Any], key: str, where: str) -> list[str]:
    value = d.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        if len(value) > 4:
            raise bad_request(f"`{where}` takes at most 4 stop strings; got {len(value)}.", where)
        return [s for s in value if s]
    raise bad_request(f"`{where}` must be a string or an array of strings.", where)
