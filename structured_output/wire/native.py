"""DashScope's native protocol through the ``dashscope`` SDK (``Generation`` for text,
``MultiModalConversation`` with images): the body (``dashscope_kwargs``), sending it once (``send``;
the retries are the caller's), reading its stream, and its status errors, which the SDK returns in
the response instead of raising."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import requests

from structured_output.request import Request, VideoInput
from structured_output.result import RunResult, Usage, content_of, text_of
from structured_output.tokens import TOP_LOGPROBS
from structured_output.wire.common import (
    SERVED_BY_HEADER,
    OnDelta,
    bad_response_error,
    connection_error,
    engine_notes,
    from_status,
    optional_params,
    stream_cut_error,
    timeout_error,
)
from structured_output.wire.compatible import openai_messages
from structured_output.wire.stream import StreamAccumulator

# ---------------------------------------------------------------- the body


def native_messages(req: Request) -> list[dict[str, Any]]:
    """Messages in DashScope's native shape: ``{"image"}``/``{"text"}`` items for multimodal calls."""
    if not req.images and not req.video:
        return openai_messages(req)
    msgs: list[dict[str, Any]] = []
    if req.system_prompt:
        msgs.append({"role": "system", "content": [{"text": req.system_prompt}]})
    content: list[dict[str, Any]] = [video_item(req.video)] if req.video else []
    content += [{"image": i.to_url()} for i in req.images]
    content.append({"text": req.user_text})
    msgs.append({"role": "user", "content": content})
    msgs += [{"role": t["role"], "content": [{"text": t["content"]}]} for t in req.followups]
    return msgs


def video_item(video: VideoInput) -> dict[str, Any]:
    """The native video item: ``{"video": [frames], "fps": …}`` (fps tells the model the frames are
    1/fps seconds apart) or ``{"video": url, "fps": …}`` (the service samples the file at fps)."""
    return {"video": video.url if video.url else video.frame_urls(), "fps": video.fps}


def multimodal(req: Request) -> bool:
    """Images or a video go to ``MultiModalConversation``; text alone to ``Generation``."""
    return bool(req.images or req.video)


def dashscope_kwargs(req: Request) -> dict[str, Any]:
    """Arguments for ``dashscope.Generation.call`` / ``MultiModalConversation.call`` (no key)."""
    kw: dict[str, Any] = {"model": req.model, "messages": native_messages(req)}
    if not multimodal(req):
        kw["result_format"] = "message"
    kw.update(optional_params(req))
    if req.enable_thinking is not None:
        kw["enable_thinking"] = req.enable_thinking
    if req.stream:
        kw["stream"] = True
        kw["incremental_output"] = True
    if req.logprobs:  # the token view (not part of the exported code)
        kw["logprobs"] = True
        kw["top_logprobs"] = TOP_LOGPROBS
    return kw


# ---------------------------------------------------------------- sending

def send(req: Request, endpoint: str, base_url: str, api_key: str, result: RunResult, on_delta: OnDelta | None,
         timeout: float, started: float) -> None:
    """One attempt, filling ``result``; every failure is raised as a ``CallError``."""
    import dashscope  # imported here: it is slow to import and only the native protocol needs it

    api = dashscope.MultiModalConversation if multimodal(req) else dashscope.Generation
    try:
        response = api.call(api_key=api_key, base_address=base_url, request_timeout=int(timeout),
                            **dashscope_kwargs(req))
        if req.stream:
            _consume_stream(response, StreamAccumulator(result, on_delta, started))
        else:
            _fill(response, result)
    except requests.exceptions.Timeout:
        raise timeout_error(base_url, timeout) from None
    except requests.exceptions.ChunkedEncodingError as e:
        raise stream_cut_error(e) from None
    except requests.exceptions.JSONDecodeError as e:  # an OSError too: it must come before that branch
        raise bad_response_error(f"the body is not JSON ({e})", "") from None
    except (requests.exceptions.ConnectionError, OSError) as e:
        raise connection_error(endpoint, base_url, e) from None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise bad_response_error(f"the SDK could not read it ({type(e).__name__}: {e})", "") from None


def _body(response: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The response as received (a dict) and its headers, which the SDK keeps inside it."""
    try:
        body = json.loads(json.dumps(response, default=str))
    except (TypeError, ValueError):
        body = {"unreadable": str(response)}
    headers = body.pop("headers", None) or {}
    return body, {str(k).lower(): v for k, v in headers.items()}


def _fill(response: Any, result: RunResult) -> None:
    body, headers = _body(response)
    result.raw = body
    result.request_id = body.get("request_id")
    result.served_by = headers.get(SERVED_BY_HEADER, "")
    result.engine = engine_notes(headers)
    _check_status(response, body, headers)
    output = body.get("output")
    if not isinstance(output, dict):
        raise bad_response_error("it has no `output`", json.dumps(body)[:300])
    result.content = content_of(body)
    choice = (output.get("choices") or [{}])[0]
    result.finish_reason = choice.get("finish_reason") or output.get("finish_reason")
    result.reasoning = (choice.get("message") or {}).get("reasoning_content") or ""
    usage = body.get("usage") or {}
    result.usage = Usage(usage.get("input_tokens"), usage.get("output_tokens"))


# ---------------------------------------------------------------- the stream

def _consume_stream(responses: Iterator[Any], acc: StreamAccumulator) -> None:
    for response in responses:
        body, headers = _body(response)
        acc.chunk(body)
        acc.result.request_id = acc.result.request_id or body.get("request_id")
        acc.result.served_by = acc.result.served_by or headers.get(SERVED_BY_HEADER, "")
        acc.result.engine = acc.result.engine or engine_notes(headers)
        _check_status(response, body, headers)
        output = body.get("output") or {}
        choice = (output.get("choices") or [{}])[0]
        acc.text(text_of((choice.get("message") or {}).get("content")) or output.get("text") or "")
        acc.finish_reason(choice.get("finish_reason") or output.get("finish_reason"))
        usage = body.get("usage") or {}
        if usage:
            acc.usage(usage.get("input_tokens"), usage.get("output_tokens"))
    acc.close()


# ---------------------------------------------------------------- status errors

def _check_status(response: Any, body: dict[str, Any], headers: dict[str, Any]) -> None:
    """An HTTP error does not raise in the dashscope SDK: its status is in the response."""
    status = getattr(response, "status_code", None)
    if status == 200:
        return
    retry_after = headers.get("retry-after")
    err = from_status(int(status or 0), body.get("code"), body.get("message") or "", body.get("request_id"))
    if retry_after is not None:
        err.hint += f" The server asked to retry after {retry_after} s."
    raise err
