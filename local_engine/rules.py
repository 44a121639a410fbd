"""The reference's rules for structured output, applied as errors so that what the documentation
teaches can be seen offline. Model capabilities come from ``structured_output.catalog`` (one data
file for the whole product); this module only decides what to refuse and says why."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
from jsonschema.exceptions import SchemaError

from local_engine.chat import ChatRequest
from local_engine.errors import EngineError, bad_request
from structured_output.catalog import Catalog, ModelInfo, load_catalog
from structured_output.jsontext import MAX_SCHEMA_DEPTH, depth

# Word for word from the reference (Implementation guide, JSON Object mode).
JSON_KEYWORD_MESSAGE = ("'messages' must contain the word 'json' in some form, to use 'response_format' of type "
                        "'json_object'.")
THINKING_MESSAGE = ("Structured output is not supported in thinking mode: `enable_thinking` is true while "
                    "`response_format` is {mode}. Set enable_thinking to false, or drop response_format "
                    "(the reference: \"Models in thinking mode do not currently support structured output\").")
_JSON_WORD = re.compile("json", re.IGNORECASE)


def served_model_names(catalog: Catalog | None = None) -> list[str]:
    """Every model id the engine answers to: its own, then the catalog's."""
    catalog = catalog or load_catalog()
    return [catalog.local_model, *catalog.model_names]


def check_model(model: str, catalog: Catalog | None = None) -> ModelInfo:
    """The catalog's answer for ``model`` (any name a rule covers), or a 404 for a name no rule covers."""
    catalog = catalog or load_catalog()
    info = catalog.model(model)
    if not info.covered:
        raise EngineError(404, f"The model `{model}` does not exist on the local engine: no rule of the catalog "
                          "covers this name. It serves "
                          f"`{catalog.local_model}` and the models of the structured-output reference, with their "
                          "snapshots (for example qwen-plus, qwen-plus-2025-09-11, qwen-flash, qwen3-max, "
                          "qwen3-vl-plus, qwen3-32b); GET /compatible-mode/v1/models lists the names it spells out.",
                          "model")
    return info


def check_request(req: ChatRequest, info: ModelInfo, catalog: Catalog | None = None) -> None:
    """Refuse what the reference says the real service refuses; return quietly otherwise (a mode the
    reference does not list is accepted: ``rule_note`` says so in a response header)."""
    catalog = catalog or load_catalog()
    mode_param = "parameters.response_format" if req.protocol == "native" else "response_format"
    thinking = req.enable_thinking is True or info.thinking == "always"
    if req.mode != "none" and thinking and not info.structured_in_thinking:
        where = "parameters.enable_thinking" if req.protocol == "native" else "enable_thinking"
        if req.enable_thinking is not True:
            raise bad_request(f"`{req.model}` always thinks (rule: {info.rule}), and structured output is not "
                              f"supported in thinking mode (the reference: \"{info.support(req.mode).quote}\"). "
                              f"Use a non-thinking model, or its non-thinking variant, for response_format "
                              f"{req.mode}.", mode_param)
        raise bad_request(THINKING_MESSAGE.format(mode=req.mode), where)
    support = info.support(req.mode)
    if req.mode != "none" and support.status == "refused":
        message = (f"`{req.model}` does not support response_format of type '{req.mode}': {support.reason} "
                   f"(rule: {info.rule}).")
        if support.quote:
            message += f" The reference: \"{support.quote}\"."
        if req.mode == "json_schema":
            listed = ", ".join(m.name for m in catalog.models if m.json_schema)
            message += f" It lists JSON Schema mode for: {listed}. Use one of them, or JSON Object mode."
        else:
            message += _also(info)
        raise bad_request(message, f"{mode_param}.type")
    if req.mode == "json_object" and not any(_JSON_WORD.search(m.text) for m in req.messages):
        raise bad_request(JSON_KEYWORD_MESSAGE, "messages")
    if req.mode == "json_schema":
        assert req.schema is not None
        check_schema(req.schema, f"{mode_param}.json_schema.schema")
    if req.images and not info.vision:
        vision = ", ".join(m.name for m in catalog.models if m.vision)
        raise bad_request(f"`{req.model}` does not take images. Vision models in the reference: {vision} "
                          f"(and `{catalog.local_model}`, which reads the image's text by OCR).",
                          req.images[0].where)


def rule_note(info: ModelInfo, mode: str) -> str:
    """The rule that resolved the model and what it says of ``mode``, for the ``X-Local-Engine-Rule``
    header; when the reference does not list the mode, that the engine accepted it anyway."""
    if mode == "none" or not info.rule:
        return ""
    note = info.explain(mode)
    if info.support(mode).status == "not_listed":
        note += ("; the reference does not list this model for this mode, so the real service may refuse it. "
                 "The local engine accepts it")
    return note


def _also(info: ModelInfo) -> str:
    return " It supports JSON Schema mode instead." if info.json_schema else ""


def check_schema(schema: dict[str, Any], where: str) -> None:
    """Meta-validate against the schema's own draft (2020-12 when it names none)."""
    if depth(schema) > MAX_SCHEMA_DEPTH:
        # jsonschema and the grammar compiler both recurse; past this depth they would fail with a 500.
        raise bad_request(f"The JSON Schema nests more than {MAX_SCHEMA_DEPTH} levels deep; the local engine "
                          "takes at most that. Flatten it (for example with $defs and $ref).", where)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except RecursionError:
        raise bad_request("The JSON Schema is too deeply self-referencing to check; simplify it.", where) from None
    except SchemaError as e:
        path = "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in e.path)
        at = f" at schema{path}" if path else ""
        raise bad_request(f"The JSON Schema is not valid{at}: {e.message}.", where) from None
