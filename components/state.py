"""Every ``st.session_state`` key the app uses, and the two moves between state and a ``Request``.

One place for the keys so pages never spell them twice, and so tests can set what a widget would
(``at.session_state[state.SCHEMA_TEXT] = "..."``; AppTest cannot type into the Ace editors).

- ``init_defaults()`` fills in every key once per session; widgets are then created without a
  ``value=`` of their own, so the session state is the single source of truth.
- ``current_request()`` reads the state into a ``Request`` (what Run sends, what presets save).
- ``load_request(req)`` writes a ``Request`` back into the state (reopen from history, open a
  preset). Call it from a widget callback, or before the widgets of the run are created.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from typing import Any

import streamlit as st

from structured_output.catalog import load_catalog
from structured_output.request import ImageInput, Request, VideoInput
from structured_output.runs.history import History
from structured_output.runs.store import RunStore, StoreError
from structured_output.schema_origin import SchemaOrigin, validate_by_default
from structured_output.servers import load_recent_urls

# ---------------------------------------------------------------- sidebar: where requests go
ENDPOINT = "conn.endpoint"
PROTOCOL = "conn.protocol"
CUSTOM_URL = "conn.custom_url"
KEY_INPUT = "conn.key_input"  # the password widget; emptied as soon as its value is taken
DASHSCOPE_KEY = "conn.dashscope_key"  # a typed DashScope key: session memory only
CUSTOM_KEY = "conn.custom_key"  # a typed key for the custom server, never sent to DashScope
RECENT_URLS = "conn.recent_urls"  # list[str]: custom base URLs used lately (never with credentials), newest first
RECENT_PICK = "conn.recent_pick"  # the "Recent URLs" select box; copied into CUSTOM_URL when picked
CUSTOM_MODELS = "conn.custom_models"  # dict[url (+ "with a key"), servers.ModelList]: what GET /models answered
CUSTOM_SERVER = "conn.custom_server"  # id of the known server whose documented support is shown ("" = none)
CUSTOM_MODEL_PICK = "req.custom_model_pick"  # the listed-models select box; copied into CUSTOM_MODEL
KEY_ENV = "DASHSCOPE_API_KEY"

# ---------------------------------------------------------------- the request
MODEL = "req.model"  # picked from the catalog (or typed) for the local engine and DashScope
CUSTOM_MODEL = "req.custom_model"  # free text for a custom OpenAI-compatible server
MODE = "req.mode"
SCHEMA_NAME = "req.schema_name"
STRICT = "req.strict"
SYSTEM_PROMPT = "req.system_prompt"  # Ace editor text
USER_TEXT = "req.user_text"  # Ace editor text
SCHEMA_TEXT = "req.schema_text"  # Ace editor text
IMAGES = "req.images"  # list[ImageInput]
IMAGE_URL = "req.image_url"
IMAGE_NOTICES = "req.image_notices"  # why the last uploads were refused
UPLOADER_VERSION = "req.uploader_version"  # bumped to clear the file uploader once files are taken
VIDEO = "req.video"  # VideoInput | None
VIDEO_CLIP = "req.video_clip"  # (bytes, name) of the uploaded clip, kept to re-sample at a new rate
VIDEO_SOURCE = "req.video_source"  # "clip" | "url" | "frames"
VIDEO_FPS = "req.video_fps"
VIDEO_URL = "req.video_url"
VIDEO_NOTICES = "req.video_notices"  # why the last clip, URL or frames were refused
VIDEO_UPLOADER_VERSION = "req.video_uploader_version"
SET_TEMPERATURE = "req.set_temperature"
TEMPERATURE = "req.temperature"
SET_MAX_TOKENS = "req.set_max_tokens"
MAX_TOKENS = "req.max_tokens"
THINKING = "req.thinking"  # "default" | "on" | "off"
STREAM = "req.stream"
LOGPROBS = "req.logprobs"  # the token view: ask for token log probabilities
EDITOR_VERSION = "req.editor_version"  # bumped when text is loaded from outside: remounts the editors
SCHEMA_ORIGIN = "req.schema_origin"  # schema_origin.SchemaOrigin: what the editors were last loaded with
VALIDATE_PICK = "req.validate_pick"  # (choice, default when picked) or None: the user's "validate against"
VALIDATE_RADIO = "req.validate_radio"  # the "validate against" radio ("none" | "schema")
SCHEMA_NAME_FOLLOWED = "req.schema_name_followed"  # the schema name last given by following the schema

# ---------------------------------------------------------------- runs
HISTORY = "run.history"  # structured_output.runs.history.History
CURRENT = "run.current"  # id of the history entry the result panels show
HISTORY_PICK = "run.history_pick"
HISTORY_CLEAR = "run.history_clear"
COMPARE_A = "run.compare_a"
COMPARE_B = "run.compare_b"
RUN_BUTTON = "run.button"
RESULT_LAYOUT = "run.result_layout"  # "side" | "tabs": the result panels side by side or one a tab

# ---------------------------------------------------------------- compare page
CMP_ACROSS = "cmp.across"  # "modes" | "targets"
CMP_MODES = "cmp.modes"  # the modes to run side by side
CMP_N_TARGETS = "cmp.n_targets"  # 2..4 model/endpoint columns
CMP_RESULTS = "cmp.results"  # list[tuple[str, HistoryEntry]]: the last comparison, column by column
CMP_RUN_BUTTON = "cmp.run"
# The compare page's own widgets for shared values (model, mode, schema name, strict), mirrored to the
# playground's keys: a widget key rendered on two pages comes back at its default on the second page.
CMP_MODEL = "cmp.model"
CMP_CUSTOM_MODEL = "cmp.custom_model"
CMP_MODE = "cmp.mode"
CMP_SCHEMA_NAME = "cmp.schema_name"
CMP_STRICT = "cmp.strict"
CMP_LOGPROBS = "cmp.logprobs"
CMP_MIRRORS = ((CMP_MODEL, MODEL), (CMP_CUSTOM_MODEL, CUSTOM_MODEL), (CMP_MODE, MODE), (CMP_SCHEMA_NAME, SCHEMA_NAME),
               (CMP_STRICT, STRICT), (CMP_LOGPROBS, LOGPROBS))

# ---------------------------------------------------------------- batch page
BATCH_SOURCE = "batch.source"  # "paste" | "upload"
BATCH_PASTE = "batch.paste"
BATCH_UPLOAD = "batch.upload"
BATCH_ROWS = "batch.rows"  # list[dict[str, str]]: the rows read last (kept when a later file is bad)
BATCH_ROWS_FROM = "batch.rows_from"  # what the rows came from, for the caption
BATCH_FILE_SEEN = "batch.file_seen"  # id of the upload already read, so a rerun does not read it again
BATCH_FILE_ERROR = "batch.file_error"  # the BatchError of the last upload, shown until another file comes
BATCH_TEMPLATE_FROM = "batch.template_from"  # "playground" | "preset"
BATCH_PRESET = "batch.preset"  # preset id
BATCH_FILL = "batch.fill"  # "column" | "template"
BATCH_COLUMN = "batch.column"
BATCH_TEMPLATE = "batch.template"  # "{placeholder}" text for the user message
BATCH_REPEAT = "batch.repeat"
BATCH_MODES = "batch.modes"  # extra modes to run every row in (empty: the template's)
BATCH_CONCURRENCY = "batch.concurrency"
BATCH_JOB = "batch.job"  # structured_output.runs.batch.BatchJob: the running or last batch
BATCH_SHOWN = "batch.shown"  # id of the finished job whose results the page has drawn
BATCH_RUN_BUTTON = "batch.run"
BATCH_CANCEL_BUTTON = "batch.cancel"
BATCH_FILTER_VERDICT = "batch.filter_verdict"
BATCH_FILTER_MODE = "batch.filter_mode"
BATCH_FILTER_VALID = "batch.filter_valid"
BATCH_FILTER_CORRECT = "batch.filter_correct"
BATCH_RUN_AS = "batch.run_as"  # "live" | "job" (the service's Batch API)
BATCH_REMOTE_ID = "batch.remote_id"  # id of the batch job the page shows (found again from the service's list)
BATCH_REMOTE_RESULTS = "batch.remote_results"  # (job id, JobInfo, JobResults) once its files are read
BATCH_REMOTE_ERROR = "batch.remote_error"  # what went wrong starting, listing or reading a job
BATCH_REMOTE_PICK = "batch.remote_pick"  # the job picked in the list of the service's jobs
BATCH_REMOTE_OPEN_BUTTON = "batch.remote_open"
BATCH_REMOTE_REFRESH_BUTTON = "batch.remote_refresh"
BATCH_REMOTE_CANCEL_BUTTON = "batch.remote_cancel"

# ---------------------------------------------------------------- presets page
PRESETS_SEARCH = "presets.search"
PRESETS_MODE = "presets.mode"  # "all" or one of request.MODES
PRESETS_SECTION = "presets.section"  # "all" or a reference section (or a user preset's own)
PRESETS_RUNS = "presets.runs"  # dict[preset uid, list[preset_views.StepView]]: the last "Run here"
PRESETS_SAVE_TITLE = "presets.save_title"
PRESETS_SAVE_DESCRIPTION = "presets.save_description"
PRESETS_SAVE_BUTTON = "presets.save"
PRESETS_EXPORT_PICK = "presets.export_pick"  # preset uids to download as one file
PRESETS_IMPORT_VERSION = "presets.import_version"  # bumped to clear the uploader once its files are read
PRESETS_CONFIRM_OPEN = "presets.confirm_open"  # uid of the preset whose "Open" waits for "replace your edits?"
PRESETS_NOTICES = "presets.notices"  # list[tuple[level, text]]: what the last save, import or delete did


def preset_key(action: str, uid: str) -> str:
    """The key of one preset card's widget (``open``, ``run``, ``delete``, ``run_unneeded``, ``card``).

    ``uid`` is ``"{origin}__{id}"``: a user preset may reuse a shipped preset's id."""
    return f"presets_{action}__{uid}"


