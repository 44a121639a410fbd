"""A run shared: one JSON file (the request, every attempt with its raw response and verdict, the lint
findings) that reopens the run and its editors, and a link that carries the playground's request in the
URL's query parameters so a demo opens from a bookmark.

Never the key: a ``Request`` has no key field, results are scrubbed before the history keeps them, and a
custom URL's user name and password are dropped. What the file says about parse and validation is not
trusted on import: both are derived again from the content and the request's schema.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from structured_output.errors import CallError
from structured_output.lint import Finding
from structured_output.request import MODES, Request
from structured_output.result import RunResult, Usage, finish

FORMAT = "structured-output-playground/run"
VERSION = 1
MAX_FILE_BYTES = 20 * 1024 * 1024
LINK_PARAM = "run"  # ?run=<the request, JSON, zlib, base64url>
LINK_IMAGE_LIMIT = 16 * 1024  # images larger than this (bytes) are left out of a link
MAX_LINK_CHARS = 64_000  # browsers and servers refuse longer URLs; past this a link is refused with why
MAX_LINK_TEXT = 2 * 10**6  # what a link may inflate to (a crafted link must not fill memory)


class ShareError(ValueError):
    """A shared file or link that cannot be opened: what is wrong and where (the field), how to fix."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass
class SharedAttempt:
    request: Request
    result: RunResult


@dataclass
class SharedRun:
    request: Request  # what the editors reopen with (the first attempt's, without the retry turns)
    attempts: list[SharedAttempt] = field(default_factory=list)
    lint: list[dict[str, Any]] = field(default_factory=list)


def without_credentials(url: str) -> str:
    """``url`` without a user name, password, query or fragment (a custom server's URL may carry them)."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _request_dict(req: Request) -> dict[str, Any]:
    return replace(req, custom_base_url=without_credentials(req.custom_base_url)).to_dict()


def _result_dict(r: RunResult) -> dict[str, Any]:
    return {
        "raw": r.raw, "content": r.content, "reasoning": r.reasoning, "finish_reason": r.finish_reason,
        "usage": asdict(r.usage), "request_id": r.request_id, "served_by": r.served_by, "latency_s": r.latency_s,
        "ttft_s": r.ttft_s, "retries": r.retries, "verdict": r.verdict,
        "error": asdict(r.error) if r.error is not None else None,
        "parse": {"ok": r.parse.ok, "error": r.parse.error, "line": r.parse.line, "column": r.parse.column}
        if r.parse is not None else None,
        "validation_errors": [{"path": e.path, "message": e.message, "keyword": e.keyword,
                               "schema_path": e.schema_path} for e in r.validation.errors]
        if r.validation is not None else None,
    }


def run_file(attempts: list[tuple[Request, RunResult]], findings: list[Finding]) -> dict[str, Any]:
    """The shared file's content: the request, every attempt (oldest first) and the lint findings."""
    if not attempts:
        raise ValueError("A shared run needs at least one attempt.")
    first = replace(attempts[0][0], followups=[])
    return {
        "format": FORMAT, "version": VERSION,
        "request": _request_dict(first),
        "attempts": [{"attempt": i + 1, "request": _request_dict(req), **_result_dict(res)}
                     for i, (req, res) in enumerate(attempts)],
        "verdict": attempts[-1][1].verdict,
        "lint": [{"level": f.level, "code": f.code, "message": f.message, "hint": f.hint, "where": f.where}
                 for f in findings],
    }


def dumps(content: dict[str, Any]) -> bytes:
    return json.dumps(content, indent=2, ensure_ascii=False).encode("utf-8")


# ---------------------------------------------------------------- reading a shared file

