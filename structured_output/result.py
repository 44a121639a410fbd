"""From a raw response to what the user judges: content → parsed JSON → schema validation → verdict."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from jsonschema import SchemaError
from jsonschema.validators import validator_for

from structured_output import jsontext
from structured_output.errors import CallError


@dataclass
class ParseOutcome:
    """A strict ``json.loads`` of the content, and what a lenient reading would have recovered."""

    ok: bool
    value: Any = None
    error: str = ""
    line: int | None = None
    column: int | None = None
    lenient_value: Any = None
    lenient_method: str = ""  # e.g. "```json fence stripped"; empty when lenient extraction found nothing

    @property
    def lenient_ok(self) -> bool:
        return bool(self.lenient_method)


@dataclass
class ValidationRow:
    path: str
    message: str
    keyword: str
    schema_path: str
    parts: tuple[str | int, ...] = ()  # the path as keys and indexes, to find it in the answer's text
    schema_parts: tuple[str | int, ...] = ()  # the schema path likewise, to find it in the schema's text


@dataclass
class ValidationOutcome:
    checked: bool  # False when there was no usable schema or nothing parsed
    errors: list[ValidationRow] = field(default_factory=list)
    note: str = ""

    @property
    def valid(self) -> bool:
        return self.checked and not self.errors


@dataclass
class Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None

    @property
    def total_tokens(self) -> int | None:
        if self.input_tokens is None and self.output_tokens is None:
            return None
        return (self.input_tokens or 0) + (self.output_tokens or 0)


@dataclass
class EngineNotes:
    """What the local engine did besides running the model, as its response headers say: the keys it
    steered a JSON Object answer towards (read from the instruction) and the text its OCR read from the
    images (the model reads no pixels). Empty for any other server."""

    steered_keys: list[str] = field(default_factory=list)
    ocr_note: str = ""
    ocr_text: str = ""

    def __bool__(self) -> bool:
        return bool(self.steered_keys or self.ocr_note or self.ocr_text)


@dataclass
class RunResult:
    """One run, kept whole: the raw response as received and everything derived from it."""

    raw: Any = None  # the response body (dict), or the list of stream chunks, exactly as received
    content: str | None = None
    reasoning: str = ""
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    request_id: str | None = None
    served_by: str = ""  # e.g. the local engine's model header
    engine: EngineNotes = field(default_factory=EngineNotes)  # what the local engine did beyond the model
    latency_s: float | None = None
    ttft_s: float | None = None
    retries: int = 0
    error: CallError | None = None
    parse: ParseOutcome | None = None
    validation: ValidationOutcome | None = None

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"

    @property
    def verdict(self) -> str:
        """A one-word summary for history rows and batch tables."""
        if self.error is not None:
            return "error"
        if self.parse is None or not self.parse.ok:
            return "truncated" if self.truncated else "not JSON"
        if self.validation is not None and self.validation.checked:
            return "valid" if self.validation.valid else "invalid"
        return "parsed"


# ---------------------------------------------------------------- content extraction

def content_of(body: dict[str, Any]) -> str | None:
    """The assistant text from either response shape (OpenAI ``choices`` or native ``output``),
    including the multimodal list of ``{"text": …}`` items."""
    choices = body.get("choices") or (body.get("output") or {}).get("choices")
    if choices:
        message = choices[0].get("message") or {}
        return text_of(message.get("content"))
    output = body.get("output") or {}
    return output.get("text")


def text_of(content: Any) -> str | None:
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(item.get("text", "")) for item in content if isinstance(item, dict))
    return str(content)


# ---------------------------------------------------------------- parsing

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


def parse_content(content: str | None) -> ParseOutcome:
    if content is None:
        return ParseOutcome(ok=False, error="The response has no content.")
    try:
        return ParseOutcome(ok=True, value=jsontext.loads(content))
    except jsontext.JSONTextError as e:
        outcome = ParseOutcome(ok=False, error=e.msg, line=e.line, column=e.column)
    value, method = lenient_extract(content)
    outcome.lenient_value, outcome.lenient_method = value, method
    return outcome


def lenient_extract(text: str) -> tuple[Any, str]:
    """What a forgiving parser recovers: a fenced block first, then the first JSON value in the text."""
    for m in _FENCE.finditer(text):
        try:
            return jsontext.loads(m.group(1)), "```json fence stripped"
        except jsontext.JSONTextError:
            pass
    decoder = json.JSONDecoder()
    for m in re.finditer(r"[{\[]", text):
        try:
            value, _ = decoder.raw_decode(text, m.start())
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(value, dict | list) and value:
            return value, f"first JSON value taken from position {m.start()} of the text"
    return None, ""


# ---------------------------------------------------------------- validation

def json_path(parts: Any) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if re.fullmatch(r"[A-Za-z_]\w*", str(p)) else f"[{p!r}]")
    return out


_CHECKED_SCHEMAS: dict[str, None] = {}  # schemas that passed meta-validation (a batch checks one schema per row)
_CHECKED_MAX = 256
_CHECKED_LOCK = threading.Lock()  # live batch rows validate in a thread pool


def _check_schema(cls: Any, schema: dict[str, Any]) -> None:
    """``cls.check_schema``, remembered for schemas that passed: meta-validation was most of a batch row's
    validation time (about 15 ms a row on a busy 2-core machine), and the schema is the same on every row.
    A schema that fails is checked again each time, so its ``SchemaError`` is raised each time."""
    try:
        key = f"{cls.__name__}:{json.dumps(schema, sort_keys=True)}"
    except (TypeError, ValueError):
        cls.check_schema(schema)
        return
    if key in _CHECKED_SCHEMAS:
        return
    cls.check_schema(schema)
    with _CHECKED_LOCK:
        if len(_CHECKED_SCHEMAS) >= _CHECKED_MAX:
            _CHECKED_SCHEMAS.pop(next(iter(_CHECKED_SCHEMAS)))
        _CHECKED_SCHEMAS[key] = None


def validate(value: Any, schema: dict[str, Any] | None) -> ValidationOutcome:
    """jsonschema validation in the schema's own draft, with format checks on."""
    if schema is None:
        return ValidationOutcome(checked=False, note="No schema to check against.")
    cls = validator_for(schema)
    try:
        _check_schema(cls, schema)
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        rows = [
            ValidationRow(json_path(err.absolute_path), err.message, str(err.validator),
                          "/".join(str(p) for p in err.absolute_schema_path) or "(root)",
                          tuple(err.absolute_path), tuple(err.absolute_schema_path))
            for err in validator.iter_errors(value)
        ]
    except SchemaError as e:
        return ValidationOutcome(checked=False, note=f"The schema itself is invalid: {e.message}")
    except RecursionError:
        return ValidationOutcome(checked=False, note="The schema or the value nests too deeply to check.")
    except Exception as e:  # a $ref that cannot be resolved, an unknown format's checker failing, …
        return ValidationOutcome(checked=False, note=f"The schema could not be applied: {type(e).__name__}: {e}")
    rows.sort(key=lambda r: (r.path, r.schema_path))
    return ValidationOutcome(checked=True, errors=rows)


def finish(result: RunResult, schema: dict[str, Any] | None) -> RunResult:
    """Fill in parse and validation once the content is known."""
    if result.error is None:
        result.parse = parse_content(result.content)
        if result.parse.ok:
            result.validation = validate(result.parse.value, schema)
    return result
