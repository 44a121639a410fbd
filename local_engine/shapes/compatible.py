"""The OpenAI-compatible wire shape (``/compatible-mode/v1``): request body → ``ChatRequest`` and
``Completion`` → response / stream chunks, as DashScope's compatible mode sends them."""

from __future__ import annotations

import time
from typing import Any

from local_engine.chat import ChatRequest, Completion, ImageInput, Message, Part
from local_engine.enforcement import ENFORCEMENT_PARAM
from local_engine.errors import bad_request
from local_engine.logprobs import TokenLogprob
from local_engine.shapes import logprobs as token_logprobs
from local_engine.shapes.common import parse_enforcement, parse_response_format, parse_video
from local_engine.shapes.fields import (
    get_bool,
    get_float,
    get_int,
    get_obj,
    get_stop,
    get_str,
    type_name,
)

ROLES = ("system", "developer", "user", "assistant", "tool", "function")


def parse_request(body: dict[str, Any]) -> ChatRequest:
    """A ``ChatRequest`` from a ``/chat/completions`` body; a 400 naming the field on any mistake."""
    model = get_str(body, "model", "model", required=True)
    assert model is not None
    if not model.strip():
        raise bad_request("`model` must not be empty.", "model")
    messages = _parse_messages(body.get("messages"))
    mode, schema, name = parse_response_format(body.get("response_format"), "response_format")
    n = get_int(body, "n", "n", lo=1)
    if n is not None and n != 1:
        raise bad_request("The local engine returns one choice per request: `n` must be 1.", "n")
    max_tokens = get_int(body, "max_tokens", "max_tokens", lo=1)
    max_completion = get_int(body, "max_completion_tokens", "max_completion_tokens", lo=1)
    min_tokens = get_int(body, "min_tokens", "min_tokens", lo=0)
    if min_tokens and mode != "none":
        raise bad_request("`min_tokens` (vLLM's extension) is for plain text only: under a response_format the "
                          "grammar decides where the JSON ends.", "min_tokens")
    stream_options = get_obj(body, "stream_options", "stream_options") or {}
    stream = bool(get_bool(body, "stream", "stream"))
    include_usage = bool(get_bool(stream_options, "include_usage", "stream_options.include_usage"))
    if body.get("stream_options") is not None and not stream:
        raise bad_request("`stream_options` is only allowed when `stream` is true.", "stream_options")
    logprobs, top_logprobs = token_logprobs.parse(body, "", native=False)
    return ChatRequest(
        protocol="compatible",
        model=model.strip(),
        messages=messages,
        mode=mode,
        schema=schema,
        schema_name=name,
        max_tokens=max_completion if max_completion is not None else max_tokens,
        min_tokens=min_tokens,
        temperature=get_float(body, "temperature", "temperature", lo=0.0, hi=2.0),
        top_p=get_float(body, "top_p", "top_p", lo=0.0, hi=1.0, lo_open=True),
        top_k=get_int(body, "top_k", "top_k", lo=0),
        seed=get_int(body, "seed", "seed", lo=0),
        stop=get_stop(body, "stop", "stop"),
        repetition_penalty=get_float(body, "repetition_penalty", "repetition_penalty", lo=0.0, lo_open=True),
        presence_penalty=get_float(body, "presence_penalty", "presence_penalty", lo=-2.0, hi=2.0),
        enable_thinking=get_bool(body, "enable_thinking", "enable_thinking"),
        stream=stream,
        include_usage=include_usage,
        logprobs=logprobs,
        top_logprobs=top_logprobs,
        keyword_enforcement=parse_enforcement(body, ENFORCEMENT_PARAM),
    )


def _parse_messages(value: Any) -> list[Message]:
    if value is None:
        raise bad_request("`messages` is required: a list of {\"role\", \"content\"} objects.", "messages")
    if not isinstance(value, list) or not value:
        raise bad_request("`messages` must be a non-empty array of {\"role\", \"content\"} objects.", "messages")
    out: list[Message] = []
    for i, raw in enumerate(value):
        where = f"messages[{i}]"
        if not isinstance(raw, dict):
            raise bad_request(f"`{where}` must be an object with `role` and `content`, not {type_name(raw)}.", where)
        role = get_str(raw, "role", f"{where}.role", required=True)
        if role not in ROLES:
            raise bad_request(f"`{where}.role` must be one of {', '.join(ROLES)}; got {role!r}.", f"{where}.role")
        out.append(Message(role, _parse_content(raw.get("content"), f"{where}.content", role)))
    return out


