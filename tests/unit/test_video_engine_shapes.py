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
    assert text.splitlines()[1:] == ["At the start: 0 - 0",
                                     "Then, at each time (mm:ss) the text changed, what changed:",
                                     "00:04 1 - 0", "00:06 (no text)", "00:08 1 - 0"]
    assert "5 frames, fps 0.5 as sent" in text.splitlines()[0]


def test_timeline_shows_only_the_lines_that_changed() -> None:
    """A clock that ticks in every frame does not hide the change that matters: each later frame gives
    only its changed lines, so a new score is a short line with its time."""
    board = "LIONS TIGERS\n\n{score}\n\nMINUTE {minute}"
    texts = [board.format(score=s, minute=60 + 2 * i) for i, s in enumerate(["0-0", "0-0", "1-0"])]
    frames = [ImageInput(url="", where="", ocr_text=t) for t in texts]
    lines = video_text(VideoInput(where="v", frames=frames, times=[0, 2, 4], timing="t")).splitlines()
    assert lines[1] == "At the start: LIONS TIGERS · 0-0 · MINUTE 60"
    assert lines[3:] == ["00:02 MINUTE 62", "00:04 1-0 · MINUTE 64"]
    still = [ImageInput(url="", where="", ocr_text="GATE 4")] * 3
    assert video_text(VideoInput(where="v", frames=still, times=[0, 1, 2], timing="t")).endswith(
        "At the start: GATE 4\nThe text does not change.")
