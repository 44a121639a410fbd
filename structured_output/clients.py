"""Run a ``Request`` through the official SDKs: ``openai`` for the compatible protocol, ``dashscope``
(``Generation`` / ``MultiModalConversation``) for the native one. Every failure leaves here as one
``CallError``; the API key is used for the call and kept nowhere."""

from __future__ import annotations

import contextlib
import functools
import json
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import requests

from structured_output.catalog import load_catalog
from structured_output.errors import CallError
from structured_output.request import Request, dashscope_kwargs, openai_kwargs
from structured_output.result import RunResult, Usage, content_of, finish, text_of

LOCAL_PLACEHOLDER_KEY = "sk-local-engine"  # the SDKs insist on a key; the local engine ignores it
SERVED_BY_HEADER = "x-local-engine-model"
DEFAULT_TIMEOUT_S = 180.0
DEFAULT_RETRIES = 2

OnDelta = Callable[[str], None]
OnRetry = Callable[[int, float, CallError], None]


@dataclass(frozen=True)
class Target:
    """Where one request goes, resolved from the catalog. Holds the key only for the call's duration."""

    endpoint: str
    protocol: str
    base_url: str
    api_key: str

    def __repr__(self) -> str:  # never show the key
        return f"Target({self.endpoint!r}, {self.protocol!r}, {self.base_url!r})"


def resolve_target(req: Request, api_key: str | None) -> Target:
    endpoint = load_catalog().endpoint(req.endpoint)
    if req.endpoint == "custom":
        base = req.custom_base_url.strip().rstrip("/")
    else:
        base = endpoint.base_url(req.protocol) or ""
    if not base:
        raise CallError("invalid_request", f"The {endpoint.label} endpoint has no {req.protocol} protocol URL.",
                        "Pick the OpenAI-compatible protocol, or another endpoint.")
    key = (api_key or "").strip()
    if endpoint.needs_key and not key:
        raise CallError("missing_key", f"{endpoint.label} needs an API key and none is set.",
                        "Set DASHSCOPE_API_KEY before starting the app, or type the key into the sidebar's "
                        "API key field. Keys are per region: a Singapore key does not work in Beijing.")
    if not key:
        key = LOCAL_PLACEHOLDER_KEY if req.endpoint == "local" else "EMPTY"
    return Target(req.endpoint, req.protocol, base, key)


def run(req: Request, api_key: str | None = None, *, on_delta: OnDelta | None = None,
        on_retry: OnRetry | None = None, timeout: float = DEFAULT_TIMEOUT_S,
        max_retries: int = DEFAULT_RETRIES) -> RunResult:
    """Send ``req`` and return the finished result; errors are inside the result, never raised."""
    started = time.perf_counter()
    result = RunResult()
    try:
        target = resolve_target(req, api_key)
        if req.protocol == "native":
            _run_dashscope(req, target, result, on_delta, on_retry, timeout, max_retries, started)
        else:
            _run_openai(req, target, result, on_delta, on_retry, timeout, max_retries, started)
    except CallError as e:
        e.retries = max(e.retries, result.retries)
        # The error is kept in the session's history: drop what links it to the SDK's exception (whose
        # request carries the Authorization header) and to the frames (whose locals hold the key).
        e.__context__ = e.__cause__ = e.__traceback__ = None
        result.error = e
    result.latency_s = time.perf_counter() - started
    return finish(result, req.schema())


# ---------------------------------------------------------------- openai (compatible)