def _need(d: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(d, dict) or key not in d:
        raise ShareError(f"The shared file has no field `{where}{key}`.", "Export the run again from the playground.")
    if not isinstance(d[key], kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ShareError(f"Field `{where}{key}` of the shared file must be {names}, not {type(d[key]).__name__}.",
                         "Export the run again from the playground; do not edit that field by hand.")
    return d[key]


def _request_from(d: Any, where: str) -> Request:
    if not isinstance(d, dict):
        raise ShareError(f"Field `{where}` of the shared file must be an object.", "Export the run again.")
    mode = d.get("mode", "json_object")
    if mode not in MODES:
        raise ShareError(f"Field `{where}.mode` must be one of {', '.join(MODES)}, not {mode!r}.",
                         "Fix the mode in the file or export the run again.")
    for key in ("model", "system_prompt", "user_text", "schema_text"):
        if key in d and not isinstance(d[key], str):
            raise ShareError(f"Field `{where}.{key}` of the shared file must be text.", "Export the run again.")
    followups = d.get("followups") or []
    if not isinstance(followups, list) or not all(
            isinstance(t, dict) and t.get("role") in ("assistant", "user") and isinstance(t.get("content"), str)
            for t in followups):
        raise ShareError(f"Field `{where}.followups` must be a list of {{role, content}} turns.",
                         "Export the run again.")
    try:
        return Request.from_dict(d)
    except (TypeError, ValueError, binascii.Error, KeyError) as e:
        raise ShareError(f"Field `{where}` of the shared file cannot be read: {e}.", "Export the run again.") from None


def _result_from(d: dict[str, Any], req: Request, where: str) -> RunResult:
    usage = d.get("usage") or {}
    err = d.get("error")
    error = None
    if isinstance(err, dict):
        try:
            error = CallError(**{k: v for k, v in err.items() if k in CallError.__dataclass_fields__})
        except TypeError as e:
            raise ShareError(f"Field `{where}.error` cannot be read: {e}.", "Export the run again.") from None
    content = d.get("content")
    if content is not None and not isinstance(content, str):
        raise ShareError(f"Field `{where}.content` must be text or null.", "Export the run again.")
    result = RunResult(raw=d.get("raw"), content=content, reasoning=str(d.get("reasoning") or ""),
                       finish_reason=d.get("finish_reason"),
                       usage=Usage(usage.get("input_tokens"), usage.get("output_tokens")) if isinstance(usage, dict)
                       else Usage(), request_id=d.get("request_id"), served_by=str(d.get("served_by") or ""),
                       latency_s=d.get("latency_s"), ttft_s=d.get("ttft_s"), retries=int(d.get("retries") or 0),
                       error=error)
    return finish(result, req.validation_schema())  # parse and validation derived again, not read from the file


def read_run_file(data: bytes) -> SharedRun:
    """A shared file back as a request and its attempts, or a ``ShareError`` naming the field."""
    if len(data) > MAX_FILE_BYTES:
        raise ShareError(f"The file is {len(data) / 1e6:.1f} MB; a shared run is at most {MAX_FILE_BYTES // 10**6} MB.",
                         "Pick the .json file the playground's Share downloaded.")
    try:
        content = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ShareError("The file is not UTF-8 text.", "Pick the .json file the playground's Share downloaded.") \
            from None
    except json.JSONDecodeError as e:
        raise ShareError(f"The file is not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}.",
                         "Pick the .json file the playground's Share downloaded.") from None
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise ShareError(f"The file is not a shared run: its field `format` is not {FORMAT!r}.",
                         "A preset file opens on the Presets page; a shared run comes from the playground's Share.")
    version = content.get("version")
    if version != VERSION:
        raise ShareError(f"Field `version` is {version!r}; this playground reads version {VERSION}.",
                         "Export the run again with this playground.")
    request = _request_from(_need(content, "request", dict, ""), "request")
    raw_attempts = _need(content, "attempts", list, "")
    if not raw_attempts:
        raise ShareError("Field `attempts` of the shared file is empty.", "Export the run again.")
    attempts = []
    for i, a in enumerate(raw_attempts):
        where = f"attempts[{i}]"
        if not isinstance(a, dict):
            raise ShareError(f"Field `{where}` of the shared file must be an object.", "Export the run again.")
        req = _request_from(_need(a, "request", dict, f"{where}."), f"{where}.request")
        attempts.append(SharedAttempt(req, _result_from(a, req, where)))
    lint = content.get("lint") or []
    return SharedRun(request, attempts, lint if isinstance(lint, list) else [])


# ---------------------------------------------------------------- a link

@dataclass
class Link:
    query: str  # the value of the ``run`` query parameter
    left_out: list[str] = field(default_factory=list)  # what did not fit: images over the limit, a sampled video


def to_link(req: Request) -> Link:
    """The request (no key, no retry turns, no images over ``LINK_IMAGE_LIMIT``) as a query parameter value."""
    left_out = [f"image {i.name or n + 1} ({len(i.data) // 1024} KB)" for n, i in enumerate(req.images)
                if i.data is not None and len(i.data) > LINK_IMAGE_LIMIT]
    images = [i for i in req.images if i.data is None or len(i.data) <= LINK_IMAGE_LIMIT]
    video = req.video
    if video is not None and not video.url:
        left_out.append(f"the video's {len(video.frames)} sampled frames")
        video = None
    shared = replace(req, images=images, video=video, followups=[])
    text = json.dumps(_request_dict(shared), separators=(",", ":"), ensure_ascii=False)
    query = base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii").rstrip("=")
    if len(query) > MAX_LINK_CHARS:
        raise ShareError(f"The link would be {len(query):,} characters long; browsers take about {MAX_LINK_CHARS:,}.",
                         "Share the run as a file instead, or shorten the prompts or the schema.")
    return Link(query, left_out)


def from_link(query: str) -> Request:
    """The request a link carries, or a ``ShareError`` saying why the link cannot be opened."""
    hint = "Copy the whole link again from the playground's Share."
    try:
        packed = base64.urlsafe_b64decode(query + "=" * (-len(query) % 4))
        inflate = zlib.decompressobj()
        text = inflate.decompress(packed, MAX_LINK_TEXT).decode("utf-8")
        if inflate.unconsumed_tail:
            raise ShareError(f"The link's request is larger than {MAX_LINK_TEXT // 10**6} MB.", hint)
        if not inflate.eof:
            raise ValueError("cut short")
    except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError):
        raise ShareError("The link's `run` parameter is damaged (cut short or edited).", hint) from None
    try:
        d = json.loads(text)
    except json.JSONDecodeError:
        raise ShareError("The link's `run` parameter does not hold a request.", hint) from None
    return _request_from(d, "run")
