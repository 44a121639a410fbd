"""The engine's video shapes and timeline without the model: both protocols parse to frames with
times (0.5 s apart on the compatible protocol, 1/fps natively), and the prompt's timeline has one
line per change of text."""

from __future__ import annotations

import pytest

from local_engine.chat import ImageInput, VideoInput
from local_engine.errors import EngineError
from local_engine.prompting import video_text
from local_engine.shapes import compatible, native

FRAMES = [f"data:image/jpeg;base64,{i}" for i in range(5)]


def test_compatible_frame_list_is_half_a_second_apart() -> None:
    req = compatible.parse_request({"model": "qwen3-vl-plus", "messages": [{"role": "user", "content": [
        {"type": "video", "video": FRAMES}, {"type": "text", "text": "JSON"}]}]})
    (v,) = req.videos
    assert v.times == [0.0, 0.5, 1.0, 1.5, 2.0] and "0.5 s apart" in v.timing
    assert [f.where for f in v.frames][:2] == ["messages[0].content[0].video[0]", "messages[0].content[0].video[1]"]
    assert len(req.images) == 5  # the frames are read like images


def test_native_frame_list_uses_fps_or_the_default() -> None:
    def parse(item: dict) -> VideoInput:
        body = {"model": "qwen3-vl-plus", "input": {"messages": [{"role": "user", "content": [item, {"text": "x"}]}]}}
        return native.parse_request(body, multimodal=True, stream=False).videos[0]

    assert parse({"video": FRAMES, "fps": 0.5}).times == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert parse({"video": FRAMES}).timing == "fps not sent; 2 assumed"
    assert parse({"video": "https://example.com/a.mp4"}).url == "https://example.com/a.mp4"
    with pytest.raises(EngineError, match="text-generation"):
        native.parse_request({"model": "qwen-plus", "input": {"messages": [{"role": "user", "content": [
            {"video": FRAMES}]}]}}, multimodal=False, stream=False)


def test_timeline_keeps_one_line_per_change() -> None:
    frames = [ImageInput(url="", where="", ocr_text=t) for t in ("0 - 0", "0 - 0", "1 - 0\n", "", "1 - 0")]
    text = video_text(VideoInput(where="v", frames=frames, times=[0, 2, 4, 6, 8], timing="fps 0.5 as sent"))
    assert text.splitlines()[1:] == ["[00:00] 0 - 0", "[00:04] 1 - 0", "[00:06] (no text)", "[00:08] 1 - 0"]
    assert "5 frames, fps 0.5 as sent" in text.splitlines()[0]
