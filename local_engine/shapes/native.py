"""The native DashScope wire shape (``/api/v1/services/aigc/...``): ``{"model", "input":
{"messages"}, "parameters"}`` in, ``{"output", "usage", "request_id"}`` out, in both
``result_format``s, and the SSE events ``dashscope``'s SDK parses line by line."""

from __future__ import annotations

import json
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

ROLES = ("system", "user", "assistant", "tool")
MEDIA_KEYS = ("audio",)


def parse_request(body: dict[str, Any], *, multimodal: bool, stream: bool) -> ChatRequest:
    """A ``ChatRequest`` from a native body. ``stream`` comes from the ``X-DashScope-SSE`` header."""
    model = get_str(body, "model", "model", required=True)
    assert model is not None
    if not model.strip():
        raise bad_request("`model` must not be empty.", "model")
    inp = get_obj(body, "input", "input", required=True)
    assert inp is not None
    params = get_obj(body, "parameters", "parameters") or {}
    messages = _parse_messages(inp, multimodal)
    mode, schema, name = parse_response_format(params.get("response_format"), "parameters.response_format")
    result_format = get_str(params, "result_format", "parameters.result_format")
    if result_format is not None and result_format not in ("message", "text"):
        raise bad_request("`parameters.result_format` must be \"message\" or \"text\"; "
                          f"got {result_format!r}.", "parameters.result_format")
    n = get_int(params, "n", "parameters.n", lo=1)
    if n is not None and n != 1:
        raise bad_request("The local engine returns one choice per request: `parameters.n` must be 1.",
                          "parameters.n")
    # The multimodal endpoint always answers in the message format, with content as a list of parts.
    fmt = "message" if multimodal else (result_format or "text")
    logprobs, top_logprobs = token_logprobs.parse(params, "parameters.", native=True)
    if logprobs and fmt == "text":
        raise bad_request("Token log probabilities come back in `output.choices[0].logprobs`, which only the "
                          "message format has: set `parameters.result_format` to \"message\".",
                          "parameters.logprobs")
    return ChatRequest(
        protocol="native",
        model=model.strip(),
        messages=messages,
        mode=mode,
        schema=schema,
        schema_name=name,
        max_tokens=get_int(params, "max_tokens", "parameters.max_tokens", lo=1),
        temperature=get_float(params, "temperature", "parameters.temperature", lo=0.0, hi=2.0),
        top_p=get_float(params, "top_p", "parameters.top_p", lo=0.0, hi=1.0, lo_open=True),
        top_k=get_int(params, "top_k", "parameters.top_k", lo=0),
        seed=get_int(params, "seed", "parameters.seed", lo=0),
        stop=get_stop(params, "stop", "parameters.stop"),
        repetition_penalty=get_float(params, "repetition_penalty", "parameters.repetition_penalty",
                                     lo=0.0, lo_open=True),
        presence_penalty=get_float(params, "presence_penalty", "parameters.presence_penalty", lo=-2.0, hi=2.0),
        enable_thinking=get_bool(params, "enable_thinking", "parameters.enable_thinking"),
        stream=stream or bool(get_bool(params, "stream", "parameters.stream")),
        incremental_output=bool(get_bool(params, "incremental_output", "parameters.incremental_output")),
        result_format=fmt,  # type: ignore[arg-type]
        multimodal=multimodal,
        logprobs=logprobs,
        top_logprobs=top_logprobs,
        keyword_enforcement=parse_enforcement(params, f"parameters.{ENFORCEMENT_PARAM}"),
    )


