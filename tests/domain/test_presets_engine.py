"""Every shipped preset, run offline against the real local engine through the playground's own code
path (``clients.run`` → the openai / dashscope SDK → HTTP), has the outcome the reference documents:
JSON that parses, schema presets that validate, the documented errors, the truncated answer."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from structured_output.clients import run
from structured_output.diff import documented_diff
from structured_output.presets import (
    Preset,
    followup_needed,
    followup_request,
    load_presets,
    outcome_problems,
    preset_to_request,
)

pytestmark = pytest.mark.engine
PRESETS = load_presets()


@pytest.fixture
def engine(local_engine_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the catalog's ``local`` endpoint at the test engine."""
    port = urlparse(local_engine_url).port
    assert port is not None
    monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(port))
    return local_engine_url


def _describe(preset: Preset, result) -> str:
    return (f"{preset.id}: verdict {result.verdict}, finish {result.finish_reason!r}, error {result.error}, "
            f"content {str(result.content)[:300]!r}")


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.id)
def test_preset_runs_offline_with_its_documented_outcome(engine: str, preset: Preset) -> None:
    req = preset_to_request(preset, endpoint="local")
    result = run(req, timeout=600)
    assert outcome_problems(preset.expect, result) == [], _describe(preset, result)
    if preset.expect.outcome in ("json", "valid") and preset.documented is not None and preset.documented.has_value:
        # the diff against the documented value always works on a live value (it may well differ)
        rows = documented_diff(preset.documented.value, result.parse.value)
        assert all(r.kind in ("missing", "extra", "type", "value") for r in rows)
    if preset.followups:
        previous = result
        for i, step in enumerate(preset.followups):
            # The reference runs the repair only when step 1 did not parse; run it anyway so the repair
            # path is always exercised, and record whether the reference would have run it.
            needed = followup_needed(step, previous)
            follow = followup_request(preset, i, previous.content or "", endpoint="local")
            previous = run(follow, timeout=600)
            assert outcome_problems(step.expect, previous) == [], \
                f"step {i + 2} (the reference would {'' if needed else 'not '}run it): {_describe(preset, previous)}"

