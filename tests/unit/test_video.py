"""Video input: sampling a real clip (drawn and encoded by scripts/make_scoreboard.py) at the user's
rate, the documented-or-default limits, and a clear message for each kind of bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from scripts.make_scoreboard import DATA, make
from structured_output import video
from structured_output.request import Request
from structured_output.video import VideoRejected


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = make(json.loads(DATA.read_text()), tmp_path_factory.mktemp("v") / "scoreboard.mp4")
    return out.read_bytes()


def _png(color: str = "white") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, format="PNG")
    return out.getvalue()


def test_a_clip_is_sampled_at_the_rate_with_timestamps(clip: bytes) -> None:
    v = video.sample(clip, "scoreboard.mp4", 1.0)
    assert v.times == [float(i) for i in range(12)]
    assert v.duration_s == pytest.approx(12.0)
    assert all(f.mime == "image/jpeg" and Image.open(io.BytesIO(f.data)).size == (640, 360) for f in v.frames)
    half = video.sample(clip, "scoreboard.mp4", 0.5)
    assert half.times == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert half.fps == 0.5


def test_over_the_frame_limit_says_which_rate_fits(clip: bytes) -> None:
    with pytest.raises(VideoRejected) as e:
        video.sample(clip, "scoreboard.mp4", 10)
    msg = str(e.value)
    assert "120 frames" in msg and f"limit is {video.limits().max_frames}" in msg and "Lower the rate" in msg


def test_too_few_frames_asks_for_a_higher_rate(clip: bytes) -> None:
    with pytest.raises(VideoRejected, match=r"at least 4 frames\. Raise the sampling rate"):
        video.sample(clip, "scoreboard.mp4", 0.2)


@pytest.mark.parametrize("data, needle", [
    (b"", "empty"),
    (b"hello, this is a text file and not a video at all" * 20, "not a video PyAV can read"),
    (_png(), "is a still picture \\(png\\), not a video. Add it as an image"),
])
def test_not_a_video_is_refused_by_name(data: bytes, needle: str) -> None:
    with pytest.raises(VideoRejected, match=needle) as e:
        video.sample(data, "notes.mp4", 1)
    assert "notes.mp4" in str(e.value)


def test_a_truncated_clip_is_refused_or_sampled_but_never_raises_anything_else(clip: bytes) -> None:
    try:
        v = video.sample(clip[: len(clip) // 3], "cut.mp4", 1)
    except VideoRejected as e:
        assert "cut.mp4" in str(e)
    else:
        assert len(v.frames) >= video.limits().min_frames


def test_the_rate_must_be_in_range() -> None:
    for bad in (0, -1, 11, float("nan")):
        with pytest.raises(VideoRejected, match="sampling rate"):
            video.check_fps(bad)


def test_frames_list_gets_times_from_the_rate_and_bad_frames_are_named() -> None:
    v = video.from_frames([(_png(), f"f{i}.png") for i in range(5)], 2)
    assert v.times == [0.0, 0.5, 1.0, 1.5, 2.0] and len(v.frame_urls()) == 5
    with pytest.raises(VideoRejected, match="at least 4"):
        video.from_frames([(_png(), "a.png")], 2)
    with pytest.raises(VideoRejected, match=r"Frame 3: b\.png"):
        video.from_frames([(_png(), "a.png")] * 2 + [(b"nope", "b.png"), (_png(), "c.png")], 2)


def test_url_shape_is_checked() -> None:
    assert video.read_url(" https://example.com/a/clip.mp4 ").name == "clip.mp4"
    for bad in ("", "clip.mp4", "ftp://example.com/x.mp4"):
        with pytest.raises(VideoRejected):
            video.read_url(bad)


def test_request_with_video_survives_history(clip: bytes) -> None:
    req = Request(video=video.sample(clip, "scoreboard.mp4", 1))
    back = Request.from_dict(json.loads(json.dumps(req.to_dict())))
    assert back.video is not None and back.video.times == req.video.times
    assert back.video.frames[0].data == req.video.frames[0].data
    assert Request.from_dict(Request().to_dict()).video is None


def test_every_limit_says_where_it_comes_from() -> None:
    for name, entry in video.limits().sources.items():
        assert entry["source"].strip(), name
        assert isinstance(entry["confirmed"], bool), name


def test_compatible_times_follow_the_documented_half_second() -> None:
    v = video.from_frames([(_png(), "f.png")] * 4, 1)
    assert video.compatible_times(v) == [0.0, 0.5, 1.0, 1.5]
    assert Path(video.LIMITS_FILE).exists()