@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every call, built as httpx builds its default (CA bundle, SSL_CERT_FILE).

    Why shared: building a context loads the whole CA bundle, which was most of a batch row's own
    client-side time (tens of milliseconds idle, far more on a busy machine), even for the plain-HTTP
    local engine. An ``SSLContext`` is safe to share between threads."""
    return httpx.create_ssl_context()


def _run_openai(req: Request, target: Target, result: RunResult, on_delta: OnDelta | None,
                on_retry: OnRetry | None, timeout: float, max_retries: int, started: float) -> None:
    attempts = 0

    def count(_request: httpx.Request) -> None:
        nonlocal attempts
        attempts += 1
        result.retries = attempts - 1
        if attempts > 1 and on_retry is not None:
            on_retry(attempts - 1, 0.0, CallError("server", "retrying", ""))

    http_client = httpx.Client(event_hooks={"request": [count]}, timeout=timeout, verify=tls_context())
    client = openai.OpenAI(api_key=target.api_key, base_url=target.base_url, timeout=timeout,
                           max_retries=max_retries, http_client=http_client)
    kwargs = openai_kwargs(req)
    try:
        raw = client.chat.completions.with_raw_response.create(**kwargs)
        result.served_by = raw.headers.get(SERVED_BY_HEADER, "")
        result.request_id = raw.headers.get("x-request-id") or raw.headers.get("x-dashscope-request-id")
        if req.stream and "event-stream" not in raw.http_response.headers.get("content-type", ""):
            # Not a stream at all (a proxy's HTML page, or a server that ignores `stream`): the SDK would
            # find no events in it and the run would look like a stream cut short.
            text = raw.http_response.read().decode("utf-8", "replace")
            try:
                body = json.loads(text)
            except ValueError:
                raise _bad_response("a stream was asked for and the body is neither events nor JSON",
                                    text) from None
            _fill_from_openai_body(body, result)
        elif req.stream:
            _consume_openai_stream(raw.parse(), result, on_delta, started)
        else:
            try:
                body = json.loads(raw.http_response.text)
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise _bad_response(f"the body is not JSON ({e})", raw.http_response.text) from None
            _fill_from_openai_body(body, result)
    except openai.APIStatusError as e:
        raise _from_openai_status(e, target) from None
    except openai.APITimeoutError:
        raise _timeout(target, timeout) from None
    except openai.APIConnectionError as e:
        raise _connection(target, e.__cause__ or e) from None
    except httpx.HTTPError as e:  # raised while iterating a stream
        raise _stream_cut(e) from None
    except openai.APIError as e:  # an error event inside a stream
        raise CallError("http", e.message, "The server reported an error in the middle of the stream.",
                        code=getattr(e, "code", None)) from None
    finally:
        client.close()
    result.retries = max(0, attempts - 1)


def _fill_from_openai_body(body: Any, result: RunResult) -> None:
    if not isinstance(body, dict) or not (body.get("choices") or body.get("output")):
        raise _bad_response("it has no `choices`", json.dumps(body)[:300])
    result.raw = body
    result.content = content_of(body)
    choice = (body.get("choices") or [{}])[0]
    result.finish_reason = choice.get("finish_reason")
    result.reasoning = (choice.get("message") or {}).get("reasoning_content") or ""
    usage = body.get("usage") or {}
    result.usage = Usage(usage.get("prompt_tokens"), usage.get("completion_tokens"))
    result.request_id = result.request_id or body.get("id")


def _consume_openai_stream(stream: Any, result: RunResult, on_delta: OnDelta | None, started: float) -> None:
    chunks: list[dict[str, Any]] = []
    parts: list[str] = []
    reasoning: list[str] = []
    for chunk in stream:
        data = chunk.to_dict()
        chunks.append(data)
        result.request_id = result.request_id or data.get("id")
        if data.get("usage"):
            result.usage = Usage(data["usage"].get("prompt_tokens"), data["usage"].get("completion_tokens"))
        for choice in data.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("reasoning_content"):
                reasoning.append(delta["reasoning_content"])
            text = delta.get("content")
            if text:
                if result.ttft_s is None:
                    result.ttft_s = time.perf_counter() - started
                parts.append(text)
                if on_delta is not None:
                    on_delta(text)
            if choice.get("finish_reason"):
                result.finish_reason = choice["finish_reason"]
    result.raw = chunks
    result.content = "".join(parts)
    result.reasoning = "".join(reasoning)
    if result.finish_reason is None:
        raise CallError("stream_cut", "The stream ended without a finish reason: the answer may be incomplete.",
                        "Run it again; if it keeps happening, turn streaming off.")


# ---------------------------------------------------------------- dashscope (native)

def _run_dashscope(req: Request, target: Target, result: RunResult, on_delta: OnDelta | None,
                   on_retry: OnRetry | None, timeout: float, max_retries: int, started: float) -> None:
    import dashscope  # imported here: it is slow to import and only the native protocol needs it

    api = dashscope.MultiModalConversation if req.images else dashscope.Generation
    kwargs = dashscope_kwargs(req)
    for attempt in range(max_retries + 1):
        try:
            response = api.call(api_key=target.api_key, base_address=target.base_url,
                                request_timeout=int(timeout), **kwargs)
            if req.stream:
                _consume_dashscope_stream(response, result, on_delta, started)
            else:
                _fill_from_dashscope(response, result)
            return
        except CallError as e:
            retry_after = _retry_delay(e, attempt, max_retries)
            if retry_after is None:
                raise
            result.retries = attempt + 1
            if on_retry is not None:
                on_retry(attempt + 1, retry_after, e)
            time.sleep(retry_after)
        except requests.exceptions.Timeout:
            raise _timeout(target, timeout) from None
        except requests.exceptions.ChunkedEncodingError as e:
            raise _stream_cut(e) from None
        except requests.exceptions.JSONDecodeError as e:  # an OSError too: it must come before that branch
            raise _bad_response(f"the body is not JSON ({e})", "") from None
        except (requests.exceptions.ConnectionError, OSError) as e:
            raise _connection(target, e) from None
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise _bad_response(f"the SDK could not read it ({type(e).__name__}: {e})", "") from None


def _dashscope_body(response: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The response as received (a dict) and its headers, which the SDK keeps inside it."""
    try:
        body = json.loads(json.dumps(response, default=str))
    except (TypeError, ValueError):
        body = {"unreadable": str(response)}
    headers = body.pop("headers", None) or {}
    return body, {str(k).lower(): v for k, v in headers.items()}


