"""What every language's snippet shares: the ``Snippet`` itself, how images appear in code (inline
or read from a file), the messages in the compatible and native shapes, the endpoint's base URLs,
the key comment and call arguments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from structured_output.catalog import load_catalog
from structured_output.export.literals import _key, _Var, literal
from structured_output.request import ImageInput, Request

KEY_ENV = "DASHSCOPE_API_KEY"
INLINE_DATA_URL_MAX = 2048  # characters of a data: URL still readable inline
_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


@dataclass(frozen=True)
class Snippet:
    """One piece of code. ``kind`` is a stable id (``python-openai``, ``curl-native``, …) for tests
    and widget keys; ``runnable`` is False for an explanatory note that is not a program."""

    language: str  # for syntax highlighting: python, javascript, bash, java
    label: str
    code: str
    filename: str
    kind: str = ""
    runnable: bool = True


@dataclass(frozen=True)
class _ImageSlot:
    """How one image appears in code: inline URL, or a variable filled from a file path."""

    var: str  # the variable holding the URL ("" when inline)
    url: str  # the inline URL ("" when read from a file)
    path: str  # the file to read ("" when inline)
    mime: str

    @property
    def value(self) -> str | _Var:
        return _Var(self.var) if self.var else self.url


# ---------------------------------------------------------------- images

def _slots(req: Request, image_paths: list[str] | None) -> list[_ImageSlot]:
    slots = []
    many = len(req.images) > 1
    for i, img in enumerate(req.images, 1):
        var = f"image_url_{i}" if many else "image_url"
        if img.data is None:
            slots.append(_ImageSlot("", img.url or "", "", img.mime))
            continue
        url = img.to_url()
        if len(url) <= INLINE_DATA_URL_MAX:
            slots.append(_ImageSlot("", url, "", img.mime))
            continue
        path = image_paths[i - 1] if image_paths and len(image_paths) >= i else _default_name(img, i)
        slots.append(_ImageSlot(var, "", path, img.mime))
    return slots


def _default_name(img: ImageInput, i: int) -> str:
    name = (img.name or "").strip()
    if name and re.fullmatch(r"[\w.\- ]+", name):
        return name
    return f"image{i}.{_EXT.get(img.mime, 'png')}"


def _path_var(slot: _ImageSlot) -> str:
    return "IMAGE_PATH" if slot.var == "image_url" else slot.var.replace("image_url", "IMAGE_PATH").upper()


# ---------------------------------------------------------------- video

VIDEO_VAR = "video_frames"
FRAMES_GLOB = "frames/frame_*.jpg"


def has_frames(req: Request) -> bool:
    """A video sent as frames, which the snippet reads from files (a URL is written inline)."""
    return req.video is not None and not req.video.url and bool(req.video.frames)


def multimodal(req: Request, slots: list[_ImageSlot]) -> bool:
    return bool(slots) or req.video is not None


def frames_comment(req: Request, prefix: str) -> str:
    """What the frame files are, for the snippets that read them."""
    v = req.video
    assert v is not None
    return (f"{prefix} The video is sent as its {len(v.frames)} frames, sampled at {v.fps:g} fps (the playground's\n"
            f"{prefix} \"Frames\" download: frame_001.jpg, ...), each read from a file and sent as a data: URL.\n")


def _video_value(req: Request, var: str) -> str | _Var:
    assert req.video is not None
    return req.video.url if req.video.url else _Var(var)


# ---------------------------------------------------------------- messages in each shape

def _compatible_messages(req: Request, slots: list[_ImageSlot], video_var: str = VIDEO_VAR) -> list[dict[str, Any]]:
    msgs: list[dict[str, Any]] = []
    if req.system_prompt:
        msgs.append({"role": "system", "content": req.system_prompt})
    if slots or req.video:
        parts: list[dict[str, Any]] = []
        if req.video is not None:  # no fps on this protocol: the service takes frames as 0.5 s apart
            value = _video_value(req, video_var)
            parts.append({"type": "video_url", "video_url": {"url": value}} if req.video.url
                         else {"type": "video", "video": value})
        parts += [{"type": "image_url", "image_url": {"url": s.value}} for s in slots]
        parts.append({"type": "text", "text": req.user_text})
        msgs.append({"role": "user", "content": parts})
    else:
        msgs.append({"role": "user", "content": req.user_text})
    return msgs


def _native_messages(req: Request, slots: list[_ImageSlot], video_var: str = VIDEO_VAR) -> list[dict[str, Any]]:
    if not multimodal(req, slots):
        return _compatible_messages(req, slots)
    msgs: list[dict[str, Any]] = []
    if req.system_prompt:
        msgs.append({"role": "system", "content": [{"text": req.system_prompt}]})
    content: list[dict[str, Any]] = []
    if req.video is not None:
        content.append({"video": _video_value(req, video_var), "fps": req.video.fps})
    content += [{"image": s.value} for s in slots]
    content.append({"text": req.user_text})
    msgs.append({"role": "user", "content": content})
    return msgs


# ---------------------------------------------------------------- resolving the endpoint

def _bases(req: Request, compatible_base_url: str | None, native_base_url: str | None) -> tuple[str, str | None]:
    cat = load_catalog()
    try:
        ep = cat.endpoint(req.endpoint)
    except KeyError:
        ep = cat.endpoint("intl")
    if req.endpoint == "custom":
        compat = compatible_base_url or req.custom_base_url.strip().rstrip("/") or "http://localhost:8000/v1"
        return compat, native_base_url
    compat = compatible_base_url or ep.base_url("compatible") or ""
    native = native_base_url or ep.base_url("native")
    return compat.rstrip("/"), native.rstrip("/") if native else None


def _key_comment(req: Request, prefix: str) -> str:
    if req.endpoint == "local":
        return (f"{prefix} The key comes from the environment, never from the code. The local engine accepts any key:\n"
                f"{prefix}   export {KEY_ENV}=sk-local")
    return (f"{prefix} The key comes from the environment, never from the code: export {KEY_ENV}=sk-...\n"
            f"{prefix} Keys are per region (Singapore, US and Beijing keys are separate).")


def _call_args(pairs: list[tuple[str, Any]], lang: str, level: int = 1) -> str:
    pad = "    " * level
    if lang == "python":
        return "".join(f"{pad}{k}={literal(v, 'python', level)},\n" for k, v in pairs)
    return "".join(f"{pad}{_key(k, 'js')}: {literal(v, 'js', level)},\n" for k, v in pairs)


def frame_files(req: Request) -> list[tuple[str, bytes]]:
    """The frame files the snippets read (``frames/frame_001.jpg``, …), in order."""
    if not has_frames(req):
        return []
    assert req.video is not None
    return [(f"frame_{i:03d}.jpg", f.data or b"") for i, f in enumerate(req.video.frames, 1)]
