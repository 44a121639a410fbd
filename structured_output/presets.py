"""Preset files: one JSON file per example of the reference (shipped in ``presets/``), plus the
user's own presets saved from the playground, exported and imported as files.

A preset holds the endpoint-independent half of a ``Request`` (model, mode, prompts, images,
schema, parameters) and what the reference documents for it (its verbatim "Return result" and the
expected kind of outcome), so the presets page can show the documented result beside a live one.

One file is one example of the reference. The reference gives most examples in several client forms
(Python openai, Node.js, curl, Python dashscope, Java, curl native) that differ in wording, few-shot
examples and documented results, so a file lists them under ``forms``: the top-level fields are the
first form, and each further form holds only what it changes. ``Preset.variants()`` resolves them
into one preset a form, each run through its own protocol.
Files are data only: parsed with ``json.loads`` and validated by the pydantic model below; any
problem becomes a ``PresetError`` naming the file and the field. Nothing here ever stores a key:
``Request`` has no key field, and a preset is built only from a ``Request``.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import json
import os
import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

import structured_output
from structured_output.errors import CallError
from structured_output.request import IMAGE_MIME_TYPES, MAX_IMAGE_BYTES, ImageInput, Request, VideoInput
from structured_output.result import RunResult

FORMAT_VERSION = 1
PRESETS_DIR_ENV = "SOP_PRESETS_DIR"
USER_PRESETS_DIR_ENV = "SOP_USER_PRESETS_DIR"
APP_DIR_NAME = "structured-output-playground"
MAX_PRESET_BYTES = 16 * 1024 * 1024  # one embedded 10 MB image (base64) plus text
PREVIOUS_CONTENT = "{previous_content}"  # in a follow-up's user_text: the previous step's answer
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
FORM_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,31}$"
ASSET_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
_EXT_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}

Outcome = Literal["json", "valid", "error", "truncated", "text"]
# The client a form is written for: the code export's snippet kinds (``snippets.Snippet.kind``).
Client = Literal["python-openai", "python-openai-parse", "node-openai", "node-openai-parse", "curl-compatible",
                 "python-dashscope", "java-dashscope", "curl-native", "schema"]
DocumentedKind = Literal["content", "response_body", "printed", "error", "described"]


class PresetError(ValueError):
    """A preset file that cannot be used. ``str(e)`` names the file and the field for the user."""

    def __init__(self, source: str, problems: list[str], field: str = "") -> None:
        self.source, self.problems, self.field = source, problems, field
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


# ---------------------------------------------------------------- where presets live

def presets_dir() -> Path:
    """The shipped ``presets/`` folder at the repository root, beside the package (an editable
    install maps the package to the checkout, so this is the checkout's folder). ``SOP_PRESETS_DIR``
    overrides it, e.g. for a packaged install that puts the folder elsewhere."""
    override = os.environ.get(PRESETS_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(structured_output.__file__).resolve().parent.parent / "presets"


def assets_dir() -> Path:
    return presets_dir() / "assets"


def user_presets_dir() -> Path:
    """``SOP_USER_PRESETS_DIR``, else ``$XDG_DATA_HOME`` (default ``~/.local/share``) +
    ``structured-output-playground/presets``: outside the checkout, so saved presets survive updates."""
    override = os.environ.get(USER_PRESETS_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_DATA_HOME", "").strip() or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / APP_DIR_NAME / "presets"


def _label(path: Path) -> str:
    """``presets/x.json`` for shipped files, the full path for others: short but findable."""
    try:
        return str(path.resolve().relative_to(presets_dir().resolve().parent))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- the file format

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _sniff_mime(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _http_url(v: str | None) -> str | None:
    """An image's or video's URL: the server fetches it itself, so only http(s)."""
    if v is not None and not re.match(r"^https?://", v):
        raise ValueError(f"must start with http:// or https:// (got {v[:60]!r})")
    return v


class ImageRef(_Strict):
    """One image: a shipped asset by file name (``"receipt.png"`` is shorthand for
    ``{"asset": "receipt.png"}``), an http(s) URL, or embedded bytes (user presets, exports)."""

    asset: str | None = None
    url: str | None = None
    data_b64: str | None = None
    mime: str | None = None
    name: str = ""
    documented_url: str | None = Field(None, description="the reference's own image URL, unreachable offline")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        return {"asset": v} if isinstance(v, str) else v

    @field_validator("asset")
    @classmethod
    def _asset_name(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.fullmatch(ASSET_NAME_PATTERN, v) or ".." in v:
            raise ValueError(f"must be a plain file name in presets/assets such as receipt.png (got {v!r})")
        if Path(v).suffix.lower() not in _EXT_MIME:
            raise ValueError(f"must name a .png, .jpg, .jpeg or .webp file (got {v!r})")
        if not (assets_dir() / v).is_file():
            raise ValueError(f"names no file in presets/assets (got {v!r})")
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return _http_url(v)

    @field_validator("data_b64")
    @classmethod
    def _data(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            raw = base64.b64decode(v, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("is not valid base64") from None
        if len(raw) > MAX_IMAGE_BYTES:
            raise ValueError(f"holds {len(raw) / 1e6:.1f} MB; images are limited to {MAX_IMAGE_BYTES / 1e6:.0f} MB")
        if _sniff_mime(raw) is None:
            raise ValueError("does not hold a PNG, JPEG or WebP image")
        return v

    @field_validator("mime")
    @classmethod
    def _mime(cls, v: str | None) -> str | None:
        if v is not None and v not in IMAGE_MIME_TYPES:
            raise ValueError(f"must be one of {', '.join(IMAGE_MIME_TYPES)} (got {v!r})")
        return v

    @model_validator(mode="after")
    def _exactly_one(self) -> ImageRef:
        given = [k for k in ("asset", "url", "data_b64") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("an image needs exactly one of `asset`, `url` or `data_b64` "
                             f"(got {', '.join(given) or 'none'})")
        return self

    def to_input(self) -> ImageInput:
        if self.asset is not None:
            data = (assets_dir() / self.asset).read_bytes()
            return ImageInput(mime=_EXT_MIME[Path(self.asset).suffix.lower()], data=data, name=self.name or self.asset)
        if self.data_b64 is not None:
            raw = base64.b64decode(self.data_b64)
            return ImageInput(mime=self.mime or _sniff_mime(raw) or "image/png", data=raw, name=self.name)
        return ImageInput(url=self.url, name=self.name or (self.url or "").rsplit("/", 1)[-1])


class FrameRef(_Strict):
    """One frame of a saved video: the picture (base64) and the time it was taken at."""

    data_b64: str
    mime: str = "image/jpeg"
    t: float = Field(ge=0)

    @field_validator("data_b64")
    @classmethod
    def _data(cls, v: str) -> str:
        try:
            raw = base64.b64decode(v, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("is not valid base64") from None
        if _sniff_mime(raw) is None:
            raise ValueError("does not hold a PNG, JPEG or WebP image")
        return v

    @field_validator("mime")
    @classmethod
    def _mime(cls, v: str) -> str:
        if v not in IMAGE_MIME_TYPES:
            raise ValueError(f"must be one of {', '.join(IMAGE_MIME_TYPES)} (got {v!r})")
        return v


class VideoRef(_Strict):
    """The request's video: a shipped clip (``presets/assets``) sampled at ``fps`` when the preset is
    loaded, the frames a user's clip was sampled into (kept in the preset, within a size limit), or a
    URL the service fetches."""

    asset: str | None = None
    frames: list[FrameRef] = Field(default_factory=list)
    url: str | None = None
    name: str = ""
    duration_s: float | None = Field(None, ge=0)
    fps: float = Field(2.0, gt=0)

    @field_validator("asset")
    @classmethod
    def _asset_file(cls, v: str | None) -> str | None:
        if v is not None and (not re.fullmatch(ASSET_NAME_PATTERN, v) or not (assets_dir() / v).is_file()):
            raise ValueError(f"names no file in presets/assets (got {v!r})")
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return _http_url(v)

    @field_validator("frames")
    @classmethod
    def _frames_size(cls, v: list[FrameRef]) -> list[FrameRef]:
        total = sum(len(f.data_b64) * 3 // 4 for f in v)
        if total > max_preset_video_bytes():
            raise ValueError(f"hold {total / 1e6:.1f} MB of frames; a preset keeps at most "
                             f"{max_preset_video_bytes() / 1e6:.0f} MB")
        return v

    @model_validator(mode="after")
    def _exactly_one(self) -> VideoRef:
        given = [k for k in ("asset", "frames", "url") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("a video needs exactly one of `asset`, `frames` or `url` "
                             f"(got {', '.join(given) or 'none'})")
        return self

    def to_input(self) -> VideoInput:
        if self.url is not None:
            return VideoInput(url=self.url, fps=self.fps, name=self.name)
        if self.frames:
            label = self.name or "video"
            from structured_output.video import timestamp

            return VideoInput(frames=[ImageInput(mime=f.mime, data=base64.b64decode(f.data_b64),
                                                 name=f"{label} @ {timestamp(f.t)}") for f in self.frames],
                              times=[f.t for f in self.frames], fps=self.fps, name=self.name,
                              duration_s=self.duration_s)
        from structured_output import video  # PyAV is only loaded when a preset has a clip

        assert self.asset is not None
        return video.sample((assets_dir() / self.asset).read_bytes(), self.asset, self.fps)


def max_preset_video_bytes() -> int:
    """How many bytes of frames a saved preset may hold (``data/video_limits.json``)."""
    from structured_output.video import limits

    return limits().max_preset_frames_bytes


class Documented(_Strict):
    """What the reference shows for the example, copied so the product never reads the reference.

    ``kind`` says what ``return_result`` is: the message content, a whole HTTP response body, what
    the code printed, an error message, or only a described behaviour (no verbatim output).
    ``value`` is the JSON the model returned (parsed from the content; for printed or described
    results it is derived and ``value_note`` says how)."""

    kind: DocumentedKind
    return_result: str = ""
    value: Any = None
    value_note: str = ""
    code: str = Field("", description="the reference's code sample, verbatim")
    code_language: str = ""

    @property
    def has_value(self) -> bool:
        return "value" in self.model_fields_set


class Expectation(_Strict):
    """The kind of outcome the example should have when run (offline too).

    json: the content parses · valid: it parses and validates against the schema · error: the call
    fails with ``error_text`` (exact, as documented) or a message containing ``error_contains`` ·
    truncated: finish_reason is ``length`` and the JSON does not parse · text: any answer."""

    outcome: Outcome
    error_text: str | None = None
    error_contains: str | None = None
    status: int | None = None

    @model_validator(mode="after")
    def _error_needs_text(self) -> Expectation:
        if self.outcome == "error" and not (self.error_text or self.error_contains):
            raise ValueError("an `error` outcome needs `error_text` or `error_contains`")
        return self


class ParseModel(_Strict):
    """For presets whose call goes through ``client.chat.completions.parse(response_format=Model)``:
    the reference's Pydantic class and how the schema stored in the preset was produced from it."""

    name: str
    source: str
    schema_generated_by: str
    language: Literal["python", "javascript"] = Field("python", description="Pydantic (python) or zod")


class RequestFields(_Strict):
    """The endpoint-independent fields of a ``Request``; the endpoint is chosen when running."""

    protocol: Literal["compatible", "native"] = "compatible"
    call: Literal["create", "parse"] = Field("create", description="openai SDK method the example uses")
    model: str = Field(min_length=1)
    mode: Literal["none", "json_object", "json_schema"]
    system_prompt: str = ""
    user_text: str = ""
    images: list[ImageRef] = Field(default_factory=list)
    video: VideoRef | None = None
    schema_name: str = "user_info"
    strict: bool = True
    json_schema: Any = Field(None, alias="schema", description="a JSON object, or the editor's text as a string")
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)
    enable_thinking: bool | None = None
    stream: bool = False
    logprobs: bool = Field(False, description="open the result's Tokens view (sends logprobs)")

    @field_validator("json_schema")
    @classmethod
    def _schema(cls, v: Any) -> Any:
        if v is not None and not isinstance(v, dict | str):
            raise ValueError(f"must be a JSON object or a string (got {type(v).__name__})")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> RequestFields:
        if self.mode == "json_schema" and self.json_schema in (None, ""):
            raise ValueError("`mode` json_schema needs a `schema`")
        if self.call == "parse" and self.protocol != "compatible":
            raise ValueError("`call` parse is an openai SDK method: `protocol` must be compatible")
        if self.call == "parse" and self.mode != "json_schema":
            raise ValueError("`call` parse sends a JSON Schema: `mode` must be json_schema")
        return self

    @property
    def schema_text(self) -> str:
        if self.json_schema is None:
            return ""
        if isinstance(self.json_schema, str):
            return self.json_schema
        return json.dumps(self.json_schema, indent=2, ensure_ascii=False)

    def to_request(self, endpoint: str = "local", custom_base_url: str = "") -> Request:
        """A fresh ``Request`` (images loaded into bytes) for ``endpoint``."""
        return Request(
            model=self.model, endpoint=endpoint, protocol=self.protocol, mode=self.mode,
            system_prompt=self.system_prompt, user_text=self.user_text,
            images=[i.to_input() for i in self.images], video=self.video.to_input() if self.video else None,
            schema_name=self.schema_name, strict=self.strict,
            schema_text=self.schema_text, temperature=self.temperature, max_tokens=self.max_tokens,
            enable_thinking=self.enable_thinking, stream=self.stream, custom_base_url=custom_base_url,
            logprobs=self.logprobs,
        )


