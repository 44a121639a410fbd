"""The protocol-neutral request the engine works on. Both protocols are parsed into a ``ChatRequest``
so that the documented rules, the prompt and the decoding never need to know which wire shape the
client used."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from local_engine.logprobs import TokenLogprob

Mode = Literal["none", "json_object", "json_schema"]
Protocol = Literal["compatible", "native"]


@dataclass
class ImageInput:
    """An image as the client sent it; ``url`` is a ``data:`` URL once the rules have accepted it."""

    url: str
    where: str  # the field path, for error messages, e.g. "messages[1].content[0].image_url"
    ocr_text: str | None = None  # filled in by the OCR step


@dataclass
class VideoInput:
    """A video as the client sent it: frames (each an image, shown at ``times[i]`` seconds), or a file
    URL, which the engine cannot fetch offline. ``timing`` says where the times come from."""

    where: str
    frames: list[ImageInput] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    timing: str = ""
    url: str | None = None


@dataclass
class Part:
    """One piece of a message: text, an image or a video (whose OCR text is added later)."""

    text: str | None = None
    image: ImageInput | None = None
    video: VideoInput | None = None


@dataclass
class Message:
    role: str
    parts: list[Part]

    @property
    def text(self) -> str:
        """The message's own text (not OCR text), which is what the JSON keyword rule looks at."""
        return "\n".join(p.text for p in self.parts if p.text)

    @property
    def images(self) -> list[ImageInput]:
        """Every picture to read: the images and each video's frames."""
        out: list[ImageInput] = []
        for p in self.parts:
            if p.image is not None:
                out.append(p.image)
            elif p.video is not None:
                out += p.video.frames
        return out

    @property
    def videos(self) -> list[VideoInput]:
        return [p.video for p in self.parts if p.video is not None]


@dataclass
class ChatRequest:
    protocol: Protocol
    model: str
    messages: list[Message]
    mode: Mode = "none"
    schema: dict[str, Any] | None = None
    schema_name: str | None = None
    max_tokens: int | None = None
    min_tokens: int | None = None  # vLLM's extension: no end before this many tokens (plain mode only)
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    seed: int | None = None
    stop: list[str] = field(default_factory=list)
    repetition_penalty: float | None = None
    presence_penalty: float | None = None
    enable_thinking: bool | None = None
    stream: bool = False
    include_usage: bool = False  # OpenAI stream_options.include_usage
    incremental_output: bool = False  # native streaming: deltas (True) or the text so far (False)
    result_format: Literal["message", "text"] = "message"  # native only
    multimodal: bool = False  # native multimodal endpoint: content comes back as [{"text": ...}]
    logprobs: bool = False  # token log probabilities (and, under a grammar, what its mask did)
    top_logprobs: int = 0  # alternatives per token
    # JSON Schema keywords the grammar cannot enforce: ignored and reported ("lenient") or refused ("strict")
    keyword_enforcement: Literal["lenient", "strict"] = "lenient"

    @property
    def images(self) -> list[ImageInput]:
        return [img for m in self.messages for img in m.images]

    @property
    def videos(self) -> list[VideoInput]:
        return [v for m in self.messages for v in m.videos]


FinishReason = Literal["stop", "length"]


@dataclass
class Completion:
    """What one generation produced, before it is put into a protocol's shape."""

    text: str
    finish_reason: FinishReason
    prompt_tokens: int
    completion_tokens: int
    tokens: list[TokenLogprob] | None = None  # with logprobs: one per token of the text

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens
