"""Turn a clip, a list of frames or a URL into a ``VideoInput``, or refuse it with a message that names
the problem and the fix.

Model Studio takes a video as an image list (frames the caller sampled) or as a file URL it fetches.
An uploaded clip is decoded here with PyAV (its wheel ships FFmpeg: nothing is downloaded at run time)
and sampled at the rate the user sets; only the frames are sent. The limits come from
``data/video_limits.json``, each with where it comes from.
"""

from __future__ import annotations

import io
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import av
from PIL import Image

from structured_output.images import ImageRejected, read_upload, size_text
from structured_output.request import ImageInput, VideoInput

LIMITS_FILE = Path(__file__).parent / "data" / "video_limits.json"
UPLOAD_EXTENSIONS = ("mp4", "webm", "mov")


class VideoRejected(ValueError):
    """A video the playground will not send; ``str(e)`` is the message for the user."""


@dataclass(frozen=True)
class Limits:
    fps_default: float
    fps_min: float
    fps_max: float
    min_frames: int
    max_frames: int
    max_upload_bytes: int
    max_frame_edge_px: int
    compatible_interval_s: float
    url_formats: tuple[str, ...]
    sources: dict[str, dict[str, Any]]
    max_preset_frames_bytes: int = 8_000_000


@lru_cache(maxsize=1)
def limits() -> Limits:
    raw = json.loads(LIMITS_FILE.read_text(encoding="utf-8"))
    v = {k: d["value"] for k, d in raw.items() if isinstance(d, dict)}
    return Limits(float(v["fps_default"]), float(v["fps_min"]), float(v["fps_max"]), int(v["min_frames"]),
                  int(v["max_frames"]), int(v["max_upload_bytes"]), int(v["max_frame_edge_px"]),
                  float(v["compatible_assumed_interval_s"]), tuple(v["url_formats"]),
                  {k: d for k, d in raw.items() if isinstance(d, dict)}, int(v["max_preset_frames_bytes"]))


def timestamp(seconds: float) -> str:
    """``01:04.5``: minutes, seconds and tenths, as the filmstrip and the engine write times."""
    whole = int(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}.{round((seconds - whole) * 10) % 10}"


def check_fps(fps: float) -> float:
    lim = limits()
    if not isinstance(fps, (int, float)) or math.isnan(fps) or not lim.fps_min <= fps <= lim.fps_max:
        raise VideoRejected(f"The sampling rate {fps!r} frames per second is outside {lim.fps_min:g}–"
                            f"{lim.fps_max:g}; choose a rate in that range.")
    return float(fps)


def _check_count(n: int, label: str, duration: float | None, fps: float) -> None:
    lim = limits()
    if n > lim.max_frames:
        longest = f"; at {fps:g} fps at most {lim.max_frames / fps:.0f} s of video fit" if fps else ""
        lower = f" Lower the rate to {lim.max_frames / duration:.2g} fps or less," if duration else ""
        raise VideoRejected(f"{label} gives {n} frames; the limit is {lim.max_frames} frames per video{longest}."
                            f"{lower} or trim the clip.")
    if n < lim.min_frames:
        raise VideoRejected(f"{label} gives {n} frame(s); a video needs at least {lim.min_frames} frames. "
                            + ("Raise the sampling rate, or use a longer clip." if duration else
                               "Add more frames, or send a single picture as an image instead."))


def _frame_jpeg(img: Image.Image) -> bytes:
    edge = limits().max_frame_edge_px
    img = img.convert("RGB")
    if max(img.size) > edge:
        img.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90)
    return out.getvalue()


