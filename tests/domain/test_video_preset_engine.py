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


@pytest.mark.xfail(strict=False, reason="measured 2026-12-02: offline, the 270M model answers JSON (the preset's "
                   "outcome) but not the drawn events (events with integer times and scores, 15 of them); the "
                   "OCR timeline it is given is right (tests/engine/test_video.py)")
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
    got = {(e["event_time"], e["score"].replace(" ", "")) for e in answer["events"]}
    hits = [e for e in expected if (e["event_time"], e["score"]) in got]
    print(f"events found: {len(hits)}/{len(expected)}")
    assert hits, f"none of {expected} came back; answer {answer}"