class SeeAlso(_Strict):
    """A page of the reference's site the example points to (the error-code page), quoted."""

    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https://")
    quote: str = ""


class Form(_Strict):
    """One client form of an example: its tab label, the client it is written for, and only the fields
    it changes from the example's first form (``None`` never means "unset": a field is changed when
    the file gives it)."""

    id: str = Field(pattern=FORM_ID_PATTERN)
    label: str = Field(min_length=1)
    client: Client
    former_id: str | None = Field(None, pattern=ID_PATTERN, description="the id this form had as its own preset")
    note: str = Field("", description="how this form differs from the others, for the page")
    source: str | None = None
    description: str | None = None
    protocol: Literal["compatible", "native"] | None = None
    call: Literal["create", "parse"] | None = None
    model: str | None = Field(None, min_length=1)
    mode: Literal["none", "json_object", "json_schema"] | None = None
    system_prompt: str | None = None
    user_text: str | None = None
    images: list[ImageRef] | None = None
    schema_name: str | None = None
    strict: bool | None = None
    json_schema: Any = Field(None, alias="schema")
    temperature: float | None = None
    max_tokens: int | None = None
    enable_thinking: bool | None = None
    stream: bool | None = None
    parse_model: ParseModel | None = None
    documented: Documented | None = None
    expect: Expectation | None = None
    tags: list[str] | None = None