# ---------------------------------------------------------------- the schema workbench (issue 18)
WB_EXAMPLE = "wb.example"  # the example answer (JSON text) a schema is made from
WB_INFERRED = "wb.inferred"  # structured_output.workbench.schema_from_example.Inferred | None: the last one made
WB_GENERATION = "wb.generation"  # bumped per schema made, so its change boxes start ticked
WB_BEFORE = "wb.before"  # the editor's schema text before the example replaced it (to put it back)
WB_ERROR = "wb.error"  # ExampleError of the last try, shown until the next one
WB_RETRY = "wb.retry"  # retry on validation failure: on or off (off by default)
WB_RETRY_ATTEMPTS = "wb.retry_attempts"  # at most this many calls in all
WB_RETRIES = "wb.retries"  # dict[final history entry id, RetryRun]: the attempts behind a retried run
WB_SHARE_NOTICE = "wb.share_notice"  # (level, text): what the last import or link did
WB_IMPORT_VERSION = "wb.import_version"  # bumped to clear the share uploader once its file is read
WB_LINK_SEEN = "wb.link_seen"  # the ?run= value already opened in this session (a rerun must not reopen it)
CMP_RETRIES = "cmp.retries"  # compare across modes: add a "JSON Object + retries" column
CMP_RETRY_ATTEMPTS = "cmp.retry_attempts"  # that column's attempts in all


