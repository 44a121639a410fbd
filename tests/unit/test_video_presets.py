"""A saved preset keeps the playground's video: a user's clip as its sampled frames (within the size
limit, with a clear refusal over it), a shipped clip as its name, a URL as the URL; and it loads back
into the same frames and times. Exported files stand alone (a shipped clip's frames go in them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from structured_output import video
from structured_output.presets import (
    PresetError,
    export_preset,
    import_presets,
    load_presets,
    load_user_presets,
    request_to_preset,
    save_user_preset,
)
from structured_output.request import Request

CLIP = Path(__file__).resolve().parents[2] / "presets" / "assets" / "scoreboard.mp4"


def _request(name: str = "my match.mp4", fps: float = 0.5) -> Request:
    return Request(model="qwen3-vl-plus", mode="json_object", protocol="native", user_text="Events in JSON.",
                   video=video.sample(CLIP.read_bytes(), name, fps))


def test_a_users_clip_is_saved_as_its_frames_and_loads_back(tmp_path: Path) -> None:
    req = _request()
    path = save_user_preset(request_to_preset(req, "My match"), tmp_path)
    saved = json.loads(path.read_text())["video"]
    assert len(saved["frames"]) == 6 and saved["fps"] == 0.5 and saved["name"] == "my match.mp4"
    assert [f["t"] for f in saved["frames"]] == req.video.times
    (mine,), errors = load_user_presets(tmp_path)
    assert errors == []
    back = mine.to_request()
    assert back.video is not None and back.video.times == req.video.times and back.video.fps == 0.5
    assert [f.data for f in back.video.frames] == [f.data for f in req.video.frames]
    assert back.video.duration_s == req.video.duration_s and back.video.frames[2].name == "my match.mp4 @ 00:04.0"


def test_a_shipped_clip_stays_a_reference_and_an_export_carries_its_frames() -> None:
    preset = request_to_preset(_request("scoreboard.mp4"), "Scoreboard")
    assert preset.video is not None and preset.video.asset == "scoreboard.mp4" and not preset.video.frames
    shipped = next(p for p in load_presets() if p.id == "video-scoreboard-events")
    exported = json.loads(export_preset(shipped))
    assert "asset" not in exported["video"] and len(exported["video"]["frames"]) == 6
    (back,) = import_presets(json.dumps(exported).encode(), "shared.json")
    assert [f.data for f in back.to_request().video.frames] == [f.data for f in shipped.to_request().video.frames]


def test_a_url_is_saved_as_the_url() -> None:
    req = Request(model="qwen3-vl-plus", mode="json_object", video=video.read_url("https://example.com/m.mp4"))
    preset = request_to_preset(req, "Remote clip")
    assert preset.video is not None and preset.video.url == "https://example.com/m.mp4"
    assert preset.to_request().video.url == "https://example.com/m.mp4"


def test_frames_over_the_limit_are_refused_with_what_to_change(monkeypatch: pytest.MonkeyPatch) -> None:
    req = _request(fps=2)  # 24 frames
    size = sum(len(f.data or b"") for f in req.video.frames)
    import structured_output.presets as presets

    monkeypatch.setattr(presets, "max_preset_video_bytes", lambda: size - 1)
    with pytest.raises(PresetError) as info:
        request_to_preset(req, "Too big")
    message = str(info.value)
    assert "24 frames" in message and "Lower the sampling rate (now 2 fps)" in message and "remove the video" in message
    assert info.value.field == "video"
    # a file that holds more than the limit is refused by name on load too
    monkeypatch.setattr(presets, "max_preset_video_bytes", lambda: 10**9)
    data = json.loads(request_to_preset(req, "Big").to_json())
    monkeypatch.setattr(presets, "max_preset_video_bytes", lambda: size - 1)
    with pytest.raises(PresetError, match=r"video\.frames"):
        import_presets(json.dumps(data).encode(), "big.json")


def test_a_video_needs_exactly_one_source() -> None:
    with pytest.raises(PresetError, match="exactly one of `asset`, `frames` or `url`"):
        import_presets(json.dumps({"format": 1, "id": "x", "title": "x", "model": "qwen3-vl-plus", "mode": "none",
                                   "video": {"fps": 1}}).encode(), "x.json")
