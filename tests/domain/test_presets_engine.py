"""Every client form of every shipped preset, run offline against the real local engine through the
playground's own code path (``clients.run`` → the openai / dashscope SDK → HTTP, on the form's own
protocol), has the outcome the reference documents: JSON that parses, schema presets that validate,
the documented errors, the truncated answer. Each form runs once; the values test reuses the runs."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from structured_output.clients import run
from structured_output.diff import documented_diff, keyed_leaves
from structured_output.presets import (
    Preset,
    followup_needed,
    followup_request,
    load_presets,
    outcome_problems,
    preset_to_request,
)
from structured_output.result import RunResult

pytestmark = pytest.mark.engine
PRESETS = [v for p in load_presets() for v in p.variants()]  # one a client form
RESULTS: dict[str, RunResult] = {}  # form id → its run, shared by the two tests


def form_id(p: Preset) -> str:
    return f"{p.id}/{p.form_id}" if p.form_id else p.id


def run_once(preset: Preset) -> RunResult:
    if form_id(preset) not in RESULTS:
        RESULTS[form_id(preset)] = run(preset_to_request(preset, endpoint="local"), timeout=600)
    return RESULTS[form_id(preset)]


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


@pytest.mark.parametrize("preset", PRESETS, ids=form_id)
def test_preset_runs_offline_with_its_documented_outcome(engine: str, preset: Preset) -> None:
    result = run_once(preset)
    assert result.error is not None or result.served_by, "the local engine answered"
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



def test_documented_values_come_back_offline(engine: str) -> None:
    """Not just valid JSON: the local engine gives back most of the values the reference documents
    (issue 8: at least 80% on the reference's own examples), scored as bench/quality.py scores."""
    from bench.quality import score

    hits = total = 0
    report = []
    for preset in PRESETS:
        if preset.expect.outcome not in ("json", "valid") or preset.documented is None \
                or not preset.documented.has_value:
            continue
        leaves = keyed_leaves(preset.documented.value)
        if not preset.images:  # a documented value the input does not hold (the reference's Python parse
            # sample sends "John Doe" but shows "Alex Brown") cannot come back
            said = (preset.system_prompt + " " + preset.user_text).lower()
            leaves = [(k, v) for k, v in leaves if str(v).lower() in said]
        result = run_once(preset)
        live = result.parse.value if result.parse and result.parse.ok else None
        got = sum(score({k: v}, live)[0] for k, v in leaves)
        hits, total = hits + got, total + len(leaves)
        report.append(f"{form_id(preset)}: {got}/{len(leaves)} {str(result.content)[:160]!r}")
    assert total >= 25, report
    assert hits / total >= 0.8, "\n".join(report)