def errors_table_key(view_key: str, entry_id: int) -> str:
    """The validation error table of one run's result view: selecting a row points at that error."""
    return f"{view_key}_errors_{entry_id}"


def wb_change_key(generation: int, change_id: str) -> str:
    """The tick box of one tightening change of the schema made from an example."""
    return f"wb.change.{generation}.{change_id}"


EDITOR_KEYS = (SYSTEM_PROMPT, USER_TEXT, SCHEMA_TEXT)


def cmp_target_key(i: int, field: str) -> str:
    """The key of one compare column's target widget: ``field`` is endpoint, protocol, model or url."""
    return f"cmp.target.{i}.{field}"
THINKING_CHOICES = ("default", "on", "off")
THINKING_VALUE: dict[str, bool | None] = {"default": None, "on": True, "off": False}

DEFAULT_SYSTEM_PROMPT = "Extract the name and age and return the information in JSON format."
DEFAULT_USER_TEXT = ("Hello everyone, my name is Alex Brown. I am 34 years old. My email is alexbrown@example.com. "
                     "I enjoy playing basketball and traveling.")
DEFAULT_SCHEMA = """{
  "type": "object",
  "properties": {
    "name": {"type": "string", "description": "User name"},
    "age": {"type": "integer", "description": "User age"},
    "email": {"type": "string", "description": "Email address"}
  },
  "required": ["name", "age"],
  "additionalProperties": false
}
"""


