"""The presets page's flow runner and documented-vs-live comparison, with a fake runner (no server)."""

from __future__ import annotations

from structured_output.errors import CallError
from structured_output.preset_run import compare_to_documented, counts_text, first_step_title, run_preset
from structured_output.presets import get_preset
from structured_output.request import Request
from structured_output.result import RunResult, finish

MISSING_JSON = ("'messages' must contain the word 'json' in some form, to use 'response_format' of type "
                "'json_object'.")


def answer(content: str, finish_reason: str = "stop") -> RunResult:
    return finish(RunResult(content=content, finish_reason=finish_reason), None)


class FakeRunner:
    """Answers the calls in order and remembers what it was sent."""

    def __init__(self, *results: RunResult) -> None:
        self.results = list(results)
        self.sent: list[Request] = []

    def __call__(self, req: Request) -> RunResult:
        self.sent.append(req)
        return self.results.pop(0)


def test_repair_flow_runs_step_two_on_the_step_one_answer_when_it_does_not_parse() -> None:
    preset = get_preset("faq-thinking-repair")
    step1 = "Sure! Name: Alex Brown, age 34 years old, email alexbrown@example.com"
    runner = FakeRunner(answer(step1), answer('{"info": {"name": "Alex Brown"}}'))
    steps = run_preset(preset, runner)
    assert [s.index for s in steps] == [0, 1] and all(s.ran and s.needed for s in steps)
    first, repair = runner.sent
    assert first.model == "qwen-plus" and first.mode == "none" and first.enable_thinking is True and first.stream
    assert repair.model == "qwen-flash" and repair.mode == "json_object" and repair.user_text == step1
    assert "fixing JSON" in repair.system_prompt and repair.endpoint == "local"
    assert steps[0].title == "qwen-plus, no response_format, thinking on"
    assert steps[1].title == "Repair the answer with a JSON Object call"
    assert compare_to_documented(steps[1].documented, steps[1].expect, steps[1].result).outcome_ok


def test_repair_step_is_skipped_when_step_one_parses_unless_asked() -> None:
    preset = get_preset("faq-thinking-repair")
    parsed = '{"info": {"name": "Alex Brown", "age": "34 years old"}}'
    steps = run_preset(preset, FakeRunner(answer(parsed)))
    assert steps[0].ran and not steps[1].ran and not steps[1].needed
    assert "already parses" in steps[1].skip_reason
    forced = run_preset(preset, FakeRunner(answer(parsed), answer(parsed)), run_unneeded=True)
    assert forced[1].ran and not forced[1].needed  # run, and still marked as one the reference would skip


def test_repair_step_is_skipped_after_an_error() -> None:
    preset = get_preset("faq-thinking-repair")
    failed = finish(RunResult(error=CallError("http", "thinking refused", "", 400)), None)
    steps = run_preset(preset, FakeRunner(failed), run_unneeded=True)
    assert not steps[1].ran and "no answer" in steps[1].skip_reason


def test_single_call_preset_is_one_step_titled_by_the_preset() -> None:
    preset = get_preset("getting-started-compatible")
    runner = FakeRunner(answer('{"name": "Alex Brown", "age": 34}'))
    steps = run_preset(preset, runner, endpoint="intl")
    assert len(steps) == 1 and steps[0].title == preset.title == first_step_title(preset)
    assert runner.sent[0].endpoint == "intl"


def test_comparison_marks_missing_extra_type_and_value() -> None:
    preset = get_preset("getting-started-compatible")
    assert preset.documented is not None and preset.documented.value == {"name": "Alex Brown", "age": 34}
    live = answer('{"name": "Alex B.", "age": "34", "city": "Lisbon"}')
    cmp = compare_to_documented(preset.documented, preset.expect, live)
    assert cmp.outcome_ok and cmp.error_matches is None
    assert [(r.path, r.kind) for r in cmp.rows or []] == [("$.name", "value"), ("$.age", "type"),
                                                         ("$.city", "extra")]
    assert counts_text(cmp.counts) == "1 extra, 1 type, 1 value"
    same = compare_to_documented(preset.documented, preset.expect, answer('{"name": "Alex Brown", "age": 34}'))
    assert same.rows == [] and counts_text(same.counts) == ""
    missing = compare_to_documented(preset.documented, preset.expect, answer('{"name": "Alex Brown"}'))
    assert [(r.path, r.kind, r.documented) for r in missing.rows or []] == [("$.age", "missing", 34)]


def test_comparison_without_json_says_why() -> None:
    preset = get_preset("getting-started-compatible")
    cut = compare_to_documented(preset.documented, preset.expect, answer('{"name": "Al', "length"))
    assert cut.rows is None and "does not parse" in cut.note and not cut.outcome_ok
    truncated = get_preset("going-live-max-tokens-truncated")
    described = compare_to_documented(truncated.documented, truncated.expect, answer('{"name": "Al', "length"))
    assert described.rows is None and "describes the behaviour" in described.note and described.outcome_ok


def test_documented_error_text_is_checked_word_for_word() -> None:
    preset = get_preset("missing-json-keyword-error")
    same = finish(RunResult(error=CallError("http", MISSING_JSON, "", 400, "invalid_parameter_error")), None)
    cmp = compare_to_documented(preset.documented, preset.expect, same)
    assert cmp.outcome_ok and cmp.error_matches is True and cmp.rows is None
    assert cmp.note.startswith("The reference documents an error for this call, not JSON")
    other = finish(RunResult(error=CallError("http", "Bad request.", "", 400)), None)
    cmp = compare_to_documented(preset.documented, preset.expect, other)
    assert cmp.error_matches is False and not cmp.outcome_ok
    answered = compare_to_documented(preset.documented, preset.expect, answer('{"a": 1}'))
    assert answered.problems == ["expected an error, got a parsed answer"]
