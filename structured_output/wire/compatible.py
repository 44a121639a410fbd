"""The OpenAI-compatible protocol through the ``openai`` SDK: the body (``openai_kwargs``), sending
it (``send``), reading its stream, and mapping its status errors."""

from __future__ import annotations

import contextlib
import functools
import json
import ssl
from typing import Any

import httpx
import openai

from structured_output.errors import CallError
from structured_output.request import Request, VideoInput
from structured_output.result import RunResult, Usage, content_of
from structured_output.tokens import TOP_LOGPROBS
from structured_output.wire import refusal
from structured_output.wire.common import (
    SERVED_BY_HEADER,
    OnDelta,
    OnRetry,
    bad_response_error,
    connection_error,
    engine_notes,
    from_status,
    optional_params,
    stream_cut_error,
    timeout_error,
)
from structured_output.wire.stream import StreamAccumulator

# ---------------------------------------------------------------- the body


def openai_messages(req: Request) -> list[dict[str, Any]]:
    """Messages in the OpenAI-compatible shape; content parts only when there are images."""
    msgs: list[dict[str, Any]] = []
    if req.system_prompt:
        msgs.append({"role": "system", "content": req.system_prompt})
    if req.images or req.video:
        parts: list[dict[str, Any]] = [video_part(req.video)] if req.video else []
        parts += [{"type": "image_url", "image_url": {"url": i.to_url()}} for i in req.images]
        parts.append({"type": "text", "text": req.user_text})
        msgs.append({"role": "user", "content": parts})
    else:
        msgs.append({"role": "user", "content": req.user_text})
    msgs += [{"role": t["role"], "content": t["content"]} for t in req.followups]
    return msgs


def video_part(video: VideoInput) -> dict[str, Any]:
    """The compatible-mode video item: a frame list (``video``; no fps on this protocol: the service
    takes the frames as 0.5 s apart), or a file the service fetches (``video_url``)."""
    if video.url:
        return {"type": "video_url", "video_url": {"url": video.url}}
    return {"type": "video", "video": video.frame_urls()}


def openai_kwargs(req: Request) -> dict[str, Any]:
    """Arguments for ``client.chat.completions.create``."""
    kw: dict[str, Any] = {"model": req.model, "messages": openai_messages(req), **optional_params(req)}
    if req.enable_thinking is not None:
        kw["extra_body"] = {"enable_thinking": req.enable_thinking}
    if req.stream:
        kw["stream"] = True
        kw["stream_options"] = {"include_usage": True}
    if req.logprobs:  # the token view (not part of the exported code)
        kw["logprobs"] = True
        kw["top_logprobs"] = TOP_LOGPROBS
    return kw


# ---------------------------------------------------------------- sending

