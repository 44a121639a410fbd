"""Request bodies and error responses for the engine's OpenAPI description (``GET /openapi.json``).

The routes read their bodies by hand (``shapes.fields``) so that every mistake gets one sentence
naming the field; FastAPI therefore cannot infer what they accept. These schemas say it, so that
tools driven by the description (the hardening suite runs schemathesis against it) generate real
chat requests rather than empty bodies. They describe, they do not validate: the hand-written
readers stay the single judge of what is accepted, with ``additionalProperties`` left open
because DashScope itself ignores fields it does not know.
"""

from __future__ import annotations

from typing import Any

from local_engine.rules import served_model_names

# The names the engine answers to; any other name is a 404 (an invalid value, as the description says).
_MODEL = {"type": "string", "enum": served_model_names()}
_ROLE = {"type": "string", "enum": ["system", "user", "assistant"]}
_DATA_URL = {"type": "string", "pattern": "^data:image/(png|jpeg|webp);base64,"}  # the engine is offline
_TEXT_PART = {"type": "object", "properties": {"type": {"const": "text"}, "text": {"type": "string"}},
              "required": ["type", "text"]}
_IMAGE_PART = {"type": "object",
               "properties": {"type": {"const": "image_url"},
                              "image_url": {"type": "object", "properties": {"url": _DATA_URL}, "required": ["url"]}},
               "required": ["type", "image_url"]}
_COMPATIBLE_MESSAGE = {
    "type": "object",
    "properties": {"role": _ROLE,
                   "content": {"anyOf": [{"type": "string"},
                                         {"type": "array", "items": {"anyOf": [_TEXT_PART, _IMAGE_PART]}}]}},
    "required": ["role", "content"],
}
_NATIVE_TEXT_ITEM = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
_NATIVE_IMAGE_ITEM = {"type": "object", "properties": {"image": _DATA_URL}, "required": ["image"]}


def _native_message(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "object",
            "properties": {"role": _ROLE, "content": {"anyOf": [{"type": "string"},
                                                                {"type": "array", "items": {"anyOf": items}}]}},
            "required": ["role", "content"]}


_RESPONSE_FORMAT = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["text", "json_object", "json_schema"]},
        "json_schema": {"type": "object",
                        "properties": {"name": {"type": "string"}, "strict": {"type": "boolean"},
                                       "schema": {"type": "object"}},
                        "required": ["schema"]},
    },
    "required": ["type"],
}
_SAMPLING: dict[str, Any] = {
    "temperature": {"type": "number", "minimum": 0, "maximum": 2},
    "top_p": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
    "top_k": {"type": "integer", "minimum": 0},
    "seed": {"type": "integer", "minimum": 0},
    "max_tokens": {"type": "integer", "minimum": 1},
    "stop": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "maxItems": 4}]},
    "presence_penalty": {"type": "number", "minimum": -2, "maximum": 2},
    "enable_thinking": {"type": "boolean"},
}
# The local engine's own extension: keywords its grammar cannot enforce are ignored and listed in the
# answer's unenforced_keywords ("lenient", the default) or make the request fail ("strict").
_EXTENSIONS: dict[str, Any] = {
    "keyword_enforcement": {"type": "string", "enum": ["lenient", "strict"], "default": "lenient"},
}

COMPATIBLE_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "model": _MODEL,
        "messages": {"type": "array", "items": _COMPATIBLE_MESSAGE, "minItems": 1},
        "response_format": _RESPONSE_FORMAT,
        "stream": {"type": "boolean"},
        "stream_options": {"type": "object", "properties": {"include_usage": {"type": "boolean"}}},
        "n": {"type": "integer", "minimum": 1, "maximum": 1},
        **_SAMPLING,
        **_EXTENSIONS,
    },
    "required": ["model", "messages"],
}

def _native_body(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Text generation takes text items; multimodal generation takes images too."""
    return {
        "type": "object",
        "properties": {
            "model": _MODEL,
            "input": {"type": "object",
                      "properties": {"messages": {"type": "array", "items": _native_message(items), "minItems": 1}},
                      "required": ["messages"]},
            "parameters": {"type": "object",
                           "properties": {"result_format": {"type": "string", "enum": ["text", "message"]},
                                          "response_format": _RESPONSE_FORMAT,
                                          "incremental_output": {"type": "boolean"},
                                          **_SAMPLING, **_EXTENSIONS}},
        },
        "required": ["model", "input"],
    }


NATIVE_TEXT_BODY = _native_body([_NATIVE_TEXT_ITEM])
NATIVE_MULTIMODAL_BODY = _native_body([_NATIVE_TEXT_ITEM, _NATIVE_IMAGE_ITEM])

_OPENAI_ERROR = {"type": "object", "properties": {"error": {"type": "object", "properties": {
    "message": {"type": "string"}, "type": {"type": "string"}, "code": {"type": ["string", "null"]},
    "param": {"type": ["string", "null"]}}}, "request_id": {"type": "string"}}}
_NATIVE_ERROR = {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                                  "request_id": {"type": "string"}}}
_ERROR_STATUSES = {"400": "a field is wrong (the message names it) or a documented rule refuses the request",
                   "404": "the model is not one the engine serves", "413": "the body is too large",
                   "429": "one generation runs and the queue is full (Retry-After says when to retry)",
                   "503": "the model is still loading or failed to load"}


def _operation(body: dict[str, Any], error: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` for one generation route: its body, its streamed answer and its errors."""
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {
            "200": {"description": "the completion as JSON, or server-sent events when streaming",
                    "content": {"application/json": {"schema": {"type": "object"}},
                                "text/event-stream": {"schema": {"type": "string"}}}},
            **{code: {"description": what, "content": {"application/json": {"schema": error}}}
               for code, what in _ERROR_STATUSES.items()},
        },
    }


COMPATIBLE_OPERATION = _operation(COMPATIBLE_BODY, _OPENAI_ERROR)
NATIVE_TEXT_OPERATION = _operation(NATIVE_TEXT_BODY, _NATIVE_ERROR)
NATIVE_MULTIMODAL_OPERATION = _operation(NATIVE_MULTIMODAL_BODY, _NATIVE_ERROR)
NATIVE_OPERATION = NATIVE_MULTIMODAL_OPERATION  # the name app.py used first