def sample(data: bytes, name: str, fps: float) -> VideoInput:
    """Decode ``data`` (MP4, WebM, MOV, …) and keep one frame every ``1/fps`` seconds, with its time."""
    label = name or "The file"
    lim = limits()
    fps = check_fps(fps)
    if not data:
        raise VideoRejected(f"{label} is empty (0 bytes).")
    if len(data) > lim.max_upload_bytes:
        raise VideoRejected(f"{label} is {size_text(len(data))}; the limit is {size_text(lim.max_upload_bytes)} per "
                            "clip. Trim or compress it, or give its URL instead.")
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except av.error.InvalidDataError:
        raise VideoRejected(f"{label} is not a video PyAV can read: the file is damaged or not an MP4, WebM or "
                            "MOV clip at all.") from None
    except (av.error.FFmpegError, OSError, ValueError) as e:
        raise VideoRejected(f"{label} cannot be opened as a video ({e}).") from None
    with container:
        if not container.streams.video:
            raise VideoRejected(f"{label} holds no video stream (audio only?). Upload a clip with pictures.")
        if container.format.name.endswith("_pipe") or container.format.name == "image2":
            raise VideoRejected(f"{label} is a still picture ({container.format.name.removesuffix('_pipe')}), not a "
                                "video. Add it as an image instead, or give a video as a list of frames.")
        stream = container.streams.video[0]
        codec = stream.codec_context.name if stream.codec_context else "unknown"
        duration = _duration(container, stream)
        if duration is not None:
            _check_count(_expected(duration, fps), f"{label} ({duration:.1f} s at {fps:g} fps)", duration, fps)
        frames: list[ImageInput] = []
        times: list[float] = []
        next_t = 0.0
        try:
            for frame in container.decode(stream):
                t = float(frame.time) if frame.time is not None else len(times) / fps
                if t + 1e-6 < next_t:
                    continue
                if len(frames) >= lim.max_frames:
                    _check_count(len(frames) + 1, f"{label} at {fps:g} fps", duration, fps)
                frames.append(ImageInput(mime="image/jpeg", data=_frame_jpeg(frame.to_image()),
                                         name=f"{name or 'video'} @ {timestamp(t)}"))
                times.append(round(t, 3))
                next_t = (math.floor(t * fps + 1e-6) + 1) / fps
        except av.error.FFmpegError as e:
            if not frames:
                raise VideoRejected(f"{label}: its {codec} video cannot be decoded ({e}). Re-encode it as H.264 "
                                    "MP4 or VP9 WebM and upload it again.") from None
            raise VideoRejected(f"{label} is damaged after {timestamp(times[-1])} ({e}). Re-encode or trim it.") \
                from None
    if not frames:
        raise VideoRejected(f"{label}: no frame of its {codec} video could be decoded. Re-encode it as H.264 MP4 "
                            "or VP9 WebM and upload it again.")
    _check_count(len(frames), f"{label} at {fps:g} fps", duration, fps)
    return VideoInput(frames=frames, times=times, fps=fps, name=name, duration_s=duration)


def _duration(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _expected(duration: float, fps: float) -> int:
    return max(1, math.floor(duration * fps + 1e-6) + (0 if (duration * fps) % 1 < 1e-6 else 1))


def from_frames(files: list[tuple[bytes, str]], fps: float) -> VideoInput:
    """A video given as its frames (images in order), taken ``1/fps`` seconds apart; sent as JPEG like
    the frames of a clip, so every frame list looks the same on the wire and in exported code."""
    fps = check_fps(fps)
    _check_count(len(files), f"The {len(files)} frame(s) given", None, fps)
    frames: list[ImageInput] = []
    for i, (data, name) in enumerate(files):
        try:
            img = read_upload(data, name)
        except ImageRejected as e:
            raise VideoRejected(f"Frame {i + 1}: {e}") from None
        with Image.open(io.BytesIO(img.data or b"")) as picture:
            frames.append(ImageInput(mime="image/jpeg", data=_frame_jpeg(picture), name=name))
    return VideoInput(frames=frames, times=[round(i / fps, 3) for i in range(len(frames))], fps=fps,
                      name=f"{len(frames)} frames", duration_s=len(frames) / fps)


_URL = re.compile(r"^https?://[^\s/]+\.[^\s/]+(/\S*)?$|^https?://(localhost|\d{1,3}(\.\d{1,3}){3})(:\d+)?(/\S*)?$")


def read_url(url: str) -> VideoInput:
    """A video file given by URL: the service fetches and samples it, so only its shape is checked here."""
    url = url.strip()
    if not url:
        raise VideoRejected("The video URL is empty.")
    if not _URL.match(url):
        raise VideoRejected(f"{url[:80]!r} is not a full http(s) URL; give one such as "
                            "https://example.com/clip.mp4, or upload the clip.")
    return VideoInput(url=url, name=url.rsplit("/", 1)[-1][:60] or url, fps=limits().fps_default)


def compatible_times(video: VideoInput) -> list[float]:
    """The times the service assumes for a frame list on the OpenAI-compatible protocol (no fps there)."""
    step = limits().compatible_interval_s
    return [round(i * step, 3) for i in range(len(video.frames))]
