"""Reading an error body for what it says: a server that refuses a parameter the playground sent
(``response_format`` of a type it does not know, ``stream_options``, ``logprobs``, …) has answered for
good, whatever its status code. llama-cpp-python's server, for one, answers JSON Schema mode with an
HTTP 500 whose body is a validation error ("Input should be 'text' or 'json_object'"): a status-only
reading calls that transient and retries it, and the user is told to run again later.

``unsupported_parameter`` finds such a refusal in the message text (any status, either protocol) and
says what is not supported and what the server accepts; ``should_not_retry`` is the same reading
for the retry decision, made on the raw body before the SDK decides to retry."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# The request fields the playground may send that a server can refuse. A message that names none of
# them is about something else (a bad model name, a prompt too long) and keeps its status reading.
PARAMETERS = ("response_format", "json_schema", "json_object", "stream_options", "enable_thinking",
              "top_logprobs", "logprobs")
_NAMED = re.compile(r"\b(" + "|".join(PARAMETERS) + r")\b")
# Words that say a field or one of its values is refused, as validators and servers word it.
_REFUSED = re.compile(
    r"not support|unsupported|not supported|input should be|must be one of|literal_error|extra inputs are not "
    r"permitted|extra_forbidden|unrecognized|unrecognised|unknown (field|parameter|argument|key)|not allowed|"
    r"not permitted|invalid (value|type|choice)|is not a valid|no such (field|parameter)",
    re.IGNORECASE)
# What the server says it accepts, in the usual wordings ("Input should be 'text' or 'json_object'",
# "must be one of ...", "'expected': ...", "supported types are ...").
_ACCEPTS = (
    re.compile(r"input should be ([^\"\n}]+)", re.IGNORECASE),
    re.compile(r"must be one of:?\s*(.+?)(?:,?\s*but\b|[;\n]|\.\s|$)", re.IGNORECASE),
    re.compile(r"supported (?:values|types|formats) (?:are|is)\s*:?\s*([^\"\n}]+)", re.IGNORECASE),
    re.compile(r"expected['\"]?\s*:\s*\"([^\"\n}]+)\"", re.IGNORECASE),
)
# Messages that name response_format but are about something the user can change in the request:
# the documented JSON keyword rule and structured output in thinking mode keep their own advice.
_OWN_ADVICE = re.compile(r"must contain the word 'json'|thinking", re.IGNORECASE)
_TYPE_VALUE = re.compile(r"\b(json_schema|json_object)\b")
_FOR_MODEL = re.compile(r"^`[^`]+` does not|\bthis model\b|\bfor (the )?model\b", re.IGNORECASE)


@dataclass(frozen=True)
class Refusal:
    """A parameter (or one of its values) the server does not accept, and what it accepts instead."""

    what: str  # e.g. "response_format type 'json_schema'"
    accepts: str  # e.g. "'text' or 'json_object'"; empty when the message does not say


def unsupported_parameter(message: str) -> Refusal | None:
    """The refusal ``message`` states, or None when it is about something else."""
    if not message or _OWN_ADVICE.search(message):
        return None
    named = _NAMED.findall(message)
    if not named or not _REFUSED.search(message):
        return None
    accepts = ""
    for pattern in _ACCEPTS:
        m = pattern.search(message)
        if m:
            accepts = re.split(r"', '|'\}|', \"", m.group(1))[0].strip().rstrip(".,;:").strip()
            break
    refused_value = _refused_type(message, accepts)
    if "response_format" in named or refused_value:
        what = f"response_format type '{refused_value}'" if refused_value else "this response_format"
    else:
        what = f"the `{named[0]}` parameter"
    if _FOR_MODEL.search(message):  # refused for one model (DashScope, the local engine), maybe not for others
        what += " for this model"
    return Refusal(what, accepts)


def _refused_type(message: str, accepts: str) -> str:
    """The response_format type the message refuses: one it names that is not among those it accepts."""
    for echo in (r"['\"]input['\"]\s*:\s*['\"](\w+)['\"]",  # pydantic's echo of the value sent
                 r"\b(?:but got|got|received)\b[:\s]+['\"]?(\w+)"):
        m = re.search(echo, message, re.IGNORECASE)
        if m and _TYPE_VALUE.fullmatch(m.group(1)):
            return m.group(1)
    for value in _TYPE_VALUE.findall(message):
        if value not in accepts:
            return value
    return ""


def hint(refusal: Refusal, status: int) -> str:
    """What to tell the user: not transient, what the server takes, and what to do instead."""
    accepts = f" It accepts {refusal.accepts}." if refusal.accepts else ""
    if "json_schema" in refusal.what and "json_object" in refusal.accepts:
        advice = (" Use JSON Object mode here (the playground still validates the output against the schema "
                  "in the editor), or a server that supports JSON Schema mode.")
    elif "response_format" in refusal.what:
        advice = " Pick another mode, or a server that supports this one."
    else:
        advice = " Leave that setting off for this server."
    return (f"This server does not support {refusal.what} (it said so with HTTP {status}); this is not a "
            f"passing failure, so it was not retried and running again will not change it.{accepts}{advice}")


def should_not_retry(body: bytes | str) -> bool:
    """Whether an error body is a refusal (see above): retrying it is wasted time."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        inner = parsed.get("error") if isinstance(parsed.get("error"), dict) else parsed
        text = str(inner.get("message") or inner.get("detail") or text)
    return unsupported_parameter(text) is not None