def defaults() -> dict[str, Any]:
    """The first state of a session: the reference's getting-started example, ready to run offline."""
    return {
        ENDPOINT: "local", PROTOCOL: "compatible", CUSTOM_URL: "", KEY_INPUT: "", CUSTOM_MODELS: {},
        CUSTOM_SERVER: "",
        MODEL: "qwen-flash", CUSTOM_MODEL: "", MODE: "json_object", SCHEMA_NAME: "user_info", STRICT: True,
        SYSTEM_PROMPT: DEFAULT_SYSTEM_PROMPT, USER_TEXT: DEFAULT_USER_TEXT, SCHEMA_TEXT: DEFAULT_SCHEMA,
        IMAGES: [], IMAGE_URL: "", IMAGE_NOTICES: [], UPLOADER_VERSION: 0,
        VIDEO: None, VIDEO_CLIP: None, VIDEO_SOURCE: "clip", VIDEO_FPS: 2.0, VIDEO_URL: "", VIDEO_NOTICES: [],
        VIDEO_UPLOADER_VERSION: 0,
        SET_TEMPERATURE: False, TEMPERATURE: 0.7, SET_MAX_TOKENS: False, MAX_TOKENS: 64,
        THINKING: "default", STREAM: True, LOGPROBS: False, EDITOR_VERSION: 0,
        SCHEMA_ORIGIN: SchemaOrigin("the getting-started example (user_info)", DEFAULT_SCHEMA, "user_info",
                                    DEFAULT_SYSTEM_PROMPT, DEFAULT_USER_TEXT),
        VALIDATE_PICK: None, SCHEMA_NAME_FOLLOWED: "",
        CURRENT: None, RESULT_LAYOUT: "side",
        PRESETS_SEARCH: "", PRESETS_MODE: "all", PRESETS_SECTION: "all", PRESETS_RUNS: {}, PRESETS_SAVE_TITLE: "",
        PRESETS_SAVE_DESCRIPTION: "", PRESETS_EXPORT_PICK: [], PRESETS_IMPORT_VERSION: 0, PRESETS_NOTICES: [],
        CMP_ACROSS: "modes", CMP_MODES: ["none", "json_object", "json_schema"], CMP_N_TARGETS: 2, CMP_RESULTS: [],
        BATCH_SOURCE: "paste", BATCH_PASTE: "", BATCH_ROWS: [], BATCH_ROWS_FROM: "", BATCH_FILE_SEEN: None,
        BATCH_FILE_ERROR: "", BATCH_TEMPLATE_FROM: "playground", BATCH_PRESET: None, BATCH_FILL: "column",
        BATCH_COLUMN: "text", BATCH_TEMPLATE: "{text}", BATCH_REPEAT: 1, BATCH_MODES: [], BATCH_CONCURRENCY: 4,
        BATCH_JOB: None, BATCH_SHOWN: None, BATCH_RUN_AS: "live", BATCH_REMOTE_ID: None, BATCH_REMOTE_RESULTS: None,
        BATCH_REMOTE_ERROR: "", BATCH_REMOTE_PICK: None,
        WB_EXAMPLE: "", WB_INFERRED: None, WB_GENERATION: 0, WB_BEFORE: None, WB_ERROR: None,
        WB_RETRY: False, WB_RETRY_ATTEMPTS: 3, WB_RETRIES: {}, WB_SHARE_NOTICE: None, WB_IMPORT_VERSION: 0,
        WB_LINK_SEEN: None,
        CMP_RETRIES: False, CMP_RETRY_ATTEMPTS: 3,
    }


def init_defaults() -> None:
    """Set every missing key; called at the top of every run by ``app.py``."""
    ss = st.session_state
    # A session that set none of the request's keys yet is new: it may take the editors the last one left.
    fresh = HISTORY not in ss and not any(k in ss for k in (MODEL, MODE, SYSTEM_PROMPT, USER_TEXT, SCHEMA_TEXT))
    for key, value in defaults().items():
        if key not in ss:
            ss[key] = value
    if RECENT_URLS not in ss:  # read once a session: the file carries the list across restarts
        ss[RECENT_URLS] = load_recent_urls()
    if HISTORY not in ss:  # read once a session: the SQLite file carries runs and editors across reloads
        store = RunStore()
        ss[HISTORY] = History.from_store(store)
        if fresh:
            restore_draft(store)