@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every call, built as httpx builds its default (CA bundle, SSL_CERT_FILE).

    Why shared: building a context loads the whole CA bundle, which was most of a batch row's own
    client-side time (tens of milliseconds idle, far more on a busy machine), even for the plain-HTTP
    local engine. An ``SSLContext`` is safe to share between threads."""
    return httpx.create_ssl_context()


def send(req: Request, endpoint: str, base_url: str, api_key: str, result: RunResult, on_delta: OnDelta | None,
         on_retry: OnRetry | None, timeout: float, max_retries: int, started: float) -> None:
    """One call, filling ``result``; the SDK retries 429/5xx itself (each attempt is counted)."""
    attempts = 0

    def count(_request: httpx.Request) -> None:
        nonlocal attempts
        attempts += 1
        result.retries = attempts - 1
        if attempts > 1 and on_retry is not None:
            on_retry(attempts - 1, 0.0, CallError("server", "retrying", ""))

    http_client = httpx.Client(event_hooks={"request": [count], "response": [_no_retry_on_refusal]},
                               timeout=timeout, verify=tls_context())
    client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout,
                           max_retries=max_retries, http_client=http_client)
    kwargs = openai_kwargs(req)
    try:
        raw = client.chat.completions.with_raw_response.create(**kwargs)
        result.served_by = raw.headers.get(SERVED_BY_HEADER, "")
        result.engine = engine_notes(raw.headers)
        result.request_id = raw.headers.get("x-request-id") or raw.headers.get("x-dashscope-request-id")
        if req.stream and "event-stream" not in raw.http_response.headers.get("content-type", ""):
            # Not a stream at all (a proxy's HTML page, or a server that ignores `stream`): the SDK would
            # find no events in it and the run would look like a stream cut short.
            text = raw.http_response.read().decode("utf-8", "replace")
            try:
                body = json.loads(text)
            except ValueError:
                raise bad_response_error("a stream was asked for and the body is neither events nor JSON",
                                         text) from None
            _fill_from_body(body, result)
        elif req.stream:
            _consume_stream(raw.parse(), StreamAccumulator(result, on_delta, started))
        else:
            try:
                body = json.loads(raw.http_response.text)
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise bad_response_error(f"the body is not JSON ({e})", raw.http_response.text) from None
            _fill_from_body(body, result)
    except openai.APIStatusError as e:
        raise _from_status_error(e) from None
    except openai.APITimeoutError:
        raise timeout_error(base_url, timeout) from None
    except openai.APIConnectionError as e:
        raise connection_error(endpoint, base_url, e.__cause__ or e) from None
    except httpx.HTTPError as e:  # raised while iterating a stream
        raise stream_cut_error(e) from None
    except openai.APIError as e:  # an error event inside a stream
        raise CallError("http", e.message, "The server reported an error in the middle of the stream.",
                        code=getattr(e, "code", None)) from None
    finally:
        client.close()
    result.retries = max(0, attempts - 1)


def _no_retry_on_refusal(response: httpx.Response) -> None:
    """The SDK retries every 5xx (and 408/409/429) unless the response says ``x-should-retry: false``;
    a body that refuses a parameter we sent (``refusal.should_not_retry``) gets that header here, so
    a server that answers JSON Schema mode with a 500 is asked once, not three times."""
    if response.status_code < 500 and response.status_code not in (408, 409):
        return
    response.read()
    if refusal.should_not_retry(response.content):
        response.headers["x-should-retry"] = "false"


def _fill_from_body(body: Any, result: RunResult) -> None:
    if not isinstance(body, dict) or not (body.get("choices") or body.get("output")):
        raise bad_response_error("it has no `choices`", json.dumps(body)[:300])
    result.raw = body
    result.content = content_of(body)
    choice = (body.get("choices") or [{}])[0]
    result.finish_reason = choice.get("finish_reason")
    result.reasoning = (choice.get("message") or {}).get("reasoning_content") or ""
    usage = body.get("usage") or {}
    result.usage = Usage(usage.get("prompt_tokens"), usage.get("completion_tokens"))
    result.request_id = result.request_id or body.get("id")


# ---------------------------------------------------------------- the stream

def _consume_stream(stream: Any, acc: StreamAccumulator) -> None:
    for chunk in stream:
        data = chunk.to_dict()
        acc.chunk(data)
        acc.result.request_id = acc.result.request_id or data.get("id")
        if data.get("usage"):
            acc.usage(data["usage"].get("prompt_tokens"), data["usage"].get("completion_tokens"))
        for choice in data.get("choices") or []:
            delta = choice.get("delta") or {}
            acc.thought(delta.get("reasoning_content"))
            acc.text(delta.get("content"))
            acc.finish_reason(choice.get("finish_reason"))
    acc.close()


# ---------------------------------------------------------------- status errors

def _from_status_error(e: openai.APIStatusError) -> CallError:
    body = e.body if isinstance(e.body, dict) else {}
    inner = body.get("error") if isinstance(body.get("error"), dict) else body
    message = (inner or {}).get("message") or e.message
    if not body and e.response is not None:  # a gateway's HTML page: show how it begins, not just the code
        with contextlib.suppress(Exception):
            text = e.response.text.strip()
            if text:
                message = f"HTTP {e.status_code} with a body that is not JSON; it began: {text[:200]!r}"
    code = (inner or {}).get("code") or getattr(e, "code", None)
    request_id = e.request_id or (e.response.headers.get("x-dashscope-request-id") if e.response else None)
    err = from_status(e.status_code, code, str(message), request_id)
    retry_after = e.response.headers.get("retry-after") if e.response is not None else None
    if retry_after:
        err.hint += f" The server asked to retry after {retry_after} s."
    return err
