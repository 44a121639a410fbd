"""HTTP routes: both DashScope protocols, ``/health``, and the plumbing that turns ``Engine`` results
into JSON, SSE and errors in the shape each protocol's SDK expects. Generation runs in a worker
thread; the event loop only shuttles text and watches for clients that leave."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from local_engine import batches, enforcement, openapi, rules
from local_engine.chat import ChatRequest, Completion, Protocol
from local_engine.engine import Engine, Job
from local_engine.errors import EngineError
from local_engine.generate import Cancelled, Stats
from local_engine.logprobs import TokenLogprob
from local_engine.scheduler import Ticket
from local_engine.shapes import compatible, native
from local_engine.shapes.common import completion_id, new_request_id
from local_engine.shapes.fields import parse_json_body

log = logging.getLogger("local_engine")

MAX_BODY_BYTES = 64 * 1024 * 1024
POLL_S = 0.25  # how often a waiting request checks whether its client is still there
OCR_TEXT_HEADER_CHARS = 4000
KEYS_HEADER = "X-Local-Engine-Keys"  # JSON Object mode: the keys the answer was steered towards, a JSON list
T = TypeVar("T")


class ClientGone(Exception):
    """The client disconnected; nobody is left to answer."""


@dataclass
class Trace:
    """What the log line of one request says."""

    request_id: str
    route: str
    started: float = field(default_factory=time.perf_counter)
    model: str = "-"
    mode: str = "-"
    stream: bool = False
    images: int = 0
    stats: Stats | None = None

    def done(self, status: int, detail: str = "") -> None:
        took = time.perf_counter() - self.started
        parts = [f"{self.route} model={self.model} mode={self.mode} stream={'yes' if self.stream else 'no'}"]
        if self.images:
            parts.append(f"images={self.images}")
        parts.append(f"-> {status}")
        s = self.stats
        if s is not None:
            ttft = f"{s.first_token_seconds:.2f}s" if s.first_token_seconds is not None else "-"
            parts.append(f"{s.finish_reason} prompt={s.prompt_tokens} (cached {s.reused_tokens}) "
                         f"completion={s.completion_tokens} ttft={ttft} {s.tokens_per_second:.1f} tok/s")
        parts.append(f"total={took:.2f}s id={self.request_id}")
        if detail:
            parts.append(detail)
        log.info(" ".join(parts))


def create_app(engine: Engine) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        engine.start_loading()
        yield

    app = FastAPI(title="Structured Output Playground local engine", lifespan=lifespan,
                  description="An offline DashScope stand-in: Gemma 3 270M with llguidance-constrained decoding.")
    app.state.engine = engine

    async def complete_line(req: ChatRequest, cancel: threading.Event) -> tuple[int, dict[str, Any]]:
        job, completion, _stats = await complete(engine, req, cancel)
        return 200, _render(job, completion, new_request_id())

    app.state.batches = batches.BatchService(complete_line)

    @app.exception_handler(EngineError)
    async def engine_error(request: Request, exc: EngineError) -> Response:
        return _error(_protocol_of(request.url.path), exc, new_request_id())

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = (f"No route {request.method} {request.url.path} on the local engine."
                   if exc.status_code in (404, 405) else str(exc.detail))
        return _error(_protocol_of(request.url.path), EngineError(exc.status_code, message), new_request_id())

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return _error(_protocol_of(request.url.path),
                      EngineError(500, f"The local engine failed unexpectedly ({type(exc).__name__})."),
                      new_request_id())

    @app.get("/")
    async def root() -> dict[str, Any]:
        return {"name": "local_engine", "model": engine.serving_label(engine.catalog.local_model),
                "endpoints": ["/compatible-mode/v1/chat/completions", "/compatible-mode/v1/models",
                              "/api/v1/services/aigc/text-generation/generation",
                              "/api/v1/services/aigc/multimodal-generation/generation", "/health",
                              "/compatible-mode/v1/files", "/compatible-mode/v1/batches"]}

    @app.get("/health")
    async def health() -> JSONResponse:
        body: dict[str, Any] = {"status": engine.state}
        if engine.state == "ready" and engine.model is not None:
            body |= {"model": engine.model.label, "load_seconds": round(engine.model.load_seconds, 2),
                     "running": int(engine.scheduler.busy), "waiting": engine.scheduler.waiting,
                     "max_waiting": engine.scheduler.max_waiting}
        if engine.state == "failed":
            body["error"] = engine.error
        return JSONResponse(body, status_code=200 if engine.state == "ready" else 503)

    @app.get("/compatible-mode/v1/models")
    async def models() -> JSONResponse:
        return JSONResponse(compatible.models_list(rules.served_model_names(engine.catalog)))

    @app.post("/compatible-mode/v1/chat/completions", openapi_extra=openapi.COMPATIBLE_OPERATION)
    async def chat_completions(request: Request) -> Response:
        return await _serve(engine, request, "compatible", compatible.parse_request)

    @app.post("/api/v1/services/aigc/text-generation/generation", openapi_extra=openapi.NATIVE_OPERATION)
    async def text_generation(request: Request) -> Response:
        stream = _native_stream(request)
        return await _serve(engine, request, "native-text",
                            lambda body: native.parse_request(body, multimodal=False, stream=stream))

    @app.post("/api/v1/services/aigc/multimodal-generation/generation", openapi_extra=openapi.NATIVE_OPERATION)
    async def multimodal_generation(request: Request) -> Response:
        stream = _native_stream(request)
        return await _serve(engine, request, "native-multimodal",
                            lambda body: native.parse_request(body, multimodal=True, stream=stream))

    batches.add_routes(app, app.state.batches)
    return app


async def complete(engine: Engine, req: ChatRequest, cancel: threading.Event) -> tuple[Job, Completion, Stats]:
    """One non-streamed request, start to end: the rules (``accept``), a place in line, images read, the
    prompt built, then the generation in the one slot. Live requests and batch lines both come here."""
    job, ticket = await prepare(engine, req)
    async with ticket:
        completion, stats = await engine.generate_async(job, cancel=cancel)
    return job, completion, stats


async def prepare(engine: Engine, req: ChatRequest) -> tuple[Job, Ticket]:
    """The rules (``accept``), a place in line, images read and the prompt built; the place is given back
    if any of it fails. Streamed and non-streamed requests start the same way."""
    job = engine.accept(req)
    ticket = engine.scheduler.reserve()
    try:
        await engine.read_images(job)
        engine.build(job)
    except BaseException:
        ticket.release()
        raise
    return job, ticket


def _native_stream(request: Request) -> bool:
    """DashScope streams when asked by header (what the SDK sends for ``stream=True``)."""
    return (request.headers.get("x-dashscope-sse", "").lower() == "enable"
            or "text/event-stream" in request.headers.get("accept", ""))


def _protocol_of(path: str) -> Protocol:
    return "native" if path.startswith("/api/") else "compatible"


def _error(protocol: Protocol, e: EngineError, request_id: str) -> JSONResponse:
    body = e.native_body(request_id) if protocol == "native" else e.openai_body(request_id)
    headers = {"X-Request-Id": request_id, **e.headers}
    return JSONResponse(body, status_code=e.status, headers=headers)


async def _serve(engine: Engine, request: Request, route: str,
                 parse: Callable[[dict[str, Any]], ChatRequest]) -> Response:
    protocol = _protocol_of(request.url.path)
    trace = Trace(new_request_id(), route)
    try:
        length = int(request.headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            raise EngineError(413, f"The request body is {length} bytes; the local engine takes at most "
                              f"{MAX_BODY_BYTES // 2**20} MB.")
        body = parse_json_body(await request.body())
        req = parse(body)
        trace.model, trace.mode, trace.stream, trace.images = req.model, req.mode, req.stream, len(req.images)
        if req.stream:
            job, ticket = await prepare(engine, req)
            body_iter = _stream(engine, request, job, ticket, trace)
            return StreamingResponse(_Releasing(body_iter, ticket), media_type="text/event-stream",
                                     headers={**_headers(engine, job, trace.request_id), "Cache-Control": "no-cache",
                                              "X-Accel-Buffering": "no"})
        cancel = threading.Event()
        try:
            job, completion, trace.stats = await _unless_gone(request, complete(engine, req, cancel), cancel)
        except (ClientGone, Cancelled):
            trace.done(499, "client disconnected; generation stopped")
            return Response(status_code=499)
        trace.done(200)
        return JSONResponse(_render(job, completion, trace.request_id),
                            headers=_headers(engine, job, trace.request_id))
    except EngineError as e:
        trace.done(e.status, f"{e.native_code}: {e.message}")
        return _error(protocol, e, trace.request_id)


def _headers(engine: Engine, job: Job, request_id: str) -> dict[str, str]:
    headers = {"X-Request-Id": request_id, "X-Local-Engine-Model": engine.serving_label(job.req.model)}
    if job.req.protocol == "native":
        headers["X-DashScope-Request-Id"] = request_id
    if note := rules.rule_note(job.info, job.req.mode):
        headers["X-Local-Engine-Rule"] = note
    if job.schema_notes:
        headers["X-Local-Engine-Schema"] = json.dumps("; ".join(job.schema_notes))[1:-1]
    if job.req.mode == "json_schema":
        headers[enforcement.HEADER] = enforcement.header_value(job.unenforced)
    if job.steered_keys:  # said, so a key the instruction was misread for is not taken as the model's own
        headers[KEYS_HEADER] = json.dumps(list(job.steered_keys))  # ASCII: json escapes the rest
    if job.ocr_note:
        headers["X-Local-Engine-OCR"] = job.ocr_note
        headers["X-Local-Engine-OCR-Text"] = urllib.parse.quote(job.ocr_text[:OCR_TEXT_HEADER_CHARS])
    return headers


def _render(job: Job, c: Completion, request_id: str) -> dict[str, Any]:
    req = job.req
    if req.protocol == "native":
        return _with_unenforced(job, native.response(req, c, request_id))
    return _with_unenforced(job, compatible.response(req, c, completion_id(request_id)))


def _with_unenforced(job: Job, body: dict[str, Any]) -> dict[str, Any]:
    """In JSON Schema mode, the keywords not enforced while decoding (a list, empty when all were): at the
    top of a compatible body or chunk, inside ``output`` of a native one (where the dashscope SDK keeps it)."""
    if job.req.mode == "json_schema":
        target = body["output"] if job.req.protocol == "native" else body
        target[enforcement.RESPONSE_FIELD] = [u.as_dict() for u in job.unenforced]
    return body


async def _unless_gone(request: Request, work: Awaitable[T], cancel: threading.Event) -> T:
    """Await ``work``, checking every ``POLL_S`` whether the client left; if it did, stop the work."""
    task = asyncio.ensure_future(work)
    task.add_done_callback(_retrieve)
    while True:
        done, _ = await asyncio.wait({task}, timeout=POLL_S)
        if done:
            return task.result()
        if await request.is_disconnected():
            cancel.set()  # the worker thread stops at its next token
            task.cancel()  # and a request still waiting for the slot leaves the line
            raise ClientGone()


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a finished task's exception as seen: a generation abandoned by its client ends with
    ``Cancelled`` when nobody is left to read it, which is expected, not worth a traceback."""
    if not task.cancelled():
        task.exception()