def _check_dashscope(response: Any, body: dict[str, Any], headers: dict[str, Any]) -> None:
    status = getattr(response, "status_code", None)
    if status == 200:
        return
    retry_after = headers.get("retry-after")
    err = _from_status(int(status or 0), body.get("code"), body.get("message") or "", body.get("request_id"))
    if retry_after is not None:
        err.hint += f" The server asked to retry after {retry_after} s."
    raise err


def _fill_from_dashscope(response: Any, result: RunResult) -> None:
    body, headers = _dashscope_body(response)
    result.raw = body
    result.request_id = body.get("request_id")
    result.served_by = headers.get(SERVED_BY_HEADER, "")
    _check_dashscope(response, body, headers)
    output = body.get("output")
    if not isinstance(output, dict):
        raise _bad_response("it has no `output`", json.dumps(body)[:300])
    result.content = content_of(body)
    choice = (output.get("choices") or [{}])[0]
    result.finish_reason = choice.get("finish_reason") or output.get("finish_reason")
    result.reasoning = (choice.get("message") or {}).get("reasoning_content") or ""
    usage = body.get("usage") or {}
    result.usage = Usage(usage.get("input_tokens"), usage.get("output_tokens"))


def _consume_dashscope_stream(responses: Iterator[Any], result: RunResult, on_delta: OnDelta | None,
                              started: float) -> None:
    chunks: list[dict[str, Any]] = []
    parts: list[str] = []
    for response in responses:
        body, headers = _dashscope_body(response)
        chunks.append(body)
        result.raw = chunks
        result.request_id = result.request_id or body.get("request_id")
        result.served_by = result.served_by or headers.get(SERVED_BY_HEADER, "")
        _check_dashscope(response, body, headers)
        output = body.get("output") or {}
        choice = (output.get("choices") or [{}])[0]
        text = text_of((choice.get("message") or {}).get("content")) or output.get("text") or ""
        if text:
            if result.ttft_s is None:
                result.ttft_s = time.perf_counter() - started
            parts.append(text)
            if on_delta is not None:
                on_delta(text)
        reason = choice.get("finish_reason") or output.get("finish_reason")
        if reason and reason != "null":
            result.finish_reason = reason
        usage = body.get("usage") or {}
        if usage:
            result.usage = Usage(usage.get("input_tokens"), usage.get("output_tokens"))
    result.raw = chunks
    result.content = "".join(parts)
    if result.finish_reason is None:
        raise CallError("stream_cut", "The stream ended without a finish reason: the answer may be incomplete.",
                        "Run it again; if it keeps happening, turn streaming off.")