DRAFT = "playground"  # the name the editors' last state is kept under in the store
DRAFT_SAVED = "req.draft_saved"  # the JSON last written, so an unchanged rerun writes nothing
MEDIA_DRAFT = "playground.media"  # the images and video, kept apart: large, and written only when they change
DRAFT_MEDIA_SAVED = "req.draft_media_saved"  # (images list, video) last written, compared by identity


def _draft() -> dict[str, Any]:
    """What reopening the page should bring back: the request (its images and video apart, see
    ``_save_media``), where the schema came from, and the user's validation pick."""
    ss = st.session_state
    d = current_request().to_dict()
    d.pop("images", None)
    d.pop("video", None)
    origin = ss[SCHEMA_ORIGIN]
    return {"request": d, "origin": asdict(origin) if origin is not None else None,
            "validate_pick": list(ss[VALIDATE_PICK]) if ss[VALIDATE_PICK] else None}


def save_draft() -> None:
    """Keep the editors on disk when they changed (called by the playground after its widgets)."""
    ss = st.session_state
    history = ss[HISTORY]
    if history.store is None:
        return
    draft = _draft()
    text = json.dumps(draft, sort_keys=True)
    try:
        _save_media(history.store)
        if ss.get(DRAFT_SAVED) != text:
            history.store.save_draft(DRAFT, draft)
    except StoreError as e:
        history.store, history.store_error = None, str(e)
        return
    ss[DRAFT_SAVED] = text


def media_bytes(images: list[ImageInput], video: VideoInput | None) -> int:
    return sum(len(i.data or b"") for i in images) + sum(len(f.data or b"") for f in (video.frames if video else []))


def _save_media(store: RunStore) -> None:
    """The images and video's frames, when they changed (every change puts a new list or video in the
    session, so identity says it without hashing megabytes each rerun) and within the preset limit of
    frames; over it nothing is kept (``components.images.media_note`` says so beside the inputs)."""
    ss = st.session_state
    images, video = ss[IMAGES], ss[VIDEO]
    last = ss.get(DRAFT_MEDIA_SAVED)
    if last is not None and last[0] is images and last[1] is video:
        return
    total = media_bytes(images, video)
    if total:
        from structured_output.presets import max_preset_video_bytes  # loads PyAV: only once there is media

        keep = total <= max_preset_video_bytes()
    else:
        keep = True
    media = Request(images=images, video=video).to_dict() if keep else {"images": [], "video": None}
    store.save_draft(MEDIA_DRAFT, {"images": media["images"], "video": media["video"]})
    ss[DRAFT_MEDIA_SAVED] = (images, video)


def restore_draft(store: RunStore) -> None:
    """At a session's start: the editors as the last session left them (if the file has them)."""
    ss = st.session_state
    try:
        draft = store.draft(DRAFT)
    except StoreError:
        return  # History.from_store said why already
    if not draft or not isinstance(draft.get("request"), dict):
        return
    try:
        media = store.draft(MEDIA_DRAFT) or {}
    except StoreError:
        media = {}
    try:
        req = Request.from_dict(draft["request"])
        try:
            kept = Request.from_dict({"images": media.get("images") or [], "video": media.get("video")})
            req.images, req.video = kept.images, kept.video
        except (TypeError, ValueError, KeyError):
            pass  # media of another version: the editors come back without them
        origin = SchemaOrigin(**draft["origin"]) if draft.get("origin") else None
    except (TypeError, ValueError):
        return  # a draft of another version: start from the example
    load_request(req)
    ss[SCHEMA_ORIGIN] = origin
    pick = draft.get("validate_pick")
    ss[VALIDATE_PICK] = tuple(pick) if isinstance(pick, list) and len(pick) == 2 else None
    ss[DRAFT_SAVED] = json.dumps(draft, sort_keys=True)
    ss[DRAFT_MEDIA_SAVED] = (ss[IMAGES], ss[VIDEO])


