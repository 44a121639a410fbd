"""The playground's video input through AppTest: the section appears for multimodal models, the
filmstrip shows each sampled frame with its time, the compatible protocol's fixed 0.5 s is said,
a bad URL is refused with the form kept, and a run on the local engine parses."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
from streamlit.testing.v1 import AppTest

from components import state
from structured_output import video
from tests.ui.page_harness import texts, wait_until
from tests.ui.test_playground_apptest import make_app  # noqa: F401  (the fixture)

CLIP = Path(__file__).resolve().parents[2] / "presets" / "assets" / "scoreboard.mp4"
ASK = ("Extract the events information (array type, including event_time and score) from the video: one event "
       "each time the score changes. Output a JSON object.")


def _with_clip(at: AppTest, fps: float = 0.5) -> AppTest:
    at.session_state[state.MODEL] = "qwen3-vl-plus"
    at.session_state[state.VIDEO_CLIP] = (CLIP.read_bytes(), "scoreboard.mp4")
    at.session_state[state.VIDEO] = video.sample(CLIP.read_bytes(), "scoreboard.mp4", fps)
    at.session_state[state.VIDEO_FPS] = fps
    at.run()
    assert not at.exception, at.exception
    return at


def test_video_section_only_for_multimodal_models(make_app: Callable[..., AppTest]) -> None:  # noqa: F811
    at = make_app()
    assert "**Video**" not in [m.value for m in at.markdown]  # qwen-flash takes no video
    at.session_state[state.MODEL] = "qwen3-vl-plus"
    at.run()
    assert "**Video**" in [m.value for m in at.markdown]


def test_filmstrip_shows_frames_with_times_and_the_compatible_interval(make_app: Callable[..., AppTest]) -> None:  # noqa: F811
    at = _with_clip(make_app())
    page = texts(at)
    assert "scoreboard.mp4: 6 frames of 12.0 s at 0.5 fps" in page
    for t in ("00:00.0", "00:02.0", "00:10.0"):
        assert t in page
    assert "taken as 00:01.0" in page  # frame 2 (4 s) is taken as 1 s on the compatible protocol
    assert any("fps cannot be sent" in w.value for w in at.warning)
    assert "reads each frame's text by OCR" in page
    at.session_state[state.PROTOCOL] = "native"
    at.run()
    assert not any("fps cannot be sent" in w.value for w in at.warning)
    # the rate re-samples the kept clip; over the limit is refused and the frames stay
    at.number_input(key=state.VIDEO_FPS).set_value(10).run()
    assert any("120 frames" in e.value for e in at.error)
    assert len(at.session_state[state.VIDEO].frames) == 6


def test_bad_url_is_refused_and_the_form_kept(make_app: Callable[..., AppTest]) -> None:  # noqa: F811
    at = make_app()
    at.session_state[state.MODEL] = "qwen3-vl-plus"
    at.session_state[state.VIDEO_SOURCE] = "url"
    at.run()
    at.text_input(key=state.VIDEO_URL).set_value("clip.mp4").run()
    at.button(key="req.video_url_add").click().run()
    assert "is not a full http(s) URL" in texts(at)
    assert at.text_input(key=state.VIDEO_URL).value == "clip.mp4"


def test_run_with_a_video_on_the_local_engine(make_app: Callable[..., AppTest], local_engine_url: str) -> None:  # noqa: F811
    at = _with_clip(make_app(local_engine_url, nav=False))
    at.session_state[state.PROTOCOL] = "native"
    at.session_state[state.USER_TEXT] = ASK
    at.session_state[state.SYSTEM_PROMPT] = "You report what happens in sports videos."
    at.run()
    at.button(key=state.RUN_BUTTON).click().run()
    at = wait_until(at, lambda a: a.session_state[state.CURRENT] is not None, timeout_s=900)
    entry = at.session_state[state.HISTORY].get(at.session_state[state.CURRENT])
    assert entry.result.error is None, entry.result.error
    answer = json.loads(entry.result.content)
    jsonschema.validate(answer, {"type": "object"})
    assert entry.request.video is not None and len(entry.request.video.frames) == 6
    assert "reads each frame's text by OCR" in texts(at)
