"""An answer read while it streams: the partial JSON value so far (``partial-json-parser``), so the
Parsed panel can show keys appearing as the model writes them.

Only a display: the strict parse and the validation run once, on the finished answer
(``structured_output.result.finish``); a partial value is never validated, since a half-written answer
misses required keys by nature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from partial_json_parser import Allow, loads

_LEAD = re.compile(r"\s*(?:```(?:json|JSON)?\s*)?")  # white space and an opening Markdown fence


@dataclass
class PartialValue:
    """The value read from the text so far and how much of it there is."""

    value: Any
    keys: int  # object keys seen so far, at every depth
    skipped: str  # what was passed over before the JSON began (white space, a fence)


def count_keys(value: Any) -> int:
    n, stack = 0, [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            n += len(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return n


def read_partial(text: str) -> PartialValue | None:
    """The JSON value in a streamed answer's first ``len(text)`` characters, or None when the text does
    not start like JSON (plain prose) or cannot be read yet."""
    lead = _LEAD.match(text)
    skipped = lead.group(0) if lead else ""
    body = text[len(skipped):]
    if not body or body[0] not in "{[":
        return None
    body = body.split("```", 1)[0]  # a closing fence ends it
    try:
        value = loads(body, Allow.ALL)
    except Exception:  # the library raises its own and json's errors on text it cannot complete yet
        return None
    if not isinstance(value, dict | list):
        return None
    return PartialValue(value, count_keys(value), skipped)