_FORM_ONLY = {"id", "label", "client", "former_id", "note"}


class FollowUp(RequestFields):
    """A further call of a flow (the FAQ's repair step). ``{previous_content}`` in ``user_text`` is
    replaced by the previous step's answer; ``run_if`` says when the reference runs it."""

    title: str = Field(min_length=1)
    description: str = ""
    run_if: Literal["always", "previous_not_json"] = "always"
    documented: Documented | None = None
    expect: Expectation


class Preset(RequestFields):
    """One preset file. The first call's request fields are at the top level."""

    format: Literal[1] = FORMAT_VERSION
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    section: str = Field(min_length=1, description="the reference's section heading")
    source: str = Field("", description="which sample of the section, e.g. 'OpenAI compatible · Python'")
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    parse_model: ParseModel | None = None
    documented: Documented | None = None
    expect: Expectation
    followups: list[FollowUp] = Field(default_factory=list)
    see_also: list[SeeAlso] = Field(default_factory=list)
    forms: list[Form] = Field(default_factory=list)
    origin: Literal["shipped", "user"] = Field("shipped", exclude=True)
    _form: Form | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _drop_comments(cls, v: Any) -> Any:
        # keys starting with "_" are comments (like catalog.json's "_about")
        if isinstance(v, dict):
            return {k: x for k, x in v.items() if not (isinstance(k, str) and k.startswith("_"))}
        return v

    @model_validator(mode="after")
    def _parse_needs_model(self) -> Preset:
        if self.call == "parse" and self.parse_model is None:
            raise ValueError("`call` parse needs `parse_model` (the Pydantic class the schema came from)")
        return self

    @model_validator(mode="after")
    def _forms_resolve(self) -> Preset:
        ids = [f.id for f in self.forms]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"`forms` has the id {dup[0]!r} more than once")
        for i, form in enumerate(self.forms):
            try:
                self._resolve(form)
            except ValidationError as e:
                field, text = _problem(e.errors()[0])
                raise ValueError(f"form {i} ({form.id!r}) does not make a valid preset: field `{field}` {text}") \
                    from None
        return self

    # ------------------------------------------------------------ client forms

    @property
    def form(self) -> Form | None:
        """The form this preset was resolved from (``None`` for a whole example)."""
        return self._form

    @property
    def form_id(self) -> str:
        return self._form.id if self._form is not None else ""

    def _resolve(self, form: Form) -> Preset:
        base = self.model_dump(by_alias=True, exclude_unset=True, exclude={"forms", "origin"})
        changes = form.model_dump(by_alias=True, exclude_unset=True, exclude=_FORM_ONLY)
        out = Preset.model_validate({**base, **changes})
        out.origin = self.origin
        out._form = form
        return out

    def variants(self) -> list[Preset]:
        """One preset a client form (each with ``form`` set), or ``[self]`` when there are no forms."""
        return [self._resolve(f) for f in self.forms] if self.forms else [self]

    def variant(self, form_id: str) -> Preset:
        for f in self.forms:
            if f.id == form_id:
                return self._resolve(f)
        raise KeyError(f"preset {self.id!r} has no form {form_id!r} (it has {', '.join(self.form_ids) or 'none'})")

    @property
    def form_ids(self) -> list[str]:
        return [f.id for f in self.forms]

    def request(self, endpoint: str = "local", custom_base_url: str = "") -> Request:
        return self.to_request(endpoint, custom_base_url)

    def to_json(self, *, embed_assets: bool = False) -> str:
        data = self.model_dump(mode="json", by_alias=True, exclude_defaults=True,
                               exclude={"origin"})
        data = {"format": FORMAT_VERSION, **data}
        if self.documented is not None and self.documented.has_value:  # a null value still counts
            data.setdefault("documented", {})["value"] = self.documented.value
        for i, f in enumerate(self.followups):
            if f.documented is not None and f.documented.has_value:
                data["followups"][i].setdefault("documented", {})["value"] = f.documented.value
        if self.forms:  # a form holds what it changes, so what the file gave is what it keeps
            data["forms"] = [f.model_dump(mode="json", by_alias=True, exclude_unset=True) for f in self.forms]
        if embed_assets:
            holders = [(data, self), *zip(data.get("followups", []), self.followups, strict=True),
                       *zip(data.get("forms", []), self.forms, strict=True)]
            for holder, model in holders:
                if model.images:
                    holder["images"] = [_embedded(ref) for ref in model.images]
                if getattr(model, "video", None) is not None and model.video.asset is not None:
                    clip = model.video.to_input()  # a shared file stands alone: the clip's frames go in it
                    holder["video"] = _video_ref(replace(clip, name=""), self.title).model_dump(
                        mode="json", exclude_none=True, exclude_defaults=True) | {
                        "fps": clip.fps, "name": model.video.asset}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _embedded(ref: ImageRef) -> dict[str, Any]:
    if ref.asset is None:
        return ref.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    img = ref.to_input()
    out = {"data_b64": base64.b64encode(img.data or b"").decode("ascii"), "mime": img.mime, "name": img.name}
    if ref.documented_url:
        out["documented_url"] = ref.documented_url
    return out