def _parse_content(content: Any, where: str, role: str) -> list[Part]:
    if content is None:
        if role in ("assistant", "tool", "function"):
            return []
        raise bad_request(f"`{where}` is required for a {role} message.", where)
    if isinstance(content, str):
        return [Part(text=content)]
    if not isinstance(content, list):
        raise bad_request(f"`{where}` must be a string or an array of content parts, not {type_name(content)}.",
                          where)
    parts: list[Part] = []
    for j, item in enumerate(content):
        at = f"{where}[{j}]"
        if isinstance(item, str):
            parts.append(Part(text=item))
            continue
        if not isinstance(item, dict):
            raise bad_request(f"`{at}` must be a content part object, not {type_name(item)}.", at)
        kind = get_str(item, "type", f"{at}.type", required=True)
        if kind == "text":
            text = get_str(item, "text", f"{at}.text", required=True)
            parts.append(Part(text=text))
        elif kind == "image_url":
            spec = item.get("image_url")
            url = spec.get("url") if isinstance(spec, dict) else spec
            if not isinstance(url, str) or not url:
                raise bad_request(f"`{at}.image_url.url` is required: a data: URL of the image.", f"{at}.image_url")
            parts.append(Part(image=ImageInput(url=url, where=f"{at}.image_url.url")))
        elif kind == "video":
            parts.append(Part(video=parse_video(item.get("video"), f"{at}.video", protocol="compatible")))
        elif kind == "video_url":
            spec = item.get("video_url")
            url = spec.get("url") if isinstance(spec, dict) else spec
            if not isinstance(url, str) or not url:
                raise bad_request(f"`{at}.video_url.url` is required: the video's URL.", f"{at}.video_url")
            parts.append(Part(video=parse_video(url, f"{at}.video_url.url", protocol="compatible")))
        else:
            raise bad_request(f"Content parts of type {kind!r} are not supported by the local engine; "
                              "use \"text\", \"image_url\", \"video\" or \"video_url\".", f"{at}.type")
    return parts


# ---------------------------------------------------------------- responses

def usage(c: Completion) -> dict[str, Any]:
    return {
        "prompt_tokens": c.prompt_tokens,
        "completion_tokens": c.completion_tokens,
        "total_tokens": c.total_tokens,
        "prompt_tokens_details": {"cached_tokens": 0},
    }


def response(req: ChatRequest, c: Completion, completion_id: str) -> dict[str, Any]:
    return {
        "choices": [{
            "message": {"role": "assistant", "content": c.text},
            "finish_reason": c.finish_reason,
            "index": 0,
            "logprobs": token_logprobs.choice_logprobs(req, c.tokens),
        }],
        "object": "chat.completion",
        "usage": usage(c),
        "created": int(time.time()),
        "system_fingerprint": None,
        "model": req.model,
        "id": completion_id,
    }


def chunk(req: ChatRequest, completion_id: str, created: int, *, delta: dict[str, Any] | None = None,
          finish_reason: str | None = None, usage_of: Completion | None = None,
          tokens: list[TokenLogprob] | None = None) -> dict[str, Any]:
    """One ``chat.completion.chunk``; with ``usage_of`` it is the final usage chunk (no choices). With
    logprobs, a content chunk carries the tokens of its text."""
    body: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": req.model,
        "system_fingerprint": None,
        "choices": [],
        "usage": None,
    }
    if usage_of is not None:
        body["usage"] = usage(usage_of)
    else:
        logprobs = token_logprobs.content(tokens) if req.logprobs and tokens is not None else None
        body["choices"] = [{"index": 0, "delta": delta or {}, "finish_reason": finish_reason, "logprobs": logprobs}]
    return body


def models_list(names: list[str]) -> dict[str, Any]:
    return {"object": "list",
            "data": [{"id": n, "object": "model", "created": 0, "owned_by": "local-engine"} for n in names]}
