"""Video: the engine takes both documented shapes (a frame list on each protocol; a file URL, which it
cannot fetch offline) through both SDKs. It reads no pixels: each frame's text is read by OCR and
given to the model with the frame's time, and the response says so."""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

import jsonschema
import openai
import pytest

from structured_output import video
from tests.engine.conftest import lower

pytestmark = pytest.mark.engine
CLIP = Path(__file__).resolve().parents[2] / "presets" / "assets" / "scoreboard.mp4"
ASK = ("Extract the events information (array type, including event_time and score) from the video: one event "
       "each time the score changes. Output a JSON object.")
SCHEMA = {"type": "object", "properties": {"events": {"type": "array", "items": {
    "type": "object", "properties": {"event_time": {"type": "string"}, "score": {"type": "string"}},
    "required": ["event_time", "score"], "additionalProperties": False}, "maxItems": 3}},
    "required": ["events"], "additionalProperties": False}
# The catalog's local model takes images and JSON Schema mode; the schema bounds the answer, which keeps
# the test short on a busy machine (no vision model of the reference is listed for JSON Schema mode).
MODEL = "local-gemma3-270m"
FORMAT = {"type": "json_schema", "json_schema": {"name": "events", "schema": SCHEMA}}


@pytest.fixture(scope="module")
def frames() -> list[str]:
    return video.sample(CLIP.read_bytes(), "scoreboard.mp4", 0.5).frame_urls()  # 6 frames, 2 s apart


def _timeline(headers: Any) -> str:
    return urllib.parse.unquote(lower(headers)["x-local-engine-ocr-text"])


def test_frame_list_compatible(oai: openai.OpenAI, frames: list[str]) -> None:
    raw = oai.with_options(timeout=900).chat.completions.with_raw_response.create(
        model=MODEL, messages=[{"role": "user", "content": [{"type": "video", "video": frames},
                                                            {"type": "text", "text": ASK}]}],
        response_format=FORMAT)
    note = raw.headers["x-local-engine-ocr"]
    assert "reads no pixels" in note and "6 video frame(s)" in note and "0.5 s apart" in note
    timeline = _timeline(raw.headers)
    assert timeline.splitlines()[1].startswith("At the start: ")  # the start has no time: it is no change
    # no fps on this protocol: frame i is at i * 0.5 s, as the service takes it; frame 2 (taken at 4 s) is
    # the first to read 1-0, frame 4 (8 s) the first to read 1-1
    assert re.search(r"^00:01 .*\b1 ?- ?0\b", timeline, re.M), timeline
    assert re.search(r"^00:02 .*\b1 ?- ?1\b", timeline, re.M), timeline
    print(raw.parse().choices[0].message.content)
    jsonschema.validate(json.loads(raw.parse().choices[0].message.content), SCHEMA)


def test_frame_list_native_uses_fps(ds: Any, frames: list[str]) -> None:
    r = ds.MultiModalConversation.call(
        api_key="sk-local", model=MODEL, request_timeout=900,
        messages=[{"role": "user", "content": [{"video": frames, "fps": 0.5}, {"text": ASK}]}],
        response_format=FORMAT)
    assert r.status_code == 200, r.message
    assert "fps 0.5 as sent" in lower(r.headers)["x-local-engine-ocr"]
    timeline = _timeline(r.headers)
    assert re.search(r"^00:04 .*\b1 ?- ?0\b", timeline, re.M), timeline
    assert re.search(r"^00:10 .*\b2 ?- ?1\b", timeline, re.M), timeline
    print(r.output.choices[0].message.content[0]["text"])
    jsonschema.validate(json.loads(r.output.choices[0].message.content[0]["text"]), SCHEMA)


def test_video_url_is_refused_offline_on_both_protocols(oai: openai.OpenAI, ds: Any) -> None:
    url = "https://example.com/match.mp4"
    with pytest.raises(openai.BadRequestError, match="cannot download the video") as info:
        oai.chat.completions.create(model="qwen3-vl-plus", messages=[{"role": "user", "content": [
            {"type": "video_url", "video_url": {"url": url}}, {"type": "text", "text": ASK}]}])
    assert info.value.body["param"] == "messages[0].content[0].video_url.url"
    r = ds.MultiModalConversation.call(api_key="sk-local", model="qwen3-vl-plus", messages=[
        {"role": "user", "content": [{"video": url}, {"text": ASK}]}])
    assert r.status_code == 400 and "cannot download the video" in r.message and "Upload the clip" in r.message


def test_bad_video_shapes_are_named(oai: openai.OpenAI, ds: Any, frames: list[str]) -> None:
    with pytest.raises(openai.BadRequestError, match=r"has 2 frame\(s\); a video takes 4 to 80"):
        oai.chat.completions.create(model="qwen3-vl-plus", messages=[{"role": "user", "content": [
            {"type": "video", "video": frames[:2]}, {"type": "text", "text": ASK}]}])
    with pytest.raises(openai.BadRequestError, match=r"content\[0\]\.video\[1\]"):
        oai.chat.completions.create(model="qwen3-vl-plus", messages=[{"role": "user", "content": [
            {"type": "video", "video": [frames[0], "data:image/png;base64,AAAA", *frames[2:4]]},
            {"type": "text", "text": ASK}]}])
    r = ds.MultiModalConversation.call(api_key="sk-local", model="qwen3-vl-plus", messages=[
        {"role": "user", "content": [{"video": frames[:4], "fps": "fast"}, {"text": ASK}]}])
    assert r.status_code == 400 and "fps must be a number" in r.message
    with pytest.raises(openai.BadRequestError, match="does not take images"):
        oai.chat.completions.create(model="qwen-plus", messages=[{"role": "user", "content": [
            {"type": "video", "video": frames[:4]}, {"type": "text", "text": ASK}]}])