# ---------------------------------------------------------------- errors that name the field

def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _got(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _problem(err: Any) -> tuple[str, str]:
    field = _loc(tuple(err.get("loc") or ()))
    kind, ctx, value = err.get("type", ""), err.get("ctx") or {}, err.get("input")
    if kind == "missing":
        text = "is required"
    elif kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", ""))) or [str(ctx.get("expected"))]
        text = f"must be one of {', '.join(allowed)} (got {_got(value)})"
    elif kind == "extra_forbidden":
        known = sorted({f.alias or n for n, f in Preset.model_fields.items()} |
                       set(FollowUp.model_fields) | set(ImageRef.model_fields) | set(Documented.model_fields) |
                       set(Expectation.model_fields) | set(Form.model_fields))
        last = str(err["loc"][-1]) if err.get("loc") else ""
        close = difflib.get_close_matches(last, known, n=1)
        text = "is not a preset field" + (f" (did you mean `{close[0]}`?)" if close else "")
    elif kind == "string_pattern_mismatch" and field == "id":
        text = f"must be lowercase letters, digits and '-' (at most 64) (got {_got(value)})"
    elif kind in ("value_error", "assertion_error"):
        text = str(err.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    else:
        text = str(err.get("msg", "")).replace("Input should be", "must be") + f" (got {_got(value)})"
    return field, text


def _validate(data: Any, source: str) -> Preset:
    if not isinstance(data, dict):
        raise PresetError(source, [f"a preset file must hold a JSON object (got {type(data).__name__})"])
    try:
        return Preset.model_validate(data)
    except ValidationError as e:
        problems, first = [], ""
        for err in e.errors():
            field, text = _problem(err)
            first = first or field
            if not field:
                problems.append(text)
            elif text.startswith(("must ", "is ", "names ", "holds ", "does ")):
                problems.append(f"field `{field}` {text}")
            else:  # a whole-object rule, e.g. "an image needs exactly one of ..."
                problems.append(f"field `{field}`: {text}")
        raise PresetError(source, problems, first) from None


def _loads(data: bytes | str, source: str) -> Any:
    if len(data) > MAX_PRESET_BYTES:
        raise PresetError(source, [f"the file is larger than {MAX_PRESET_BYTES // (1024 * 1024)} MB"])
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text)
    except UnicodeDecodeError:
        raise PresetError(source, ["the file is not UTF-8 text"]) from None
    except json.JSONDecodeError as e:
        raise PresetError(source, [f"not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})"]) from None
    except RecursionError:
        raise PresetError(source, ["not valid JSON: nested too deeply"]) from None


# ---------------------------------------------------------------- loading

def load_preset_file(source: bytes | str | Path, name: str = "preset.json") -> Preset:
    """One preset from a path, or from the bytes/str of an uploaded file (``name`` labels errors)."""
    if isinstance(source, Path):
        label = _label(source)
        try:
            size = source.stat().st_size
            if size > MAX_PRESET_BYTES:
                raise PresetError(label, [f"the file is larger than {MAX_PRESET_BYTES // (1024 * 1024)} MB"])
            raw = source.read_bytes()
        except OSError as e:
            raise PresetError(label, [f"cannot be read: {e.strerror or e}"]) from None
        return _validate(_loads(raw, label), label)
    return _validate(_loads(source, name), name)


def load_presets(directory: Path | None = None) -> list[Preset]:
    """The shipped presets in file-name order (files are numbered in the reference's order).
    A bad shipped file is a bug, so it raises; ids must be unique."""
    directory = directory or presets_dir()
    if not directory.is_dir():
        raise PresetError(str(directory), ["the presets folder does not exist; set SOP_PRESETS_DIR to it"])
    out: list[Preset] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.json")):
        preset = load_preset_file(path)
        if preset.id in seen:
            raise PresetError(_label(path), [f"field `id` {preset.id!r} is already used by {seen[preset.id]}"], "id")
        seen[preset.id] = _label(path)
        out.append(preset)
    return out


def load_user_presets(directory: Path | None = None) -> tuple[list[Preset], list[PresetError]]:
    """The user's saved presets and, separately, the files that failed (one bad file must not hide
    the others)."""
    directory = directory or user_presets_dir()
    presets: list[Preset] = []
    errors: list[PresetError] = []
    if not directory.is_dir():
        return presets, errors
    for path in sorted(directory.glob("*.json")):
        try:
            p = load_preset_file(path)
        except PresetError as e:
            errors.append(e)
            continue
        p.origin = "user"
        presets.append(p)
    return presets, errors


def get_preset(preset_id: str, form: str | None = None) -> Preset:
    """A shipped example by id, or one of its forms (``form``, or ``"<id>/<form>"``). A form's former
    id (when it was a preset of its own) finds that form."""
    if "/" in preset_id and form is None:
        preset_id, form = preset_id.split("/", 1)
    presets = load_presets()
    for p in presets:
        if p.id == preset_id:
            return p.variant(form) if form else p
    for p in presets:
        for f in p.forms:
            if f.former_id == preset_id:
                return p.variant(f.id)
    raise KeyError(f"no shipped preset with id {preset_id!r}")


def sections(presets: list[Preset]) -> list[str]:
    """The reference sections the presets come from, in the order they first appear (the reference's)."""
    return list(dict.fromkeys(p.section for p in presets))


def filter_presets(presets: list[Preset], query: str = "", *, mode: str | None = None,
                   section: str | None = None) -> list[Preset]:
    """The presets page's browse and search: every word of ``query`` must appear (any case) in the
    title, description, section, source, model, tags or prompts; ``mode``/``section`` narrow further."""
    words = query.lower().split()
    out = []
    for p in presets:
        forms = p.variants()
        if (mode and all(f.mode != mode for f in forms)) or (section and p.section != section):
            continue
        hay = " ".join(x for f in forms for x in [f.id, f.title, f.description, f.section, f.source, f.model, f.mode,
                                                   *f.tags, f.system_prompt, f.user_text,
                                                   *((f.form.label, f.form.note) if f.form else ())]).lower()
        if all(w in hay for w in words):
            out.append(p)
    return out


# ---------------------------------------------------------------- Request <-> preset

def preset_to_request(preset: Preset, endpoint: str = "local", custom_base_url: str = "") -> Request:
    """The preset's first call as a ``Request`` for ``endpoint``, images loaded from assets."""
    return preset.to_request(endpoint, custom_base_url)


def followup_request(preset: Preset, index: int, previous_content: str, endpoint: str = "local",
                     custom_base_url: str = "") -> Request:
    """Follow-up ``index`` as a ``Request``, with ``{previous_content}`` filled in."""
    step = preset.followups[index]
    req = step.to_request(endpoint, custom_base_url)
    req.user_text = req.user_text.replace(PREVIOUS_CONTENT, previous_content)
    req.system_prompt = req.system_prompt.replace(PREVIOUS_CONTENT, previous_content)
    return req


def followup_needed(step: FollowUp, previous: RunResult) -> bool:
    """Whether the reference would run ``step`` after ``previous`` (the FAQ repairs only non-JSON)."""
    if step.run_if == "always":
        return True
    return previous.error is None and not (previous.parse is not None and previous.parse.ok)


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return (slug or "preset")[:56].rstrip("-")


def _image_ref(img: ImageInput) -> ImageRef:
    if img.data is not None:
        asset = assets_dir() / img.name if img.name and re.fullmatch(ASSET_NAME_PATTERN, img.name) else None
        if asset is not None and asset.is_file() and asset.read_bytes() == img.data:
            return ImageRef(asset=img.name)  # a shipped asset stays a reference, not a copy
        return ImageRef(data_b64=base64.b64encode(img.data).decode("ascii"), mime=img.mime, name=img.name)
    return ImageRef(url=img.url, name=img.name)


def _video_ref(video: VideoInput, source: str) -> VideoRef:
    """The playground's video as a preset keeps it: a shipped clip as its name (when sampling it again at
    the same rate gives the same frames), a URL as the URL, and any other clip as its frames, within
    ``max_preset_video_bytes``; over it, a PresetError that says what to change."""
    if video.url:
        return VideoRef(url=video.url, name=video.name, fps=video.fps)
    asset = assets_dir() / video.name if video.name and re.fullmatch(ASSET_NAME_PATTERN, video.name) else None
    if asset is not None and asset.is_file():
        try:
            again = VideoRef(asset=video.name, fps=video.fps).to_input()
        except ValueError:
            again = None
        if again is not None and [f.data for f in again.frames] == [f.data for f in video.frames]:
            return VideoRef(asset=video.name, fps=video.fps)
    total = sum(len(f.data or b"") for f in video.frames)
    limit = max_preset_video_bytes()
    if total > limit:
        raise PresetError(source, [f"the video's {len(video.frames)} frames take {total / 1e6:.1f} MB; a preset keeps "
                                   f"at most {limit / 1e6:.0f} MB of frames. Lower the sampling rate (now "
                                   f"{video.fps:g} fps) or upload a shorter clip, then save again; or remove the "
                                   "video to save the rest."], "video")
    frames = [FrameRef(data_b64=base64.b64encode(f.data or b"").decode("ascii"), mime=f.mime, t=t)
              for f, t in zip(video.frames, video.times, strict=True)]
    return VideoRef(frames=frames, name=video.name, duration_s=video.duration_s, fps=video.fps)


def request_to_preset(req: Request, title: str, *, preset_id: str | None = None, section: str = "My presets",
                      description: str = "", documented: Documented | None = None,
                      expect: Expectation | None = None, call: Literal["create", "parse"] = "create") -> Preset:
    """A user preset from the playground's current ``Request``. The endpoint (and any custom URL)
    is left out: a preset is endpoint-independent. ``Request`` carries no key, so neither does this."""
    if expect is None:
        expect = Expectation(outcome={"json_schema": "valid", "json_object": "json"}.get(req.mode, "text"))
    schema: Any = None
    if req.schema_text.strip():
        parsed = req.schema()
        schema = parsed if parsed is not None else req.schema_text
    data: dict[str, Any] = {
        "id": preset_id or f"user-{slugify(title)}", "title": title.strip() or "Untitled", "section": section,
        "description": description, "protocol": req.protocol, "call": call, "model": req.model, "mode": req.mode,
        "system_prompt": req.system_prompt, "user_text": req.user_text,
        "images": [_image_ref(i).model_dump(exclude_none=True) for i in req.images],
        "schema_name": req.schema_name, "strict": req.strict, "schema": schema,
        "temperature": req.temperature, "max_tokens": req.max_tokens, "enable_thinking": req.enable_thinking,
        "stream": req.stream, "logprobs": req.logprobs, "expect": expect.model_dump(exclude_none=True),
    }
    if req.video is not None:
        ref = _video_ref(req.video, title or "preset")
        data["video"] = ref.model_dump(mode="json", exclude_none=True, exclude_defaults=True) | {"fps": ref.fps}
    if documented is not None:
        data["documented"] = documented.model_dump()
    preset = _validate(data, title or "preset")
    preset.origin = "user"
    return preset


# ---------------------------------------------------------------- saving, export, import

def save_user_preset(preset: Preset, directory: Path | None = None) -> Path:
    """Write ``preset`` as ``<id>.json`` in the user folder (atomically; replaces one with that id)."""
    directory = directory or user_presets_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{preset.id}.json"
    fd, tmp = tempfile.mkstemp(prefix=f".{preset.id}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(preset.to_json(embed_assets=False))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def delete_user_preset(preset_id: str, directory: Path | None = None) -> bool:
    if not re.fullmatch(ID_PATTERN, preset_id):
        return False
    path = (directory or user_presets_dir()) / f"{preset_id}.json"
    if path.is_file():
        path.unlink()
        return True
    return False


def export_preset(preset: Preset) -> bytes:
    """A self-contained file to share: shipped asset images are embedded as base64."""
    return preset.to_json(embed_assets=True).encode("utf-8")


def export_presets(presets: list[Preset]) -> bytes:
    """Several presets as one JSON array."""
    items = [json.loads(p.to_json(embed_assets=True)) for p in presets]
    return (json.dumps(items, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def import_presets(data: bytes, name: str = "upload.json") -> list[Preset]:
    """Presets from an uploaded file (one preset object, or an array of them). Parsed as data only
    and size-limited; every preset is validated and errors name the item and field."""
    raw = _loads(data, name)
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise PresetError(name, ["the file holds an empty list"])
    out = []
    for i, item in enumerate(items):
        preset = _validate(item, f"{name}[{i}]" if isinstance(raw, list) else name)
        preset.origin = "user"
        out.append(preset)
    return out


# ---------------------------------------------------------------- did the run do what the docs say?

def outcome_problems(expect: Expectation, result: RunResult) -> list[str]:
    """What differs between the expected kind of outcome and ``result``; empty when it matches."""
    err: CallError | None = result.error
    if expect.outcome == "error":
        if err is None:
            return [f"expected an error, got a {result.verdict} answer"]
        out = []
        if expect.error_text and err.message.strip() != expect.error_text:
            out.append(f"expected the error {expect.error_text!r}, got {err.message!r}")
        if expect.error_contains and expect.error_contains.lower() not in err.message.lower():
            out.append(f"expected an error mentioning {expect.error_contains!r}, got {err.message!r}")
        if expect.status is not None and err.status != expect.status:
            out.append(f"expected HTTP {expect.status}, got {err.status}")
        return out
    if err is not None:
        return [f"expected a {expect.outcome} answer, got an error: {err}"]
    if expect.outcome == "truncated":
        out = [] if result.truncated else [f"expected finish_reason length, got {result.finish_reason!r}"]
        if result.parse is not None and result.parse.ok:
            out.append("expected cut-off JSON, but the content parses")
        return out
    if expect.outcome == "text":
        return [] if (result.content or "").strip() else ["expected some text, got an empty answer"]
    if result.parse is None or not result.parse.ok:
        why = result.parse.error if result.parse is not None else "no content"
        return [f"expected JSON, but the content does not parse ({why}); finish_reason {result.finish_reason!r}"]
    if expect.outcome == "valid":
        v = result.validation
        if v is None or not v.checked:
            return [f"expected a schema-valid answer, but it was not checked ({v.note if v else 'no schema'})"]
        return [f"schema violation at {row.path}: {row.message}" for row in v.errors]
    return []
