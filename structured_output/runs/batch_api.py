"""A batch as one job of the service's own Batch API (OpenAI-compatible, as DashScope documents it):
the rows written as the batch JSONL, uploaded through ``files`` (purpose ``batch``), a job created
through ``batches`` (endpoint ``/v1/chat/completions``, completion window 24h), polled, cancelled, and
its output and error files read back into the same ``BatchOutcome`` rows a live batch gives.

Only the official ``openai`` SDK talks to the service. Each line's body is the one the live path sends
for that row (``wire.compatible.openai_kwargs``), and each answer goes through the same parse and
validation (``result.finish``), so a row's verdict does not depend on the way it ran.

Jobs are found again from the service (``JobClient.list``), not from the browser. What the service does
not keep (the rows' own columns, for expected values, and the schema a JSON Object row is validated
against) goes to a small file per job in the user's data folder, never with the key; a job made
elsewhere opens without it, from its input file alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import openai

from structured_output.clients import DEFAULT_TIMEOUT_S, resolve_target
from structured_output.errors import CallError
from structured_output.request import MODES, Request
from structured_output.result import RunResult, finish
from structured_output.runs.batch import BatchError, BatchItem, BatchOutcome
from structured_output.runs.batch_limits import LIMITS
from structured_output.runs.history import scrub_secret
from structured_output.wire import compatible
from structured_output.wire.common import bad_response_error, connection_error, from_status, timeout_error

JOBS_DIR_ENV = "SOP_BATCH_JOBS_DIR"
APP_DIR_NAME = "structured-output-playground"
METADATA_TAG = "structured-output-playground"  # metadata.created_by: the jobs this playground made
CUSTOM_ID = re.compile(r"^(\d+)-row(\d+)-rep(\d+)-(none|json_object|json_schema)$")
LIST_LIMIT = 20


@dataclass
class JobFile:
    """The batch JSONL of some items, and each item's ``custom_id`` (in the items' order)."""

    data: bytes
    custom_ids: list[str]
    model: str


@dataclass
class JobInfo:
    """What the service says of one job (the SDK's ``Batch``, in the fields the page shows)."""

    id: str
    status: str
    total: int = 0
    completed: int = 0
    failed: int = 0
    created_at: int = 0
    expires_at: int | None = None
    input_file_id: str = ""
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: list[str] = field(default_factory=list)  # why the file was refused (status failed)
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status in LIMITS.terminal

    @property
    def done(self) -> int:
        return self.completed + self.failed

    @classmethod
    def of(cls, b: Any) -> JobInfo:
        counts = getattr(b, "request_counts", None)
        errs = getattr(getattr(b, "errors", None), "data", None) or []
        return cls(
            id=b.id, status=b.status,
            total=int(getattr(counts, "total", 0) or 0), completed=int(getattr(counts, "completed", 0) or 0),
            failed=int(getattr(counts, "failed", 0) or 0), created_at=int(b.created_at or 0),
            expires_at=b.expires_at, input_file_id=b.input_file_id or "", output_file_id=b.output_file_id,
            error_file_id=b.error_file_id,
            errors=[(f"line {e.line}: " if getattr(e, "line", None) else "") + str(e.message or e.code) for e in errs],
            metadata=dict(b.metadata or {}))


# ---------------------------------------------------------------- the file

def custom_id(pos: int, item: BatchItem) -> str:
    """``00007-row3-rep2-json_schema``: unique (the position), and readable back into the row."""
    return f"{pos:05d}-row{item.index + 1}-rep{item.repeat + 1}-{item.request.mode}"


def line_body(req: Request) -> dict[str, Any]:
    """The live request's body as a batch line takes it: the SDK's ``extra_body`` (``enable_thinking``)
    becomes a top-level field, and nothing streams."""
    kw = compatible.openai_kwargs(replace(req, stream=False))
    extra = kw.pop("extra_body", None) or {}
    return {**kw, **extra}


def job_file(items: list[BatchItem]) -> JobFile:
    """The batch JSONL of ``items``, checked against the service's documented limits first."""
    if not items:
        raise BatchError("There are no rows to send.")
    models = sorted({i.request.model for i in items})
    if len(models) > 1:
        raise BatchError(f"A batch job takes one model and these rows use {len(models)} ({', '.join(models)}): "
                         "run one job per model.")
    if len(items) > LIMITS.max_requests:
        raise BatchError(f"{len(items)} requests; a batch job takes at most {LIMITS.max_requests} (the service's "
                         "documented limit). Split the rows, or lower the repeats or modes.")
    lines, ids = [], []
    for pos, item in enumerate(items):
        cid = custom_id(pos, item)
        line = json.dumps({"custom_id": cid, "method": "POST", "url": LIMITS.endpoint,
                           "body": line_body(item.request)}, ensure_ascii=False)
        if len(line.encode("utf-8")) > LIMITS.max_line_bytes:
            raise BatchError(f"Row {item.index + 1} makes a request of {len(line.encode()) / 2**20:.1f} MB; one "
                             f"request may be at most {LIMITS.max_line_bytes // 2**20} MB. Shorten it or drop "
                             "its images.")
        lines.append(line)
        ids.append(cid)
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if len(data) > LIMITS.max_file_bytes:
        raise BatchError(f"The batch file would be {len(data) / 2**20:.0f} MB; the playground sends at most "
                         f"{LIMITS.max_file_bytes // 2**20} MB a file (the service's documented limit). "
                         "Split the rows.")
    return JobFile(data, ids, models[0])


# ---------------------------------------------------------------- the service, through the openai SDK

class JobClient:
    """The Files and Batches calls of one endpoint. Every failure leaves as a ``CallError`` with the key
    scrubbed; the key lives in the SDK client only while this object does."""

    def __init__(self, req: Request, api_key: str | None, *, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        # the Batch API is OpenAI-compatible only: a job goes there whichever protocol the sidebar picked
        target = resolve_target(replace(req, protocol="compatible"), api_key)
        self.endpoint = req.endpoint
        self.base_url = target.base_url
        self._key = target.api_key
        self._timeout = timeout
        self._client = openai.OpenAI(api_key=target.api_key, base_url=target.base_url, timeout=timeout,
                                     max_retries=2, http_client=httpx.Client(timeout=timeout,
                                                                             verify=compatible.tls_context()))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> JobClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _call(self, what: str) -> Iterator[None]:
        try:
            yield
        except openai.APIStatusError as e:
            err = compatible._from_status_error(e)
            if e.status_code == 404:
                err.hint = (f"This server has no {what} route (its batch API), or it does not know that id. "
                            "Run the rows live instead, or pick an endpoint with a batch API.")
            raise self._scrub(err) from None
        except openai.APITimeoutError:
            raise timeout_error(self.base_url, self._timeout) from None
        except openai.APIConnectionError as e:
            raise connection_error(self.endpoint, self.base_url, e.__cause__ or e) from None
        except openai.APIError as e:
            raise self._scrub(bad_response_error(f"{what} answered with something unreadable ({e.message})", "")) \
                from None

    def _scrub(self, err: CallError) -> CallError:
        if self._key and len(self._key) > 8:
            err.message = err.message.replace(self._key, "[redacted key]")
        return err

    def upload(self, f: JobFile, filename: str = "batch.jsonl") -> str:
        with self._call("files"):
            return self._client.files.create(file=(filename, f.data, "application/jsonl"), purpose="batch").id

    def create(self, file_id: str, metadata: dict[str, str] | None = None) -> JobInfo:
        with self._call("batches"):
            b = self._client.batches.create(input_file_id=file_id, endpoint=LIMITS.endpoint,  # type: ignore[arg-type]
                                            completion_window=LIMITS.completion_window,  # type: ignore[arg-type]
                                            metadata=metadata)
        return JobInfo.of(b)

    def retrieve(self, batch_id: str) -> JobInfo:
        with self._call("batches"):
            return JobInfo.of(self._client.batches.retrieve(batch_id))

    def list(self, limit: int = LIST_LIMIT) -> list[JobInfo]:
        with self._call("batches"):
            return [JobInfo.of(b) for b in self._client.batches.list(limit=limit).data]

    def cancel(self, batch_id: str) -> JobInfo:
        with self._call("batches"):
            return JobInfo.of(self._client.batches.cancel(batch_id))

    def content(self, file_id: str) -> bytes:
        with self._call("files"):
            return self._client.files.content(file_id).read()


# ---------------------------------------------------------------- what the playground keeps of a job

def jobs_dir() -> Path:
    """``SOP_BATCH_JOBS_DIR``, else ``$XDG_DATA_HOME`` (default ``~/.local/share``) +
    ``structured-output-playground/batch_jobs``."""
    override = os.environ.get(JOBS_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_DATA_HOME", "").strip() or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / APP_DIR_NAME / "batch_jobs"


def _sidecar_path(batch_id: str, folder: Path | None) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", batch_id)
    return (folder or jobs_dir()) / f"{safe}.json"


def save_sidecar(batch_id: str, items: list[BatchItem], folder: Path | None = None) -> None:
    """The rows' own columns and each row's validation schema, for when the job is opened again (never the
    key: a Request's fields hold none)."""
    path = _sidecar_path(batch_id, folder)
    rows: dict[int, dict[str, str]] = {i.index: i.inputs for i in items}
    data = {"rows": {str(k): v for k, v in rows.items()},
            "schema_text": {m: next((i.request.schema_text for i in items if i.request.mode == m), "")
                            for m in MODES}}
    with contextlib.suppress(OSError):  # a read-only data folder costs the expected values, not the job
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def load_sidecar(batch_id: str, folder: Path | None = None) -> dict[str, Any] | None:
    try:
        value = json.loads(_sidecar_path(batch_id, folder).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def submit(client: JobClient, items: list[BatchItem], *, folder: Path | None = None) -> JobInfo:
    """Write, check, upload and start the job; the rows' columns are kept beside it."""
    f = job_file(items)
    file_id = client.upload(f, f"sop-batch-{int(time.time())}.jsonl")
    info = client.create(file_id, {"created_by": METADATA_TAG, "rows": str(len({i.index for i in items})),
                                   "model": f.model})
    save_sidecar(info.id, items, folder)
    return info


def items_from_input(data: bytes, base: Request, sidecar: dict[str, Any] | None) -> list[BatchItem]:
    """The job's items again, from its input file (downloaded from the service): each line's body gives
    the request, its ``custom_id`` the row and repeat; the sidecar (when there is one) the row's columns
    and the schema a row outside JSON Schema mode is validated against."""
    rows = (sidecar or {}).get("rows") or {}
    schemas = (sidecar or {}).get("schema_text") or {}
    items: list[BatchItem] = []
    for number, raw in enumerate(data.decode("utf-8-sig").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
            body = line["body"]
            cid = str(line["custom_id"])
        except (ValueError, KeyError, TypeError):
            raise BatchError(f"The job's input file, line {number}, is not a batch request line.") from None
        m = CUSTOM_ID.match(cid)
        index, repeat = (int(m.group(2)) - 1, int(m.group(3)) - 1) if m else (len(items), 0)
        req = request_of(body, base)
        if m and req.mode != "json_schema" and schemas.get(req.mode):
            req.schema_text = str(schemas[req.mode])
        inputs = rows.get(str(index)) or {"text": req.user_text}
        items.append(BatchItem(index, dict(inputs), req, repeat))
    return items


def request_of(body: dict[str, Any], base: Request) -> Request:
    """A ``Request`` from a batch line's body (the fields the playground writes), at ``base``'s endpoint."""
    messages = body.get("messages") or []
    system = next((m.get("content") for m in messages if m.get("role") == "system"), "") or ""
    user = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "") or ""
    if isinstance(user, list):
        user = "".join(p.get("text", "") for p in user if isinstance(p, dict))
    rf = body.get("response_format") or {}
    mode = rf.get("type") if rf.get("type") in ("json_object", "json_schema") else "none"
    js = rf.get("json_schema") or {}
    return replace(base, model=str(body.get("model", base.model)), mode=mode, system_prompt=str(system),
                   user_text=str(user), images=[], video=None,
                   schema_name=str(js.get("name", base.schema_name)), strict=bool(js.get("strict", True)),
                   schema_text=json.dumps(js["schema"]) if "schema" in js else "",
                   temperature=body.get("temperature"), max_tokens=body.get("max_tokens"),
                   enable_thinking=body.get("enable_thinking"), stream=False)


# ---------------------------------------------------------------- the answers, read back

@dataclass
class JobResults:
    outcomes: list[BatchOutcome]
    not_run: list[BatchItem]  # rows with no line in either file (a cancelled or expired job)
    problems: list[str]  # lines the playground could not read


def read_results(items: list[BatchItem], output: bytes | None, errors: bytes | None,
                 api_key: str | None = None) -> JobResults:
    """Outcomes from the job's output and error files, in the items' order: each answer through the same
    parse and validation as a live run; a refused line's error worded as the live call's would be."""
    by_id = {custom_id(pos, item): item for pos, item in enumerate(items)}
    results: dict[str, RunResult] = {}
    problems: list[str] = []
    for name, blob in (("output", output), ("error", errors)):
        for number, raw in enumerate((blob or b"").decode("utf-8", "replace").splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
                cid = str(line["custom_id"])
            except (ValueError, KeyError, TypeError):
                problems.append(f"{name} file line {number}: not a batch result line")
                continue
            if cid not in by_id:
                problems.append(f"{name} file line {number}: custom_id {cid!r} is not one of this job's rows")
                continue
            result = result_of_line(line)
            results[cid] = scrub_secret(finish(result, by_id[cid].request.schema()), api_key)
    outcomes = [BatchOutcome(item, results[cid]) for cid, item in by_id.items() if cid in results]
    not_run = [item for cid, item in by_id.items() if cid not in results]
    return JobResults(outcomes, not_run, problems)


def result_of_line(line: dict[str, Any]) -> RunResult:
    """One result line as a ``RunResult`` (content, finish reason, usage; or the error)."""
    result = RunResult()
    response = line.get("response") or {}
    status = response.get("status_code")
    body = response.get("body")
    if status == 200 and isinstance(body, dict):
        try:
            compatible._fill_from_body(body, result)
        except CallError as e:
            result.error = e
        result.request_id = response.get("request_id") or result.request_id
        return result
    err = line.get("error") or {}
    inner = (body or {}).get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else {}
    message = str(inner.get("message") or err.get("message") or f"HTTP {status}")
    code = inner.get("code") or err.get("code")
    if isinstance(status, int) and status >= 400:
        result.error = from_status(status, code, message, response.get("request_id"))
    elif code == "batch_expired":
        result.error = CallError("timeout", message, "The job's completion window ended before this row ran; "
                                 "run the rows that did not finish again.", code=str(code))
    else:
        result.error = CallError("http", message, "The batch service reported an error for this row.",
                                 code=str(code) if code else None)
    return result


# ---------------------------------------------------------------- how a job ended, in words

def status_line(info: JobInfo) -> tuple[str, str]:
    """(level, sentence): level is success, warning, error or info, for the page's box."""
    counts = f"{info.completed} answered, {info.failed} refused or failed, of {info.total}"
    if info.status == "completed":
        return ("success" if not info.failed else "warning"), f"Job {info.id} completed: {counts}."
    if info.status == "cancelled":
        return "warning", (f"Job {info.id} was cancelled: {counts}. The rows that finished are kept below.")
    if info.status == "expired":
        return "warning", (f"Job {info.id} expired (its completion window ended): {counts}. The rows that "
                           "finished are kept below; run the others again.")
    if info.status == "failed":
        why = "; ".join(info.errors[:3]) or "the service gave no reason"
        more = f" (and {len(info.errors) - 3} more)" if len(info.errors) > 3 else ""
        return "error", f"Job {info.id} failed: {why}{more}. No row ran; fix the file and start it again."
    return "info", f"Job {info.id} is {info.status.replace('_', ' ')}: {info.done} of {info.total} rows done."
