"""The video goes on the wire as DashScope documents it: on the compatible protocol a ``video`` frame
list (no fps there) or a ``video_url``; on the native protocol ``{"video": [...] | url, "fps": ...}``
through MultiModalConversation; the code export writes the same items and runs as code."""

from __future__ import annotations

import ast
import base64
import io
import re

from PIL import Image

from structured_output import video
from structured_output.export import generate
from structured_output.export.shared import frame_files
from structured_output.request import Request
from structured_output.wire.compatible import openai_kwargs
from structured_output.wire.native import dashscope_kwargs, multimodal


def _frames(n: int = 4, fps: float = 2) -> Request:
    pngs = []
    for i in range(n):
        out = io.BytesIO()
        Image.new("RGB", (32, 24), (i * 40, 0, 0)).save(out, format="PNG")
        pngs.append((out.getvalue(), f"f{i}.png"))
    return Request(model="qwen3-vl-plus", endpoint="intl", user_text="List the events as JSON.",
                   video=video.from_frames(pngs, fps), images=[])


def test_compatible_frames_are_a_video_item_without_fps() -> None:
    req = _frames()
    content = openai_kwargs(req)["messages"][-1]["content"]
    assert content[0]["type"] == "video" and len(content[0]["video"]) == 4
    assert all(u.startswith("data:image/jpeg;base64,") for u in content[0]["video"])
    assert "fps" not in content[0] and content[-1] == {"type": "text", "text": "List the events as JSON."}


def test_compatible_url_is_a_video_url_item() -> None:
    req = Request(video=video.read_url("https://example.com/clip.mp4"), user_text="x")
    assert openai_kwargs(req)["messages"][-1]["content"][0] == {
        "type": "video_url", "video_url": {"url": "https://example.com/clip.mp4"}}


def test_native_frames_carry_fps_and_go_to_multimodal() -> None:
    req = _frames(fps=0.5)
    kw = dashscope_kwargs(req)
    item = kw["messages"][-1]["content"][0]
    assert item["fps"] == 0.5 and len(item["video"]) == 4 and multimodal(req)
    assert "result_format" not in kw  # the multimodal API, as with images
    url = Request(video=video.read_url("https://example.com/clip.mp4"), user_text="x")
    assert dashscope_kwargs(url)["messages"][-1]["content"][0] == {"video": "https://example.com/clip.mp4", "fps": 2.0}


def test_export_writes_the_same_items_and_the_python_parses() -> None:
    req = _frames()
    snippets = {s.kind: s for s in generate(req)}
    for kind in ("python-openai", "python-dashscope"):
        ast.parse(snippets[kind].code)
        assert "glob.glob(\"frames/frame_*.jpg\")" in snippets[kind].code
    assert '{"type": "video", "video": video_frames}' in snippets["python-openai"].code
    assert '{"video": video_frames, "fps": 2.0}' in snippets["python-dashscope"].code
    assert "MultiModalConversation.call" in snippets["python-dashscope"].code
    assert "videoFrames" in snippets["node-openai"].code
    assert re.search(r'"video": \[\$\{VIDEO_FRAMES\}\],\s+"fps": 2.0', snippets["curl-native"].code)
    assert "multimodal-generation" in snippets["curl-native"].code
    assert not snippets["java-dashscope"].runnable
    names = [n for n, _ in frame_files(req)]
    assert names == ["frame_001.jpg", "frame_002.jpg", "frame_003.jpg", "frame_004.jpg"]
    assert base64.b64encode(frame_files(req)[0][1]).decode() in req.video.frame_urls()[0]


def test_export_of_a_video_url_is_inline() -> None:
    req = Request(model="qwen3-vl-plus", endpoint="intl", video=video.read_url("https://example.com/clip.mp4"),
                  user_text="x")
    code = {s.kind: s.code for s in generate(req)}
    assert '"video_url": {"url": "https://example.com/clip.mp4"}' in code["python-openai"]
    assert "glob" not in code["python-openai"] and frame_files(req) == []
