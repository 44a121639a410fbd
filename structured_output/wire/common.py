"""What both protocols share: the optional parameters of the body, the response header that names
the local engine's model, and every failure in plain words (HTTP status, connection, timeout, a
stream cut short, an answer that is not a chat completion)."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from structured_output.errors import CallError
from structured_output.request import Request
from structured_output.result import EngineNotes
from structured_output.wire import refusal

SERVED_BY_HEADER = "x-local-engine-model"
KEYS_HEADER = "x-local-engine-keys"  # a JSON list: the keys a JSON Object answer was steered towards
OCR_NOTE_HEADER = "x-local-engine-ocr"
OCR_TEXT_HEADER = "x-local-engine-ocr-text"  # percent-encoded: the text OCR read from the images

OnDelta = Callable[[str], None]
OnRetry = Callable[[int, float, CallError], None]


def optional_params(req: Request) -> dict[str, Any]:
    """``response_format``, ``temperature`` and ``max_tokens``, each only when set: the same on every wire."""
    params: dict[str, Any] = {}
    rf = req.response_format()
    if rf is not None:
        params["response_format"] = rf
    if req.temperature is not None:
        params["temperature"] = req.temperature
    if req.max_tokens is not None:
        params["max_tokens"] = req.max_tokens
    return params


def engine_notes(headers: Mapping[str, Any]) -> EngineNotes:
    """What the local engine said it did (its ``X-Local-Engine-*`` headers), read the same on both wires.
    A header that does not read as documented is left out rather than shown half-read."""
    h = {str(k).lower(): str(v) for k, v in headers.items()}
    keys: list[str] = []
    try:
        value = json.loads(h.get(KEYS_HEADER, "[]"))
        if isinstance(value, list):
            keys = [str(k) for k in value]
    except ValueError:
        pass
    return EngineNotes(steered_keys=keys, ocr_note=h.get(OCR_NOTE_HEADER, ""),
                       ocr_text=urllib.parse.unquote(h.get(OCR_TEXT_HEADER, "")))


# ---------------------------------------------------------------- failures in plain words

def from_status(status: int, code: Any, message: str, request_id: str | None) -> CallError:
    """An HTTP error status (either protocol) as a ``CallError`` with what to do about it."""
    code = str(code) if code not in (None, "") else None
    message = message or f"HTTP {status} with no message."
    if status in (401, 403):
        return CallError("auth", message, "The API key was refused. Check it is right and belongs to this region "
                         "(Singapore, US and Beijing keys are separate).", status, code, request_id)
    if status == 429:
        return CallError("rate_limit", message, "Too many requests at once: wait a moment and run again "
                         "(the local engine serves one request at a time).", status, code, request_id)
    refused = refusal.unsupported_parameter(message) if status >= 400 else None
    if refused is not None:  # read for what it says: a refused parameter is not transient, whatever the status
        return CallError("unsupported", message, refusal.hint(refused, status), status, code, request_id)
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


def connection_error(endpoint: str, base_url: str, cause: BaseException) -> CallError:
    text = str(cause)
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return CallError("connection", f"The host of {base_url} could not be resolved (DNS).",
                         "Check the URL's spelling and that this machine is online; the local engine works offline.")
    where = "The local engine" if endpoint == "local" else base_url
    hint = ("It may be starting or stopped: check its status in the sidebar and run again."
            if endpoint == "local" else "Check the URL, that the server runs, and this machine's network.")
    return CallError("connection", f"{where} could not be reached: the connection was refused or dropped.", hint)


def timeout_error(base_url: str, timeout: float) -> CallError:
    return CallError("timeout", f"No answer from {base_url} within {timeout:g} s.",
                     "Run again, shorten the prompt, or raise the timeout; a busy server may need longer.")


def stream_cut_error(e: BaseException) -> CallError:
    return CallError("stream_cut", f"The stream was cut in the middle ({type(e).__name__}).",
                     "What arrived is kept; run again to get the whole answer.")


def bad_response_error(why: str, sample: str) -> CallError:
    tail = f" It began: {sample[:200]!r}" if sample else ""
    return CallError("bad_response", f"The server's answer is not a chat completion: {why}.{tail}",
                     "Check the base URL points at an OpenAI-compatible or DashScope API.")
