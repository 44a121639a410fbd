"""The video preset runs offline through the playground's own path (``clients.run`` → dashscope SDK →
the local engine, which reads each frame by OCR) and its answer is checked against the events drawn
into the clip (``scripts/scoreboard.json``), at the times the sampling rate lets them be seen."""

from __future__ import annotations

import json
from urllib.parse import urlparse

import jsonschema
import pytest

from scripts.make_scoreboard import DATA, expected_events
from structured_output.clients import run
from structured_output.presets import load_presets, preset_to_request

pytestmark = pytest.mark.engine


def test_expected_events_follow_the_sampling() -> None:
    data = json.loads(DATA.read_text())
    assert expected_events(data, 0.5) == [{"event_time": "00:04", "score": "1-0"},
                                          {"event_time": "00:08", "score": "1-1"},
                                          {"event_time": "00:10", "score": "2-1"}]
    assert [e["event_time"] for e in expected_events(data, 1)] == ["00:03", "00:07", "00:10"]


def test_video_preset_runs_offline_with_events(local_engine_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(urlparse(local_engine_url).port))
    preset = next(p for p in load_presets() if p.id == "video-scoreboard-events")
    req = preset_to_request(preset, endpoint="local")
    assert req.video is not None and len(req.video.frames) == 6
    result = run(req, timeout=900)
    assert result.error is None, result.error
    answer = json.loads(result.content or "")
    print("answer:", answer)
    jsonschema.validate(answer, preset.json_schema)
    expected = expected_events(json.loads(DATA.read_text()), preset.video.fps)
    got = [(e["event_time"], e["score"].replace(" ", "")) for e in answer["events"]]
    # every score change at the time it is first seen, in order, and nothing else (the start is no change)
    assert got == [(e["event_time"], e["score"]) for e in expected], answer