class _Releasing:
    """A stream body that gives its queue place back even if the stream never started (client gone
    before the first byte), when the response drops it."""

    def __init__(self, body: AsyncIterator[str], ticket: Ticket) -> None:
        self._body = body
        self._ticket = ticket

    def __aiter__(self) -> AsyncIterator[str]:
        return self._body

    def __del__(self) -> None:
        self._ticket.release()


async def _stream(engine: Engine, request: Request, job: Job, ticket: Ticket, trace: Trace) -> AsyncIterator[str]:
    """SSE events of one generation in the request's protocol shape."""
    req = job.req
    cancel = threading.Event()
    queue: asyncio.Queue[str | list[TokenLogprob] | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    writer: _OpenAIStream | _NativeStream
    if req.protocol == "compatible":
        writer = _OpenAIStream(job, trace.request_id)
    else:
        writer = _NativeStream(job, trace.request_id, len(job.prompt_tokens))
    status, detail = 200, ""
    try:
        waiting = asyncio.ensure_future(ticket.__aenter__())
        while not waiting.done():
            await asyncio.wait({waiting}, timeout=POLL_S)
            if not waiting.done() and await request.is_disconnected():
                waiting.cancel()
                raise ClientGone()
        waiting.result()
        for event in writer.start():
            yield event

        def on_text(text: str) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, text)

        def on_tokens(tokens: list[TokenLogprob]) -> None:  # (with logprobs) the tokens of the next text
            loop.call_soon_threadsafe(queue.put_nowait, tokens)

        task = asyncio.ensure_future(engine.generate_async(job, on_text, cancel,
                                                           on_tokens if req.logprobs else None))
        task.add_done_callback(lambda t: (_retrieve(t), queue.put_nowait(None)))
        last_check = time.perf_counter()
        tokens: list[TokenLogprob] = []
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=POLL_S)
            except TimeoutError:
                item = ""
            if item is None:
                break
            if isinstance(item, list):
                tokens += item
            elif item:
                yield writer.delta(item, tokens)
                tokens = []
            if time.perf_counter() - last_check >= POLL_S:
                last_check = time.perf_counter()
                if await request.is_disconnected():
                    raise ClientGone()
        completion, trace.stats = task.result()
        if tokens:  # tokens with no text of their own at the very end
            yield writer.delta("", tokens)
        for event in writer.finish(completion):
            yield event
    except (ClientGone, Cancelled):
        status, detail = 499, "client disconnected; generation stopped"  # nobody left to send to
    except asyncio.CancelledError:
        status, detail = 499, "client disconnected; generation stopped"
        raise
    except EngineError as e:
        status, detail = e.status, f"{e.native_code}: {e.message}"
        yield writer.error(e)
    except Exception as e:
        log.exception("generation failed")
        status, detail = 500, f"{type(e).__name__}: {e}"
        yield writer.error(EngineError(500, f"The local engine failed while generating ({type(e).__name__})."))
    finally:
        cancel.set()
        ticket.release()
        trace.done(status, detail)


