"""What the user asks for: ``Request``, a plain dataclass the pages, presets, batch rows and history
share. What is wrong with it before sending is ``structured_output.lint``; the body each protocol
sends is in ``structured_output.wire``."""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from structured_output import jsontext
from structured_output.catalog import Protocol

Mode = Literal["none", "json_object", "json_schema"]
MODES: tuple[Mode, ...] = ("none", "json_object", "json_schema")
MODE_LABELS: dict[str, str] = {"none": "None (plain text)", "json_object": "JSON Object", "json_schema": "JSON Schema"}

IMAGE_MIME_TYPES = ("image/png", "image/jpeg", "image/webp")
MAX_IMAGE_BYTES = 10 * 1024 * 1024


@dataclass
class ImageInput:
    """An image given either as bytes (uploaded) or as a URL; bytes always travel as a ``data:`` URL."""

    mime: str = "image/png"
    data: bytes | None = None
    url: str | None = None
    name: str = ""

    def to_url(self) -> str:
        if self.data is not None:
            return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"
        return self.url or ""


@dataclass
class VideoInput:
    """A video as frames sampled from it (``frames[i]`` shown at ``times[i]`` seconds), or as a URL the
    server fetches itself. ``fps`` is the sampling rate, sent as the native ``fps`` of a frame list."""

    frames: list[ImageInput] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    fps: float = 2.0
    url: str | None = None
    name: str = ""
    duration_s: float | None = None

    def frame_urls(self) -> list[str]:
        return [f.to_url() for f in self.frames]

    def to_dict(self) -> dict[str, Any]:
        return {"frames": [_image_dict(f) for f in self.frames], "times": list(self.times), "fps": self.fps,
                "url": self.url, "name": self.name, "duration_s": self.duration_s}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VideoInput:
        return cls(frames=[_image_from(f) for f in d.get("frames") or []], times=list(d.get("times") or []),
                   fps=float(d.get("fps") or 2.0), url=d.get("url"), name=d.get("name", ""),
                   duration_s=d.get("duration_s"))


def _image_dict(i: ImageInput) -> dict[str, Any]:
    return {"mime": i.mime, "name": i.name, "url": i.url,
            "data_b64": base64.b64encode(i.data).decode("ascii") if i.data is not None else None}


def _image_from(i: dict[str, Any]) -> ImageInput:
    return ImageInput(mime=i.get("mime", "image/png"), name=i.get("name", ""), url=i.get("url"),
                      data=base64.b64decode(i["data_b64"]) if i.get("data_b64") else None)


@dataclass
class Request:
    """Everything one run needs. A plain dataclass so the UI, presets and batch rows share it."""

    model: str = "qwen-flash"
    endpoint: str = "local"
    protocol: Protocol = "compatible"
    mode: Mode = "json_object"
    system_prompt: str = ""
    user_text: str = ""
    images: list[ImageInput] = field(default_factory=list)
    video: VideoInput | None = None
    schema_name: str = "user_info"
    strict: bool = True
    schema_text: str = ""
    temperature: float | None = None
    max_tokens: int | None = None
    enable_thinking: bool | None = None
    stream: bool = False
    custom_base_url: str = ""
    logprobs: bool = False  # the token view: ask for token log probabilities (sent only when on)
    # Turns sent after the user message, oldest first, as {"role": "assistant" | "user", "content": text}: the
    # earlier answer and the errors sent back by a retry on validation failure (``runs.retries``).
    followups: list[dict[str, str]] = field(default_factory=list)
    # JSON Object and plain mode: check the answer against the editor's schema (never sent in those modes).
    # JSON Schema mode always checks against the schema it sent.
    validate_schema: bool = True

    def validation_schema(self) -> dict[str, Any] | None:
        """The schema the answer is checked against: the sent one, or the editor's when the user chose it."""
        return self.schema() if self.mode == "json_schema" or self.validate_schema else None

    def schema(self) -> dict[str, Any] | None:
        """The parsed schema, or None when it is empty or not JSON (``lint`` says why)."""
        if not self.schema_text.strip():
            return None
        try:
            value = jsontext.loads(self.schema_text)
        except jsontext.JSONTextError:
            return None
        return value if isinstance(value, dict) else None

    def response_format(self) -> dict[str, Any] | None:
        if self.mode == "json_object":
            return {"type": "json_object"}
        if self.mode == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {"name": self.schema_name or "schema", "strict": self.strict,
                                "schema": self.schema() or {}},
            }
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe copy (image bytes as base64) for history and presets."""
        d = asdict(self)
        d["images"] = [_image_dict(i) for i in self.images]
        d["video"] = self.video.to_dict() if self.video is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Request:
        d = dict(d)
        images = [_image_from(i) for i in d.pop("images", []) or []]
        video = d.pop("video", None)
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(images=images, video=VideoInput.from_dict(video) if video else None, **known)
