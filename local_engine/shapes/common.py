"""Pieces both protocols share: ``response_format`` (the same object on both wires) and ids."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from local_engine.chat import ImageInput, Mode, VideoInput
from local_engine.enforcement import ENFORCEMENT_PARAM
from local_engine.errors import bad_request
from local_engine.shapes.fields import get_obj, get_str, type_name


def parse_response_format(value: Any, where: str) -> tuple[Mode, dict[str, Any] | None, str | None]:
    """``(mode, schema, schema name)`` from a ``response_format`` value.

    ``{"type": "text"}`` and an absent value mean no constraint.
    """
    if value is None:
        return "none", None, None
    if not isinstance(value, dict):
        raise bad_request(f"`{where}` must be an object such as {{\"type\": \"json_object\"}}, "
                          f"not {type_name(value)}.", where)
    kind = get_str(value, "type", f"{where}.type", required=True)
    if kind == "text":
        return "none", None, None
    if kind == "json_object":
        return "json_object", None, None
    if kind == "json_schema":
        spec = get_obj(value, "json_schema", f"{where}.json_schema", required=True)
        assert spec is not None
        name = get_str(spec, "name", f"{where}.json_schema.name")
        if "schema" not in spec or spec["schema"] is None:
            raise bad_request(f"`{where}.json_schema.schema` is required: put the JSON Schema the answer must "
                              "follow there.", f"{where}.json_schema.schema")
        schema = spec["schema"]
        if not isinstance(schema, dict):
            raise bad_request(f"`{where}.json_schema.schema` must be a JSON Schema object, not "
                              f"{type_name(schema)}.", f"{where}.json_schema.schema")
        strict = spec.get("strict")
        if strict is not None and not isinstance(strict, bool):
            raise bad_request(f"`{where}.json_schema.strict` must be true or false.", f"{where}.json_schema.strict")
        return "json_schema", schema, name
    raise bad_request(f"`{where}.type` must be \"text\", \"json_object\" or \"json_schema\"; got {kind!r}.",
                      f"{where}.type")


def parse_enforcement(d: dict[str, Any], where: str) -> Literal["lenient", "strict"]:
    """The ``keyword_enforcement`` extension: "lenient" (the default: keywords the grammar cannot enforce
    are ignored while decoding and listed in the answer) or "strict" (such a schema is refused)."""
    value = get_str(d, ENFORCEMENT_PARAM, where)
    if value is None:
        return "lenient"
    if value not in ("lenient", "strict"):
        raise bad_request(f"`{where}` must be \"lenient\" (the default) or \"strict\"; got {value!r}.", where)
    return value  # type: ignore[return-value]


def new_request_id() -> str:
    return str(uuid.uuid4())


def completion_id(request_id: str) -> str:
    return f"chatcmpl-{request_id}"


# The playground's limits (structured_output/data/video_limits.json says where each comes from).
MIN_VIDEO_FRAMES, MAX_VIDEO_FRAMES = 4, 80
COMPATIBLE_FRAME_INTERVAL_S = 0.5  # no fps on the compatible protocol: the service takes frames as 0.5 s apart
NATIVE_DEFAULT_FPS = 2.0


def parse_video(value: Any, where: str, fps: Any = None, *, protocol: str) -> VideoInput:
    """A video item's value: a list of frame URLs (an image list) or one file URL (fetched later, so
    refused offline by ``engine.accept``)."""
    if isinstance(value, str):
        if not value:
            raise bad_request(f"`{where}` is empty: give a list of frame data: URLs.", where)
        return VideoInput(where=where, url=value)
    if not isinstance(value, list) or not value:
        raise bad_request(f"`{where}` must be a list of frame URLs (data:image/jpeg;base64,...) or a video URL, "
                          f"not {type_name(value)}.", where)
    if not MIN_VIDEO_FRAMES <= len(value) <= MAX_VIDEO_FRAMES:
        raise bad_request(f"`{where}` has {len(value)} frame(s); a video takes {MIN_VIDEO_FRAMES} to "
                          f"{MAX_VIDEO_FRAMES} frames. Sample it at a different rate.", where)
    frames = []
    for k, url in enumerate(value):
        if not isinstance(url, str) or not url:
            raise bad_request(f"`{where}[{k}]` must be a frame URL string, not {type_name(url)}.", f"{where}[{k}]")
        frames.append(ImageInput(url=url, where=f"{where}[{k}]"))
    if protocol == "compatible":
        step, timing = COMPATIBLE_FRAME_INTERVAL_S, ("frames taken as 0.5 s apart: the compatible protocol has no "
                                                    "fps, as on the service")
    else:
        if fps is None:
            rate, timing = NATIVE_DEFAULT_FPS, f"fps not sent; {NATIVE_DEFAULT_FPS:g} assumed"
        elif isinstance(fps, bool) or not isinstance(fps, int | float) or not 0 < fps <= 60:
            raise bad_request(f"`{where}`'s fps must be a number of frames per second above 0 (e.g. 2); "
                              f"got {fps!r}.", where)
        else:
            rate, timing = float(fps), f"fps {fps:g} as sent"
        step = 1 / rate
    return VideoInput(where=where, frames=frames, times=[round(i * step, 3) for i in range(len(frames))],
                      timing=timing)