class _OpenAIStream:
    """``data: {chat.completion.chunk}`` events, a usage chunk when asked, then ``data: [DONE]``; the chunk
    with the finish reason carries the unenforced keywords."""

    def __init__(self, job: Job, request_id: str) -> None:
        self.job = job
        self.req = job.req
        self.request_id = request_id
        self.id = completion_id(request_id)
        self.created = int(time.time())

    def _event(self, body: dict[str, Any]) -> str:
        return "data: " + json.dumps(body, ensure_ascii=False) + "\n\n"

    def start(self) -> list[str]:
        return [self._event(compatible.chunk(self.req, self.id, self.created,
                                             delta={"role": "assistant", "content": ""}))]

    def delta(self, text: str, tokens: list[TokenLogprob] | None = None) -> str:
        return self._event(compatible.chunk(self.req, self.id, self.created, delta={"content": text},
                                            tokens=tokens))

    def finish(self, c: Completion) -> list[str]:
        last = compatible.chunk(self.req, self.id, self.created, finish_reason=c.finish_reason)
        events = [self._event(_with_unenforced(self.job, last))]
        if self.req.include_usage:
            events.append(self._event(compatible.chunk(self.req, self.id, self.created, usage_of=c)))
        events.append("data: [DONE]\n\n")
        return events

    def error(self, e: EngineError) -> str:
        return self._event(e.openai_body(self.request_id))