def clear_saved() -> None:
    """Forget the runs and the kept editors, on disk and in this session (the editors stay as they are)."""
    ss = st.session_state
    history = ss[HISTORY]
    history.clear()
    if history.store is not None:
        try:
            history.store.clear_drafts()
        except StoreError as e:
            history.store_error = str(e)
    ss[CURRENT] = None
    ss.pop(DRAFT_SAVED, None)
    ss.pop(DRAFT_MEDIA_SAVED, None)


# ---------------------------------------------------------------- keys

def api_key() -> str | None:
    """The key for the current endpoint: typed in this session, else (DashScope only) the environment.

    The environment's DashScope key is never sent to a custom URL: that server is someone else's.
    """
    return api_key_for(st.session_state.get(ENDPOINT, "local"))


def api_key_for(endpoint: str) -> str | None:
    """``api_key()`` for any endpoint, for pages that send to several (compare across endpoints)."""
    ss = st.session_state
    if endpoint == "local":
        return None
    if endpoint == "custom":
        return ss.get(CUSTOM_KEY) or None
    return ss.get(DASHSCOPE_KEY) or os.environ.get(KEY_ENV) or None


def environment_key() -> bool:
    """Whether the app was started with a ``DASHSCOPE_API_KEY`` (every session may spend it)."""
    return bool(os.environ.get(KEY_ENV, "").strip())


def key_source() -> str:
    """Where ``api_key()`` comes from, for the sidebar: typed, environment or none."""
    ss = st.session_state
    endpoint = ss.get(ENDPOINT, "local")
    if endpoint == "custom":
        return "typed" if ss.get(CUSTOM_KEY) else "none"
    if ss.get(DASHSCOPE_KEY):
        return "typed"
    return "environment" if os.environ.get(KEY_ENV) else "none"


def take_typed_key() -> None:
    """Callback of the password field: move the typed key out of the widget so it is never sent back."""
    ss = st.session_state
    typed = (ss.get(KEY_INPUT) or "").strip()
    if typed:
        ss[CUSTOM_KEY if ss.get(ENDPOINT) == "custom" else DASHSCOPE_KEY] = typed
    ss[KEY_INPUT] = ""


def forget_typed_key() -> None:
    ss = st.session_state
    ss.pop(CUSTOM_KEY if ss.get(ENDPOINT) == "custom" else DASHSCOPE_KEY, None)


# ---------------------------------------------------------------- state ⇄ Request

def current_request() -> Request:
    """What Run would send now, read from the widgets' state."""
    ss = st.session_state
    catalog = load_catalog()
    endpoint = catalog.endpoint(ss[ENDPOINT])
    protocol = ss[PROTOCOL] if ss[PROTOCOL] in endpoint.protocols else endpoint.protocols[0]
    model = ((ss[CUSTOM_MODEL] if endpoint.id == "custom" else ss[MODEL]) or "").strip()
    info = catalog.model(model)
    # The thinking switch is shown only where the model has one; a hidden switch sends nothing.
    thinking = THINKING_VALUE.get(ss[THINKING]) if info.thinking == "optional" or not info.known else None
    return Request(
        model=model,
        endpoint=endpoint.id,
        protocol=protocol,
        mode=ss[MODE],
        system_prompt=ss[SYSTEM_PROMPT],
        user_text=ss[USER_TEXT],
        images=list(ss[IMAGES]),
        video=ss[VIDEO],
        schema_name=ss[SCHEMA_NAME].strip(),
        strict=bool(ss[STRICT]),
        schema_text=ss[SCHEMA_TEXT],
        temperature=float(ss[TEMPERATURE]) if ss[SET_TEMPERATURE] else None,
        max_tokens=int(ss[MAX_TOKENS]) if ss[SET_MAX_TOKENS] else None,
        enable_thinking=thinking,
        stream=bool(ss[STREAM]),
        custom_base_url=ss[CUSTOM_URL].strip(),
        logprobs=bool(ss[LOGPROBS]),
        validate_schema=validate_choice() == "schema",
    )


def validate_default() -> str:
    """``"schema"`` or ``"none"``: what "validate against" is when the user has not picked (see
    ``schema_origin``: off once the prompts no longer belong to the schema's example)."""
    ss = st.session_state
    on = validate_by_default(ss[SCHEMA_ORIGIN], ss[SYSTEM_PROMPT], ss[USER_TEXT], ss[SCHEMA_TEXT])
    return "schema" if on else "none"