def _retry_delay(e: CallError, attempt: int, max_retries: int) -> float | None:
    """Seconds to wait before retrying a 429/5xx, honouring Retry-After; None when not to retry."""
    if attempt >= max_retries or e.kind not in ("rate_limit", "server"):
        return None
    marker = "retry after "
    if marker in e.hint:
        try:
            return min(30.0, float(e.hint.split(marker, 1)[1].split(" ", 1)[0]))
        except ValueError:
            pass
    return min(8.0, 0.5 * 2**attempt)


# ---------------------------------------------------------------- normalization

def _from_openai_status(e: openai.APIStatusError, target: Target) -> CallError:
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
    err = _from_status(e.status_code, code, str(message), request_id)
    retry_after = e.response.headers.get("retry-after") if e.response is not None else None
    if retry_after:
        err.hint += f" The server asked to retry after {retry_after} s."
    return err


def _from_status(status: int, code: Any, message: str, request_id: str | None) -> CallError:
    code = str(code) if code not in (None, "") else None
    message = message or f"HTTP {status} with no message."
    if status in (401, 403):
        return CallError("auth", message, "The API key was refused. Check it is right and belongs to this region "
                         "(Singapore, US and Beijing keys are separate).", status, code, request_id)
    if status == 429:
        return CallError("rate_limit", message, "Too many requests at once: wait a moment and run again "
                         "(the local engine serves one request at a time).", status, code, request_id)
    if status >= 500:
        return CallError("server", message, "The server failed on its side; running again later usually works.",
                         status, code, request_id)
    if status == 404:
        return CallError("http", message, "Check the model name and the endpoint's base URL.", status, code, request_id)
    if "json" in message.lower() and "messages" in message.lower():
        hint = 'Add the word "JSON" to the system prompt or the user message (JSON Object mode requires it).'
    elif "thinking" in message.lower():
        hint = "Turn thinking off: structured output is not supported in thinking mode."
    else:
        hint = "The server refused the request; its message says what to change."
    return CallError("http", message, hint, status, code, request_id)


def _connection(target: Target, cause: BaseException) -> CallError:
    text = str(cause)
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return CallError("connection", f"The host of {target.base_url} could not be resolved (DNS).",
                         "Check the URL's spelling and that this machine is online; the local engine works offline.")
    where = "The local engine" if target.endpoint == "local" else target.base_url
    hint = ("It may be starting or stopped: check its status in the sidebar and run again."
            if target.endpoint == "local" else "Check the URL, that the server runs, and this machine's network.")
    return CallError("connection", f"{where} could not be reached: the connection was refused or dropped.", hint)


def _timeout(target: Target, timeout: float) -> CallError:
    return CallError("timeout", f"No answer from {target.base_url} within {timeout:g} s.",
                     "Run again, shorten the prompt, or raise the timeout; a busy server may need longer.")


def _stream_cut(e: BaseException) -> CallError:
    return CallError("stream_cut", f"The stream was cut in the middle ({type(e).__name__}).",
                     "What arrived is kept; run again to get the whole answer.")


def _bad_response(why: str, sample: str) -> CallError:
    tail = f" It began: {sample[:200]!r}" if sample else ""
    return CallError("bad_response", f"The server's answer is not a chat completion: {why}.{tail}",
                     "Check the base URL points at an OpenAI-compatible or DashScope API.")
