"""OpenAI's Files and Batches routes, as DashScope's compatible mode serves them: upload a JSONL file with
purpose ``batch``, create a job on it for ``/v1/chat/completions``, retrieve, list and cancel jobs, and
download the output and error files.

Jobs run in the background, one line at a time, each line through the same steps as a live
``/chat/completions`` request (``complete``: rules, refusals, constrained decoding, the one generation
slot), so a line's answer or refusal is the one a live call would get. A job waits its turn behind live
requests (a full line of them is waited out, never a 429 for the job). The store is in memory: jobs
outlive the page that started them and every browser tab, not the engine process.

The limits are DashScope's documented ones (``structured_output/data/batch_api.json``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from local_engine.chat import ChatRequest
from local_engine.errors import EngineError, bad_request
from local_engine.shapes import compatible
from local_engine.shapes.common import new_request_id
from structured_output.runs.batch_limits import LIMITS

log = logging.getLogger("local_engine")

ENDPOINT = "/v1/chat/completions"
BUSY_WAIT_S = 0.5  # a full line of live requests: how long a job waits before asking for a place again
# "24h" as DashScope takes it; the local engine also takes a number of s, m or h (so a test can let a job expire)
WINDOW = re.compile(r"^(\d{1,6})([smh])$")
TERMINAL = ("completed", "failed", "expired", "cancelled")

# (status, body) of one line's request: the same call a live request makes
Complete = Callable[[ChatRequest, threading.Event], Awaitable[tuple[int, dict[str, Any]]]]


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int = field(default_factory=lambda: int(time.time()))

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "object": "file", "bytes": len(self.data), "created_at": self.created_at,
                "filename": self.filename, "purpose": self.purpose, "status": "processed"}


@dataclass
class Line:
    number: int  # 1-based line of the input file
    custom_id: str
    body: dict[str, Any]


@dataclass
class BatchRecord:
    id: str
    input_file_id: str
    completion_window: str
    window_s: int
    metadata: dict[str, str] | None
    created_at: int = field(default_factory=lambda: int(time.time()))
    status: str = "validating"
    lines: list[Line] = field(default_factory=list)
    output: list[str] = field(default_factory=list)  # JSONL lines of the answered requests
    errors_out: list[str] = field(default_factory=list)  # JSONL lines of the refused or failed ones
    errors: list[dict[str, Any]] = field(default_factory=list)  # why the file was refused (status failed)
    completed: int = 0
    failed: int = 0
    cancel: threading.Event = field(default_factory=threading.Event)
    output_file_id: str | None = None
    error_file_id: str | None = None
    times: dict[str, int | None] = field(default_factory=dict)

    @property
    def expires_at(self) -> int:
        return self.created_at + self.window_s

    def as_dict(self) -> dict[str, Any]:
        t = self.times
        return {
            "id": self.id, "object": "batch", "endpoint": ENDPOINT,
            "errors": {"object": "list", "data": self.errors} if self.errors else None,
            "input_file_id": self.input_file_id, "completion_window": self.completion_window,
            "status": self.status, "output_file_id": self.output_file_id, "error_file_id": self.error_file_id,
            "created_at": self.created_at, "in_progress_at": t.get("in_progress_at"),
            "expires_at": self.expires_at, "finalizing_at": t.get("finalizing_at"),
            "completed_at": t.get("completed_at"), "failed_at": t.get("failed_at"),
            "expired_at": t.get("expired_at"), "cancelling_at": t.get("cancelling_at"),
            "cancelled_at": t.get("cancelled_at"),
            "request_counts": {"total": len(self.lines), "completed": self.completed, "failed": self.failed},
            "metadata": self.metadata,
        }


class BatchService:
    """The files, the jobs, and the worker that runs the jobs in the order they were created."""

    def __init__(self, complete: Complete) -> None:
        self.complete = complete
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, BatchRecord] = {}
        self._queue: asyncio.Queue[str] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._seq = itertools.count(1)

    # ------------------------------------------------------------ files

    def add_file(self, data: bytes, filename: str, purpose: str) -> StoredFile:
        if purpose != "batch":
            raise bad_request(f"`purpose` must be \"batch\" on the local engine (got {purpose!r}).", "purpose")
        if len(data) > LIMITS.max_file_bytes:
            raise EngineError(413, f"The file is {len(data) / 2**20:.1f} MB; a batch file may be at most "
                              f"{LIMITS.max_file_bytes / 2**20:.0f} MB. Split it into smaller files.", "file")
        f = StoredFile(f"file-batch-{secrets.token_hex(12)}", filename or "batch.jsonl", purpose, data)
        self.files[f.id] = f
        return f

    def file(self, file_id: str) -> StoredFile:
        f = self.files.get(file_id)
        if f is None:
            raise EngineError(404, f"No file {file_id!r} on the local engine (files live until it stops).",
                              "file_id", openai_code="file_not_found")
        return f

    def _result_file(self, name: str, lines: list[str]) -> str | None:
        if not lines:
            return None
        f = StoredFile(f"file-batch_output-{secrets.token_hex(12)}", name, "batch_output",
                       ("\n".join(lines) + "\n").encode("utf-8"))
        self.files[f.id] = f
        return f.id

    # ------------------------------------------------------------ jobs

    def create(self, body: dict[str, Any]) -> BatchRecord:
        file_id = body.get("input_file_id")
        if not isinstance(file_id, str) or not file_id:
            raise bad_request("`input_file_id` is required: the id of a file uploaded with purpose \"batch\".",
                              "input_file_id")
        self.file(file_id)
        endpoint = body.get("endpoint")
        if endpoint != ENDPOINT:
            raise bad_request(f"`endpoint` must be \"{ENDPOINT}\" (got {endpoint!r}).", "endpoint")
        window = body.get("completion_window")
        m = WINDOW.match(window) if isinstance(window, str) else None
        if m is None or int(m.group(1)) < 1:
            raise bad_request(f"`completion_window` must be \"24h\" (the local engine also takes a number of "
                              f"s, m or h, e.g. \"30m\"); got {window!r}.", "completion_window")
        window_s = int(m.group(1)) * {"s": 1, "m": 60, "h": 3600}[m.group(2)]
        metadata = body.get("metadata")
        if metadata is not None and (not isinstance(metadata, dict)
                                     or not all(isinstance(v, str) for v in metadata.values())):
            raise bad_request("`metadata` must be an object of string values.", "metadata")
        rec = BatchRecord(f"batch_{secrets.token_hex(4)}-{next(self._seq):04d}", file_id, window, window_s,
                          metadata)
        self.batches[rec.id] = rec
        self._start_worker()
        assert self._queue is not None
        self._queue.put_nowait(rec.id)
        return rec

    def get(self, batch_id: str) -> BatchRecord:
        rec = self.batches.get(batch_id)
        if rec is None:
            raise EngineError(404, f"No batch {batch_id!r} on the local engine (jobs live until it stops).",
                              "batch_id", openai_code="batch_not_found")
        return rec

    def list(self, after: str | None, limit: int) -> dict[str, Any]:
        """Newest first, paged by ``after`` (the last id of the previous page), as OpenAI lists them."""
        ordered = sorted(self.batches.values(), key=lambda b: (b.created_at, b.id), reverse=True)
        if after:
            ids = [b.id for b in ordered]
            ordered = ordered[ids.index(after) + 1:] if after in ids else []
        page = ordered[:limit]
        return {"object": "list", "data": [b.as_dict() for b in page],
                "first_id": page[0].id if page else None, "last_id": page[-1].id if page else None,
                "has_more": len(ordered) > len(page)}

    def cancel(self, batch_id: str) -> BatchRecord:
        rec = self.get(batch_id)
        if rec.status in TERMINAL:
            raise EngineError(409, f"Batch {batch_id} is {rec.status}; only a job still running can be cancelled.",
                              "batch_id", openai_code="batch_not_cancellable")
        if rec.status != "cancelling":
            rec.status = "cancelling"
            rec.times["cancelling_at"] = int(time.time())
            rec.cancel.set()
        return rec

    # ------------------------------------------------------------ the worker

    def _start_worker(self) -> None:
        if self._worker is None or self._worker.done():
            self._queue = self._queue or asyncio.Queue()
            self._worker = asyncio.get_running_loop().create_task(self._work(), name="batch-worker")

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            rec = self.batches[await self._queue.get()]
            try:
                await self._run(rec)
            except Exception:  # the job says so; the worker goes on with the next one
                log.exception("batch %s failed", rec.id)
                rec.errors = [{"code": "internal_error", "message": "The local engine failed while running this "
                               "batch; see its log.", "param": None, "line": None}]
                self._end(rec, "failed")

    async def _run(self, rec: BatchRecord) -> None:
        if rec.cancel.is_set():
            self._end(rec, "cancelled")
            return
        rec.lines, rec.errors = validate(self.file(rec.input_file_id).data)
        if rec.errors:
            self._end(rec, "failed")
            return
        rec.status = "in_progress"
        rec.times["in_progress_at"] = int(time.time())
        started = time.perf_counter()
        for line in rec.lines:
            if rec.cancel.is_set():
                break
            if time.time() >= rec.expires_at:
                for late in rec.lines[rec.completed + rec.failed:]:
                    rec.errors_out.append(_error_line(late, None, "batch_expired",
                                                      "This request was not run: the batch's completion window ended."))
                    rec.failed += 1
                self._end(rec, "expired")
                return
            status, body = await self._one(line, rec.cancel)
            if status == 200:
                rec.output.append(_output_line(line, status, body))
                rec.completed += 1
            else:
                err = body.get("error") if isinstance(body.get("error"), dict) else {}
                rec.errors_out.append(_error_line(line, (status, body), str(err.get("code") or status),
                                                  str(err.get("message") or "")))
                rec.failed += 1
        log.info("batch %s: %d lines answered, %d refused or failed in %.1f s", rec.id, rec.completed, rec.failed,
                 time.perf_counter() - started)
        self._end(rec, "cancelled" if rec.cancel.is_set() else "completed")

    async def _one(self, line: Line, cancel: threading.Event) -> tuple[int, dict[str, Any]]:
        request_id = new_request_id()
        try:
            req = compatible.parse_request(line.body)
            if req.stream:
                raise bad_request("`stream` is not taken in a batch: its answers go to the output file.", "stream")
            while True:
                try:
                    # its own event: a cancelled job lets the line in flight finish (as the service does)
                    return await self.complete(req, threading.Event())
                except EngineError as e:
                    if e.status != 429 or cancel.is_set():
                        raise
                    await asyncio.sleep(BUSY_WAIT_S)  # live requests fill the line: wait for a place
        except EngineError as e:
            return e.status, e.openai_body(request_id)
        except Exception as e:  # one line's fault is that line's error, not the job's
            log.exception("batch line %s failed", line.custom_id)
            err = EngineError(500, f"The local engine failed on this request ({type(e).__name__}).")
            return err.status, err.openai_body(request_id)

    def _end(self, rec: BatchRecord, status: str) -> None:
        now = int(time.time())
        if status in ("completed", "cancelled", "expired") and rec.lines:
            rec.status = "finalizing"
            rec.times["finalizing_at"] = now
            rec.output_file_id = self._result_file(f"{rec.id}_output.jsonl", rec.output)
            rec.error_file_id = self._result_file(f"{rec.id}_error.jsonl", rec.errors_out)
        rec.status = status
        rec.times[f"{status}_at"] = now


def _output_line(line: Line, status: int, body: dict[str, Any]) -> str:
    return json.dumps({"id": f"batch_req_{secrets.token_hex(8)}", "custom_id": line.custom_id,
                       "response": {"status_code": status, "request_id": body.get("id", ""), "body": body},
                       "error": None}, ensure_ascii=False)


def _error_line(line: Line, response: tuple[int, dict[str, Any]] | None, code: str, message: str) -> str:
    resp = None
    if response is not None:
        resp = {"status_code": response[0], "request_id": str(response[1].get("request_id", "")),
                "body": response[1]}
    return json.dumps({"id": f"batch_req_{secrets.token_hex(8)}", "custom_id": line.custom_id, "response": resp,
                       "error": {"code": code, "message": message}}, ensure_ascii=False)


def validate(data: bytes) -> tuple[list[Line], list[dict[str, Any]]]:
    """The lines of a batch file, or why it is refused (each with its line number), as the service
    checks a file before running it: UTF-8 JSONL, one request object a line with a unique ``custom_id``,
    ``method`` POST, ``url`` the endpoint, one model for the whole file, within the documented limits."""
    errors: list[dict[str, Any]] = []

    def refuse(line: int | None, message: str, param: str | None = None) -> None:
        if len(errors) < 50:
            errors.append({"code": "invalid_line" if line else "invalid_file", "message": message, "param": param,
                           "line": line})

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        refuse(data[: e.start].count(b"\n") + 1, "The file is not UTF-8 text.")
        return [], errors
    lines: list[Line] = []
    seen: set[str] = set()
    model: str | None = None
    raw_lines = text.splitlines()
    if sum(1 for raw in raw_lines if raw.strip()) > LIMITS.max_requests:
        refuse(None, f"The file has more than {LIMITS.max_requests} requests, the most one batch takes. Split it.")
        return [], errors
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        if len(raw.encode("utf-8")) > LIMITS.max_line_bytes:
            refuse(number, f"The line is over {LIMITS.max_line_bytes // 2**20} MB, the most one request may be.")
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            refuse(number, f"Not JSON ({e.msg}, column {e.colno}).")
            continue
        if not isinstance(obj, dict):
            refuse(number, "Each line must be one JSON object with custom_id, method, url and body.")
            continue
        cid = obj.get("custom_id")
        if not isinstance(cid, str) or not cid:
            refuse(number, "`custom_id` is required (a string).", "custom_id")
            continue
        if cid in seen:
            refuse(number, f"`custom_id` {cid!r} is used twice; each must be unique.", "custom_id")
            continue
        seen.add(cid)
        if obj.get("method") != "POST":
            refuse(number, f"`method` must be \"POST\" (got {obj.get('method')!r}).", "method")
        if obj.get("url") != ENDPOINT:
            refuse(number, f"`url` must be \"{ENDPOINT}\", the batch's endpoint (got {obj.get('url')!r}).", "url")
        body = obj.get("body")
        if not isinstance(body, dict):
            refuse(number, "`body` must be the request's JSON object.", "body")
            continue
        line_model = body.get("model")
        if model is None and isinstance(line_model, str):
            model = line_model
        elif line_model != model:
            refuse(number, f"`body.model` is {line_model!r} but the file's first request uses {model!r}: "
                   "one batch takes one model.", "body.model")
        lines.append(Line(number, cid, body))
    if not lines and not errors:
        refuse(None, "The file has no requests.")
    return lines, errors


# ---------------------------------------------------------------- routes

def add_routes(app: FastAPI, service: BatchService, prefix: str = "/compatible-mode/v1") -> None:
    @app.post(f"{prefix}/files")
    async def upload(request: Request) -> JSONResponse:
        form = await request.form()
        upload = form.get("file")
        purpose = form.get("purpose")
        if upload is None or isinstance(upload, str):
            raise bad_request("`file` is required: the JSONL file, sent as multipart form data.", "file")
        data = await upload.read()
        f = service.add_file(data, upload.filename or "", purpose if isinstance(purpose, str) else "")
        return JSONResponse(f.as_dict())

    @app.get(f"{prefix}/files/{{file_id}}")
    async def file_info(file_id: str) -> JSONResponse:
        return JSONResponse(service.file(file_id).as_dict())

    @app.get(f"{prefix}/files/{{file_id}}/content")
    async def file_content(file_id: str) -> Response:
        return Response(service.file(file_id).data, media_type="application/jsonl")

    @app.post(f"{prefix}/batches")
    async def create(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise bad_request("The body must be a JSON object.") from None
        if not isinstance(body, dict):
            raise bad_request("The body must be a JSON object.")
        return JSONResponse(service.create(body).as_dict())

    @app.get(f"{prefix}/batches")
    async def list_batches(after: str | None = None, limit: int = 20) -> JSONResponse:
        if not 1 <= limit <= 100:
            raise bad_request("`limit` must be between 1 and 100.", "limit")
        return JSONResponse(service.list(after, limit))

    @app.get(f"{prefix}/batches/{{batch_id}}")
    async def retrieve(batch_id: str) -> JSONResponse:
        return JSONResponse(service.get(batch_id).as_dict())

    @app.post(f"{prefix}/batches/{{batch_id}}/cancel")
    async def cancel(batch_id: str) -> JSONResponse:
        return JSONResponse(service.cancel(batch_id).as_dict())
