"""Run a ``Request`` through the official SDKs: ``openai`` for the compatible protocol, ``dashscope``
(``Generation`` / ``MultiModalConversation``) for the native one. This is the entry point: it resolves
the target, hands the call to the protocol's module in ``structured_output.wire`` and retries what
may be retried. Every failure leaves here as one ``CallError``; the API key is used for the call and
kept nowhere. Pages do not call ``run`` themselves: they go through ``structured_output.runs``."""

from __future__ import annotations

import time
from dataclasses import dataclass

from structured_output.catalog import load_catalog
from structured_output.errors import CallError
from structured_output.request import Request
from structured_output.result import RunResult, finish
from structured_output.wire import compatible, native
from structured_output.wire.common import OnDelta, OnRetry

LOCAL_PLACEHOLDER_KEY = "sk-local-engine"  # the SDKs insist on a key; the local engine ignores it
DEFAULT_TIMEOUT_S = 180.0
DEFAULT_RETRIES = 2


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


NOT_CHOSEN = ("Not checked: you chose to validate against nothing (the schema in the editor is not sent in "
              "this mode).")


def run(req: Request, api_key: str | None = None, *, on_delta: OnDelta | None = None,
        on_retry: OnRetry | None = None, timeout: float = DEFAULT_TIMEOUT_S,
        max_retries: int = DEFAULT_RETRIES) -> RunResult:
    """Send ``req`` and return the finished result; errors are inside the result, never raised."""
    started = time.perf_counter()
    result = RunResult()
    try:
        target = resolve_target(req, api_key)
        if req.protocol == "native":
            _send_native(req, target, result, on_delta, on_retry, timeout, max_retries, started)
        else:
            compatible.send(req, target.endpoint, target.base_url, target.api_key, result, on_delta, on_retry,
                            timeout, max_retries, started)
    except CallError as e:
        e.retries = max(e.retries, result.retries)
        # The error is kept in the session's history: drop what links it to the SDK's exception (whose
        # request carries the Authorization header) and to the frames (whose locals hold the key).
        e.__context__ = e.__cause__ = e.__traceback__ = None
        result.error = e
    result.latency_s = time.perf_counter() - started
    finish(result, req.validation_schema())
    if result.validation is not None and req.validation_schema() is None and req.schema() is not None:
        result.validation.note = NOT_CHOSEN
    return result


# ---------------------------------------------------------------- retries

def _send_native(req: Request, target: Target, result: RunResult, on_delta: OnDelta | None,
                 on_retry: OnRetry | None, timeout: float, max_retries: int, started: float) -> None:
    """The native protocol, retried here on 429/5xx (the dashscope SDK does not retry; the openai
    SDK does, and ``compatible.send`` counts its attempts)."""
    for attempt in range(max_retries + 1):
        try:
            native.send(req, target.endpoint, target.base_url, target.api_key, result, on_delta, timeout, started)
            return
        except CallError as e:
            retry_after = retry_delay(e, attempt, max_retries)
            if retry_after is None:
                raise
            result.retries = attempt + 1
            if on_retry is not None:
                on_retry(attempt + 1, retry_after, e)
            time.sleep(retry_after)


def retry_delay(e: CallError, attempt: int, max_retries: int) -> float | None:
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