class _NativeStream:
    """DashScope SSE: one ``event:result`` per piece (deltas with ``incremental_output``, else the text
    so far), ``finish_reason`` "null" until the last event (which carries the unenforced keywords), usage
    in every event."""

    def __init__(self, job: Job, request_id: str, prompt_tokens: int) -> None:
        self.job = job
        self.req = job.req
        self.request_id = request_id
        self.prompt_tokens = prompt_tokens
        self.n = 0
        self.text = ""
        self.tokens = 0
        self.token_logprobs: list[TokenLogprob] = []

    def _event(self, text: str, finish_reason: str, prompt_tokens: int, completion_tokens: int,
               tokens: list[TokenLogprob] | None = None, last: bool = False) -> str:
        self.n += 1
        body = {"output": native.output(self.req, text, finish_reason, tokens),
                "usage": native.usage(prompt_tokens, completion_tokens),
                "request_id": self.request_id}
        return native.sse_event(self.n, _with_unenforced(self.job, body) if last else body)

    def start(self) -> list[str]:
        return []

    def delta(self, text: str, tokens: list[TokenLogprob] | None = None) -> str:
        self.text += text
        self.tokens += 1
        self.token_logprobs += tokens or []
        # Like the text: the delta's own tokens with incremental_output, else all of them so far.
        if self.req.incremental_output:
            return self._event(text, "null", self.prompt_tokens, self.tokens, tokens)
        return self._event(self.text, "null", self.prompt_tokens, self.tokens, self.token_logprobs)

    def finish(self, c: Completion) -> list[str]:
        if self.req.incremental_output:
            return [self._event("", c.finish_reason, c.prompt_tokens, c.completion_tokens, [], last=True)]
        return [self._event(c.text, c.finish_reason, c.prompt_tokens, c.completion_tokens, c.tokens, last=True)]

    def error(self, e: EngineError) -> str:
        self.n += 1
        return native.sse_event(self.n, e.native_body(self.request_id), error_status=e.status)
