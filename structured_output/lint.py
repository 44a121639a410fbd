"""What is wrong with a ``Request`` before it is sent: ``lint`` for the whole request,
``lint_schema_text`` for the schema editor alone (shown as the user types). Each ``Finding`` says
what, where and how to fix it; ``blocking`` ones keep the request from being sent at all."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote

from jsonschema import SchemaError
from jsonschema.validators import validator_for

from structured_output import jsontext
from structured_output.catalog import load_catalog
from structured_output.request import IMAGE_MIME_TYPES, MAX_IMAGE_BYTES, MODE_LABELS, Request
from structured_output.sources import load_sources

# The reference's error text, word for word.
MISSING_JSON_ERROR = (
    "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."
)


Level = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    """One problem found before sending. ``blocking`` means the request cannot be sent at all;
    other errors are what the server will refuse, which the user may still send to see it."""

    level: Level
    code: str
    message: str
    hint: str
    where: str = ""
    line: int | None = None
    column: int | None = None
    blocking: bool = False
    source: str = ""  # where the rule comes from: a reference section, another provider's rules, …
    quote: str = ""  # the reference's own words the rule rests on, when it is the reference's

    def __post_init__(self) -> None:
        if not self.source and (rule := load_sources().rules.get(self.code)) is not None:
            object.__setattr__(self, "source", rule.label)
            if not self.quote:
                object.__setattr__(self, "quote", rule.quote)


def mentions_json(req: Request) -> bool:
    return bool(re.search("json", f"{req.system_prompt}\n{req.user_text}", re.IGNORECASE))


def lint_schema_text(schema_text: str, strict: bool = True, *, advice: bool = True,
                     openai_strict: bool = False) -> list[Finding]:
    """Findings for the schema editor alone, so the UI can show them as the user types. ``advice``: the
    reference's advice for JSON Schema mode (off when the schema only validates the output);
    ``openai_strict``: the target is OpenAI, whose strict mode has rules of its own."""
    if not schema_text.strip():
        return [Finding("error", "schema_empty", "JSON Schema mode needs a schema, and the schema editor is empty.",
                        "Paste a schema such as the reference's user_info example, or pick a preset.",
                        where="schema", blocking=True)]
    if len(schema_text) > jsontext.MAX_SCHEMA_CHARS:
        return [Finding("error", "schema_too_large",
                        f"The schema is {len(schema_text):,} characters; the limit is {jsontext.MAX_SCHEMA_CHARS:,}.",
                        "Trim descriptions or split the task; servers reject very large schemas.",
                        where="schema", blocking=True)]
    try:
        schema = jsontext.loads(schema_text)
    except jsontext.JSONTextError as e:
        return [Finding("error", "schema_not_json",
                        f"The schema is not valid JSON: {e.msg} (line {e.line}, column {e.column}).",
                        "Fix the JSON syntax at that position: look for a missing comma, quote or bracket.",
                        where="schema", line=e.line, column=e.column, blocking=True)]
    if not isinstance(schema, dict):
        return [Finding("error", "schema_not_object", f"The schema must be a JSON object, not {type(schema).__name__}.",
                        'Wrap it as {"type": "object", "properties": {...}}.', where="schema", blocking=True)]
    if jsontext.depth(schema) > jsontext.MAX_SCHEMA_DEPTH:
        return [Finding("error", "schema_too_deep",
                        f"The schema nests more than {jsontext.MAX_SCHEMA_DEPTH} levels deep.",
                        "Flatten it, or reuse parts with $defs and $ref.", where="schema", blocking=True)]
    cls = validator_for(schema)
    try:
        cls.check_schema(schema)
    except SchemaError as e:
        where = "/".join(str(p) for p in e.path) or "(root)"
        hint = "Correct that keyword; the server rejects schemas that fail meta-validation."
        if "type" in list(e.path)[-2:]:
            hint += f" The reference's supported data types: {_reference('data_type')}"
        return [Finding("error", "schema_invalid",
                        f"The schema is not a valid JSON Schema at {where}: {e.message}",
                        hint, where=f"schema:{where}")]
    if not advice:
        return dangling_refs(schema)
    return dangling_refs(schema) + schema_advice(schema, strict, openai_strict=openai_strict)


def dangling_refs(schema: dict[str, Any]) -> list[Finding]:
    """Local ``$ref``s (``#/...``) that point at nothing: meta-validation cannot see them, the server's
    grammar compiler refuses them, and validation of the output could not follow them either."""
    out: list[Finding] = []
    stack: list[tuple[Any, str]] = [(schema, "#")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#") and not _resolves(schema, ref):
                out.append(Finding("warning", "schema_dangling_ref",
                                   f"The $ref {ref!r} at {path} points at nothing in this schema.",
                                   "Define it under $defs (e.g. \"$defs\": {\"name\": {...}}) or fix the path; "
                                   "servers refuse a schema whose references do not resolve.",
                                   where=f"schema:{path}"))
            stack.extend((v, f"{path}/{k}") for k, v in node.items() if k not in ("enum", "const", "examples"))
        elif isinstance(node, list):
            stack.extend((v, f"{path}/{i}") for i, v in enumerate(node))
    return sorted(out, key=lambda f: f.where)


def _resolves(schema: dict[str, Any], ref: str) -> bool:
    """Whether a local JSON Pointer reference (``#``, ``#/$defs/a``, ``#/properties/x~1y``) resolves."""
    if ref == "#":
        return True
    if not ref.startswith("#/"):
        return True  # an anchor ("#name") or something else: not ours to judge
    node: Any = schema
    for raw in ref[2:].split("/"):
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


# OpenAI's strict-mode subset (what `strict: true` guarantees there); the reference lists no keyword rules.
_UNSUPPORTED_IN_STRICT = {
    "minLength", "maxLength", "patternProperties", "unevaluatedProperties", "propertyNames", "minProperties",
    "maxProperties", "unevaluatedItems", "contains", "minContains", "maxContains", "uniqueItems", "allOf", "not",
    "if", "then", "else", "dependentRequired", "dependentSchemas", "oneOf",
}
# What gives a field a data type (a `$ref` or a composition gets its types from elsewhere).
_TYPED = ("type", "enum", "$ref", "anyOf", "oneOf", "allOf")


def _reference(code: str) -> str:
    """The reference's words for ``code``, quoted, for a finding's message."""
    return f'"{load_sources().of(code).quote}"'


def schema_advice(schema: dict[str, Any], strict: bool = True, *, openai_strict: bool = False) -> list[Finding]:
    """The reference's advice for a JSON Schema (``strict: true``, ``additionalProperties: false``, its
    data types), and, only where the target demands them, OpenAI's strict-mode rules, labelled as such."""
    out: list[Finding] = []
    if not strict:
        out.append(Finding("info", "strict_false",
                           f"`strict` is false; the reference's format for JSON Schema mode says of `strict: true`: "
                           f"{_reference('strict_false')}.",
                           "Turn strict on so that the output follows the schema.", where="schema"))
    openai = " (OpenAI's strict-mode rules; the reference lists no keyword rules)"

    def walk(node: Any, path: str, is_property: bool = False) -> None:
        if not isinstance(node, dict):
            return
        if strict:
            for kw in sorted(_UNSUPPORTED_IN_STRICT & node.keys()):
                out.append(Finding("info", "strict_keyword",
                                   f"`{kw}` at {path} is outside the strict-mode subset{openai}.",
                                   f"Drop `{kw}` or check the output yourself; the model may not honour it.",
                                   where=f"schema:{path}"))
        types = node.get("type")
        named = [types] if isinstance(types, str) else [t for t in types or [] if isinstance(t, str)]
        data_types = "string, number, integer, boolean, object, array and enum, and null for optional fields"
        if len([t for t in named if t != "null"]) > 1:
            out.append(Finding("info", "data_type",
                               f"At {path}, `type` is a union of {', '.join(named)}. The reference's supported data "
                               f"types: {_reference('data_type')} One type a field, with null for an optional one.",
                               "Give the field one type (add \"null\" to make it optional).", where=f"schema:{path}"))
        if "const" in node:
            out.append(Finding("info", "data_type",
                               f"At {path}, `const` is not one of the reference's supported data types: "
                               f"{_reference('data_type')}",
                               f"Use an enum with the one value, e.g. \"enum\": [{json.dumps(node['const'])}].",
                               where=f"schema:{path}"))
        if is_property and not any(k in node for k in (*_TYPED, "const")):
            out.append(Finding("info", "data_type",
                               f"The field at {path} has no type, so any value passes. The reference's supported "
                               f"data types: {_reference('data_type')}",
                               f"Give it one of {data_types}.", where=f"schema:{path}"))
        is_object = "object" in named
        props = node.get("properties")
        if is_object or isinstance(props, dict):
            extra = node.get("additionalProperties")
            if extra is True:
                out.append(Finding("info", "additional_properties_true",
                                   f"The object at {path} allows extra fields (`additionalProperties: true`), as the "
                                   f"reference documents {_reference('additional_properties_true')}.",
                                   "Set it to false to output only the defined fields, when you need to control the "
                                   "structure precisely.", where=f"schema:{path}"))
            elif extra is None:
                out.append(Finding("info", "strict_additional_properties",
                                   f"The object at {path} does not set `additionalProperties: false`; the reference: "
                                   f"{_reference('strict_additional_properties')}.",
                                   "Add \"additionalProperties\": false to allow only the defined fields.",
                                   where=f"schema:{path}"))
            if isinstance(props, dict):
                missing = [k for k in props if k not in (node.get("required") or [])]
                if missing and strict and openai_strict:
                    out.append(Finding("info", "openai_all_required",
                                       f"At {path}, {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not "
                                       "in `required`. This target is OpenAI, whose strict mode demands every "
                                       "property in `required` (the reference does not: optional fields can be "
                                       "left out there).",
                                       'For OpenAI, list it in `required` and allow null: "type": ["string", "null"].',
                                       where=f"schema:{path}"))
                for k, v in props.items():
                    walk(v, f"{path}/properties/{k}", True)
        for key in ("items", "additionalProperties", "not"):
            if isinstance(node.get(key), dict):
                walk(node[key], f"{path}/{key}")
        for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            for i, sub in enumerate(node.get(key) or []):
                walk(sub, f"{path}/{key}/{i}")
        for key in ("$defs", "definitions"):
            for name, sub in (node.get(key) or {}).items():
                walk(sub, f"{path}/{key}/{name}")

    walk(schema, "#")
    return out


def lint(req: Request) -> list[Finding]:
    """Everything worth saying before the request is sent, most serious first."""
    cat = load_catalog()
    model = cat.model(req.model)
    found: list[Finding] = []

    if not req.model.strip():
        found.append(Finding("error", "no_model", "No model is chosen.", "Pick a model from the list or type its name.",
                             where="model", blocking=True))
    if not req.user_text.strip() and not req.images and req.video is None:
        found.append(Finding("error", "empty_input", "The user message is empty.",
                             "Type the text the model should work on, or add an image.", where="user", blocking=True))
    if req.endpoint == "custom" and not re.match(r"^https?://", req.custom_base_url.strip()):
        found.append(Finding("error", "custom_url", "The custom endpoint needs a base URL starting with http:// or https://.",
                             "Enter e.g. http://localhost:11434/v1 for Ollama or https://api.openai.com/v1.",
                             where="endpoint", blocking=True))
    if req.protocol == "native" and req.endpoint == "custom":
        found.append(Finding("error", "native_custom",
                             "A custom OpenAI-compatible URL speaks only the compatible protocol.",
                             "Switch the protocol to OpenAI-compatible.", where="protocol", blocking=True))

    if req.mode == "json_object" and not mentions_json(req):
        found.append(Finding("error", "missing_json_keyword",
                             'JSON Object mode needs the word "json" in a message. '
                             f"The server will answer: {MISSING_JSON_ERROR}",
                             'Add "JSON" to the system prompt, e.g. "…and return the information in JSON format."',
                             where="system"))
    if req.mode == "json_schema":
        openai_strict = load_sources().demands_openai_strict(req.endpoint, req.custom_base_url)
        found.extend(lint_schema_text(req.schema_text, req.strict, openai_strict=openai_strict))
        if req.schema_name and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", req.schema_name):
            found.append(Finding("warning", "schema_name",
                                 f"The schema name {req.schema_name!r} has characters OpenAI rejects.",
                                 "Use letters, digits, _ and - only (at most 64), e.g. user_info.",
                                 where="schema_name"))

    if req.mode != "none" and req.model.strip():
        label = MODE_LABELS[req.mode]
        support = model.support(req.mode)
        thinking_on = req.enable_thinking is True or (model.thinking == "always" and req.enable_thinking is not False)
        supported = [m.name for m in cat.models if m.supports(req.mode)][:4]
        if not model.covered:
            found.append(Finding("warning", "mode_unsupported",
                                 f"{req.model} is not in the reference: no rule of the catalog covers this name, "
                                 f"so nothing says it supports {label} mode.",
                                 "Send it to see the server's answer, or pick a listed model such as "
                                 f"{', '.join(supported)}.", where="model"))
        elif support.status == "refused" and not (thinking_on and not model.structured_in_thinking):
            found.append(Finding("warning", "mode_unsupported",
                                 f"The reference does not list {req.model} for {label} mode. Rule "
                                 f"{model.rule}: {support.reason}.",
                                 "Send it to see the server's answer, or pick a listed model such as "
                                 f"{', '.join(supported)}.", where="model", quote=support.quote))
        elif support.status == "not_listed":
            detail = support.reason.removeprefix(f"{label} not listed in the reference")
            found.append(Finding("info", "mode_not_listed",
                                 f"The reference does not list {req.model} for {label} mode{detail}; it does not say "
                                 f"the service refuses it either. Rule: {model.rule}.",
                                 "The local engine accepts it and says so in its X-Local-Engine-Rule response "
                                 "header; the real service may answer otherwise.", where="model",
                                 quote=support.quote))
        if thinking_on and not model.structured_in_thinking:
            only = (f" {req.model} only thinks ({model.rule})." if model.thinking == "always" and model.rule
                    else "")
            found.append(Finding("error", "thinking_structured",
                                 f"Structured output is not supported in thinking mode.{only}",
                                 "Turn thinking off, or follow the FAQ: think in plain mode, then repair the answer "
                                 "with a JSON Object call to a non-thinking model such as qwen-flash.",
                                 where="thinking"))
        if req.max_tokens is not None:
            found.append(Finding("warning", "max_tokens_structured",
                                 f"max_tokens is set to {req.max_tokens}: the JSON may be cut off and fail to parse.",
                                 "The reference's 'Going live' advice: leave max_tokens unset with structured output.",
                                 where="max_tokens"))
    if req.enable_thinking and model.thinking == "none" and model.known:
        found.append(Finding("warning", "no_thinking", f"{req.model} has no thinking mode.",
                             "Turn the thinking switch off.", where="thinking"))

    for i, img in enumerate(req.images, 1):
        if img.data is not None:
            if img.mime not in IMAGE_MIME_TYPES:
                found.append(Finding("error", "image_type",
                                     f"Image {i} ({img.name or img.mime}) is {img.mime}, not PNG, JPEG or WebP.",
                                     "Convert it to PNG or JPEG and upload it again.", where="images", blocking=True))
            if len(img.data) > MAX_IMAGE_BYTES:
                found.append(Finding("error", "image_size",
                                     f"Image {i} is {len(img.data) / 1e6:.1f} MB; "
                                     f"the limit is {MAX_IMAGE_BYTES / 1e6:.0f} MB.",
                                     "Resize or compress it below the limit.", where="images", blocking=True))
        elif not re.match(r"^(https?|data):", img.url or ""):
            found.append(Finding("error", "image_url", f"Image {i} URL {img.url!r} is not an http(s) or data: URL.",
                                 "Give a full URL such as https://example.com/receipt.jpg, or upload the file.",
                                 where="images", blocking=True))
    if req.images and req.model.strip() and not model.vision:
        found.append(Finding("warning", "no_vision", f"{req.model} does not take images.",
                             "Pick a vision model such as qwen3-vl-plus, or remove the images.", where="images"))

    if req.video is not None and req.model.strip() and not model.vision:
        found.append(Finding("warning", "no_vision", f"{req.model} does not take video.",
                             "Pick a vision model such as qwen3-vl-plus, or remove the video.", where="video"))

    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(found, key=lambda f: (not f.blocking, order[f.level]))


def can_send(findings: list[Finding]) -> bool:
    return not any(f.blocking for f in findings)