def _parse_messages(inp: dict[str, Any], multimodal: bool) -> list[Message]:
    raw_messages = inp.get("messages")
    prompt = get_str(inp, "prompt", "input.prompt")
    if raw_messages is None:
        if prompt:
            return [Message("user", [Part(text=prompt)])]
        raise bad_request("`input.messages` is required: a list of {\"role\", \"content\"} objects.",
                          "input.messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise bad_request("`input.messages` must be a non-empty array of {\"role\", \"content\"} objects.",
                          "input.messages")
    out: list[Message] = []
    for i, raw in enumerate(raw_messages):
        where = f"input.messages[{i}]"
        if not isinstance(raw, dict):
            raise bad_request(f"`{where}` must be an object with `role` and `content`, not {type_name(raw)}.", where)
        role = get_str(raw, "role", f"{where}.role", required=True)
        if role not in ROLES:
            raise bad_request(f"`{where}.role` must be one of {', '.join(ROLES)}; got {role!r}.", f"{where}.role")
        out.append(Message(role, _parse_content(raw.get("content"), f"{where}.content", role, multimodal)))
    if prompt:
        out.append(Message("user", [Part(text=prompt)]))
    return out


def _parse_content(content: Any, where: str, role: str, multimodal: bool) -> list[Part]:
    if content is None:
        if role in ("assistant", "tool"):
            return []
        raise bad_request(f"`{where}` is required for a {role} message.", where)
    if isinstance(content, str):
        return [Part(text=content)]
    if not isinstance(content, list):
        raise bad_request(f"`{where}` must be a string or an array of {{\"text\"}} / {{\"image\"}} items, "
                          f"not {type_name(content)}.", where)
    parts: list[Part] = []
    for j, item in enumerate(content):
        at = f"{where}[{j}]"
        if not isinstance(item, dict):
            raise bad_request(f"`{at}` must be an object such as {{\"text\": \"...\"}}, not {type_name(item)}.", at)
        if "text" in item:
            text = get_str(item, "text", f"{at}.text", required=True)
            parts.append(Part(text=text))
        elif "image" in item:
            if not multimodal:
                raise bad_request("Images go to the multimodal endpoint "
                                  "(/api/v1/services/aigc/multimodal-generation/generation, "
                                  "dashscope.MultiModalConversation.call), not to text-generation.", at)
            url = get_str(item, "image", f"{at}.image", required=True)
            assert url is not None
            parts.append(Part(image=ImageInput(url=url, where=f"{at}.image")))
        elif "video" in item:
            if not multimodal:
                raise bad_request("Videos go to the multimodal endpoint "
                                  "(/api/v1/services/aigc/multimodal-generation/generation, "
                                  "dashscope.MultiModalConversation.call), not to text-generation.", at)
            parts.append(Part(video=parse_video(item["video"], f"{at}.video", item.get("fps"), protocol="native")))
        elif any(k in item for k in MEDIA_KEYS):
            kind = next(k for k in MEDIA_KEYS if k in item)
            raise bad_request(f"The local engine reads text, images and video frames only; `{at}.{kind}` is not "
                              "supported.", at)
        else:
            raise bad_request(f"`{at}` must have a \"text\" or an \"image\" key; got keys {sorted(item)}.", at)
    return parts


# ---------------------------------------------------------------- responses

def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"input_tokens": prompt_tokens, "output_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def output(req: ChatRequest, text: str, finish_reason: str,
           tokens: list[TokenLogprob] | None = None) -> dict[str, Any]:
    """The ``output`` object for ``text`` (a whole answer, a delta or the text so far) and, with
    logprobs, the tokens of that text."""
    if req.result_format == "text":
        return {"text": text, "finish_reason": finish_reason}
    content: Any = [{"text": text}] if req.multimodal else text
    choice: dict[str, Any] = {"finish_reason": finish_reason, "message": {"role": "assistant", "content": content}}
    if req.logprobs:
        choice["logprobs"] = token_logprobs.content(tokens or [])
    return {"choices": [choice]}


def response(req: ChatRequest, c: Completion, request_id: str) -> dict[str, Any]:
    return {"output": output(req, c.text, c.finish_reason, c.tokens),
            "usage": usage(c.prompt_tokens, c.completion_tokens),
            "request_id": request_id}


def sse_event(event_id: int, body: dict[str, Any], *, error_status: int | None = None) -> str:
    """One SSE event as DashScope writes it; the SDK reads ``event:``, ``status:`` and one ``data:`` line."""
    if error_status is None:
        head = f"id:{event_id}\nevent:result\n:HTTP_STATUS/200\n"
    else:
        head = f"id:{event_id}\nevent:error\n:HTTP_STATUS/{error_status}\nstatus:{error_status}\n"
    return head + "data:" + json.dumps(body, ensure_ascii=False) + "\n\n"
