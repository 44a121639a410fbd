"""The engine's state and the steps of one request, independent of HTTP: check the rules, compile the
grammar, read images, build the prompt, generate. Routes in ``app.py`` only translate to and from
the wire; this module decides what happens."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import llguidance

from local_engine import echo, images, ocr, prompting, rules
from local_engine.chat import ChatRequest, Completion
from local_engine.enforcement import Unenforced
from local_engine.errors import EngineError, UnfinishedJson
from local_engine.generate import Decoder, OnText, OnTokens, PromptTooLong, Settings, Stats
from local_engine.grammar import Grammars
from local_engine.logprobs import LogprobRequest
from local_engine.model import MODEL_LABEL, LoadedModel, load
from local_engine.scheduler import DEFAULT_MAX_WAITING, Scheduler
from structured_output.catalog import ModelInfo, load_catalog

log = logging.getLogger("local_engine")

DEFAULT_MAX_TOKENS = 1024
# Plain mode (no response_format) has no grammar to end it, and a base model rambles on: without a
# max_tokens of the request's own, it stops here (besides the block/turn stops of the prompt).
DEFAULT_TEXT_MAX_TOKENS = 256
State = Literal["loading", "ready", "failed"]


@dataclass
class Job:
    """One accepted request, ready to generate."""

    req: ChatRequest
    info: ModelInfo
    matcher: llguidance.LLMatcher | None
    prompt_tokens: list[int] = field(default_factory=list)
    settings: Settings = field(default_factory=lambda: Settings(max_tokens=DEFAULT_MAX_TOKENS))
    ocr_note: str = ""
    ocr_text: str = ""
    schema_notes: list[str] = field(default_factory=list)
    steered_keys: tuple[str, ...] = ()  # JSON Object mode: the field names read from the instruction
    unenforced: list[Unenforced] = field(default_factory=list)  # keywords not enforced while decoding


class Engine:
    def __init__(self, model_path: str | None = None, *, n_ctx: int = 8192, n_threads: int | None = None,
                 max_waiting: int = DEFAULT_MAX_WAITING) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.state: State = "loading"
        self.error = ""
        self.model: LoadedModel | None = None
        self.decoder: Decoder | None = None
        self.grammars: Grammars | None = None
        self.catalog = load_catalog()
        self.scheduler = Scheduler(max_waiting)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate")
        self._load_started = False

    # ------------------------------------------------------------ loading

    def load(self) -> None:
        """Load the model (blocking; the app runs it in a thread so /health can answer meanwhile)."""
        self._load_started = True
        started = time.perf_counter()
        try:
            model = load(self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads)
            decoder = Decoder(model)
            grammars = Grammars(model.tokenizer)
            grammars.json_object()  # compile the JSON Object grammar once, ahead of the first request
            decoder.echo.warm(prompting.JSON_EXAMPLE_TELLS + prompting.TEXT_EXAMPLE_TELLS)
            warm = decoder.tokenize(prompting.JSON_EXAMPLE)
            decoder.generate(warm, None, Settings(max_tokens=1))  # fills the KV cache with the example
        except Exception as e:  # the state says why; /health reports it
            log.exception("the model failed to load")
            self.state, self.error = "failed", f"{type(e).__name__}: {e}"
            return
        model.load_seconds = time.perf_counter() - started
        self.model, self.decoder, self.grammars = model, decoder, grammars
        self.state = "ready"
        log.info("ready in %.1f s: %s with llguidance; OCR: %s", model.load_seconds, model.label,
                 ocr.engine_name() if ocr.available() else "unavailable (tesseract is not installed)")

    def start_loading(self) -> None:
        """Load in a background thread, once (an engine loaded beforehand, as the benchmark does, is kept)."""
        if self._load_started:
            return
        threading.Thread(target=self.load, name="load-model", daemon=True).start()

    def require_ready(self) -> None:
        if self.state == "loading":
            raise EngineError(503, "The local engine is still loading its model; retry in a few seconds "
                              "(GET /health says when it is ready).", headers={"Retry-After": "2"})
        if self.state == "failed":
            raise EngineError(503, f"The local engine could not load its model: {self.error}")

    def serving_label(self, model: str) -> str:
        """``gemma-3-270m (serving qwen-plus)``: what actually answered a request for ``model``."""
        label = self.model.label if self.model is not None else MODEL_LABEL
        return f"{label} (serving {model})"

    # ------------------------------------------------------------ the steps of a request

    def accept(self, req: ChatRequest) -> Job:
        """Rules and grammar: everything that can refuse a request before it costs anything."""
        info = rules.check_model(req.model, self.catalog)
        rules.check_request(req, info, self.catalog)
        for video in req.videos:
            if video.url is not None:
                images.refuse_video_url(video.url, video.where)
        for img in req.images:
            images.check_url(img.url, img.where)
        self.require_ready()
        assert self.grammars is not None
        matcher: llguidance.LLMatcher | None = None
        if req.mode == "json_object":
            matcher = self.grammars.json_object()
        elif req.mode == "json_schema":
            assert req.schema is not None
            where = ("parameters." if req.protocol == "native" else "") + "response_format.json_schema.schema"
            matcher, notes, unenforced = self.grammars.json_schema(req.schema, where, req.keyword_enforcement)
            return Job(req, info, matcher, schema_notes=notes, unenforced=unenforced)
        return Job(req, info, matcher)

    async def read_images(self, job: Job) -> None:
        """OCR every image (in a thread: tesseract takes a fraction of a second per image)."""
        imgs = job.req.images
        if not imgs:
            return
        started = time.perf_counter()
        chars = 0
        for img in imgs:
            data = images.decode(img.url, img.where)
            result = await asyncio.to_thread(ocr.read_text, data)
            img.ocr_text = result.text
            chars += len(result.text)
        videos = job.req.videos
        frame_ids = {id(f) for v in videos for f in v.frames}
        job.ocr_text = "\n\n".join([img.ocr_text or "" for img in imgs if id(img) not in frame_ids]
                                   + [prompting.video_text(v) for v in videos])
        frames = sum(len(v.frames) for v in videos)
        what = f"{len(imgs) - frames} image(s)" if not videos else (
            f"{frames} video frame(s)" + (f" and {len(imgs) - frames} image(s)" if len(imgs) > frames else ""))
        timing = "; the frames' times: " + "; ".join(v.timing for v in videos) if videos else ""
        job.ocr_note = (f"the model reads no pixels; {ocr.engine_name()} read the text of {what}{timing} "
                        f"({chars} characters, {time.perf_counter() - started:.2f} s) and the model was given "
                        "that text" + (" with each frame's time" if videos else ""))

    def build(self, job: Job) -> None:
        """Prompt tokens and decoding settings for an accepted job whose images have been read."""
        assert self.decoder is not None
        req = job.req
        prompt = prompting.build_prompt(req)
        if req.mode == "json_object" and prompt.plan is not None:
            job.steered_keys = prompt.plan.keys
        job.prompt_tokens = self.decoder.tokenize(prompt.text)
        if len(job.prompt_tokens) >= self.decoder.n_ctx - 1:
            where = "input.messages" if req.protocol == "native" else "messages"
            raise EngineError(400, str(PromptTooLong(len(job.prompt_tokens), self.decoder.n_ctx)), where)
        job.settings = Settings(
            max_tokens=req.max_tokens or (DEFAULT_TEXT_MAX_TOKENS if req.mode == "none" else DEFAULT_MAX_TOKENS),
            min_tokens=req.min_tokens or 0,
            temperature=req.temperature,
            top_p=req.top_p,
            top_k=req.top_k,
            seed=req.seed,
            repeat_penalty=req.repetition_penalty or Settings.repeat_penalty,
            presence_penalty=req.presence_penalty or 0.0,
            # the prompt's block stops are where a base model ends its turn, as an end token is: min_tokens holds
            # them off too (the request's own stop strings still apply)
            stop=[*([] if req.min_tokens else prompt.stop), *req.stop],
            trim=req.mode == "none",
            plan=prompt.plan,
            echo=echo.for_request(prompt.tells, req, cut_prefixes=req.mode != "none"),
            logprobs=LogprobRequest(req.top_logprobs) if req.logprobs else None,
        )

    def generate(self, job: Job, on_text: OnText | None = None,
                 cancel: threading.Event | None = None, on_tokens: OnTokens | None = None) -> tuple[Completion, Stats]:
        """Run the decode loop (blocking; call it through ``run_in_executor``)."""
        assert self.decoder is not None
        text, stats = self.decoder.generate(job.prompt_tokens, job.matcher, job.settings,
                                            on_text=on_text, cancel=cancel, on_tokens=on_tokens)
        if job.matcher is not None and stats.finish_reason == "stop" and not stats.hit_stop and not _is_json(text):
            log.error("a %s answer stopped without being JSON: %r", job.req.mode, text[:200])
            raise UnfinishedJson("JSON Schema" if job.req.mode == "json_schema" else "JSON Object", text)
        return Completion(text, stats.finish_reason, stats.prompt_tokens, stats.completion_tokens,
                          stats.tokens), stats

    async def generate_async(self, job: Job, on_text: OnText | None = None,
                             cancel: threading.Event | None = None,
                             on_tokens: OnTokens | None = None) -> tuple[Completion, Stats]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.generate, job, on_text, cancel, on_tokens)



def _is_json(text: str) -> bool:
    """A whole JSON document (what a JSON mode's grammar ends on); the defence behind the grammar."""
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