def validate_choice() -> str:
    """The user's pick while the situation it was made in holds (the default it overrode is still the
    default), else the default: new prompts over an example's schema turn validation off again."""
    ss = st.session_state
    default = validate_default()
    pick = ss.get(VALIDATE_PICK)
    if pick is not None and pick[1] == default:
        return str(pick[0])
    return default


def load_request(req: Request, origin: str = "") -> None:
    """Put every field of ``req`` into the state and remount the editors so they show the new text.

    ``origin`` says where it comes from ("the preset “…”"): the schema's origin, shown beside "validate
    against"."""
    ss = st.session_state
    init_defaults()
    ss[SCHEMA_ORIGIN] = SchemaOrigin(origin or "a run of the history", req.schema_text, req.schema_name,
                                     req.system_prompt, req.user_text)
    ss[VALIDATE_PICK] = None
    ss[SCHEMA_NAME_FOLLOWED] = ""
    ss[ENDPOINT] = req.endpoint
    ss[PROTOCOL] = req.protocol
    if req.endpoint == "custom":
        ss[CUSTOM_MODEL] = req.model
        ss[CUSTOM_URL] = req.custom_base_url
    else:
        ss[MODEL] = req.model
    ss[MODE] = req.mode
    ss[SCHEMA_NAME] = req.schema_name
    ss[STRICT] = req.strict
    ss[SYSTEM_PROMPT] = req.system_prompt
    ss[USER_TEXT] = req.user_text
    ss[SCHEMA_TEXT] = req.schema_text
    ss[IMAGES] = [ImageInput(i.mime, i.data, i.url, i.name) for i in req.images]
    ss[IMAGE_NOTICES] = []
    ss[VIDEO], ss[VIDEO_CLIP], ss[VIDEO_NOTICES] = req.video, None, []
    if req.video is not None:
        ss[VIDEO_FPS] = req.video.fps
    ss[SET_TEMPERATURE] = req.temperature is not None
    if req.temperature is not None:
        ss[TEMPERATURE] = float(req.temperature)
    ss[SET_MAX_TOKENS] = req.max_tokens is not None
    if req.max_tokens is not None:
        ss[MAX_TOKENS] = int(req.max_tokens)
    ss[THINKING] = {None: "default", True: "on", False: "off"}[req.enable_thinking]
    ss[STREAM] = req.stream
    ss[LOGPROBS] = req.logprobs
    chosen = "schema" if req.validate_schema else "none"
    # a run reopened as it was made (a preset's request says nothing: its flag is just the default)
    if req.mode != "json_schema" and req.schema_text.strip() and chosen != validate_default():
        ss[VALIDATE_PICK] = (chosen, validate_default())
    ss[EDITOR_VERSION] = ss[EDITOR_VERSION] + 1


def mirror_in(local_key: str, shared_key: str) -> None:
    """Before a page's own widget for a shared value renders: take the shared value when it changed
    elsewhere (or on the first visit).

    Why not render the playground's widget key on another page too: Streamlit (1.67) then mounts that
    widget at its default option on the second page and the next rerun overwrites the shared value.
    """
    ss = st.session_state
    synced = f"{local_key}.__synced"
    if local_key not in ss or ss.get(synced) != ss[shared_key]:
        ss[local_key] = ss[shared_key]
        ss[synced] = ss[shared_key]


def mirror_out(local_key: str, shared_key: str) -> None:
    """After the page's own widget rendered: its value becomes the shared one."""
    ss = st.session_state
    if local_key in ss:
        ss[shared_key] = ss[local_key]
        ss[f"{local_key}.__synced"] = ss[local_key]


def unsaved_edits() -> bool:
    """The editors hold text the user changed since they were last loaded (example, preset or run)."""
    ss = st.session_state
    origin = ss[SCHEMA_ORIGIN]
    if origin is None:
        return True
    return origin.schema_edited(ss[SCHEMA_TEXT]) or not origin.prompts_belong(ss[SYSTEM_PROMPT], ss[USER_TEXT])


def history() -> History:
    return st.session_state[HISTORY]
