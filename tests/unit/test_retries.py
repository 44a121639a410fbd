"""Retry on validation failure: the loop, what is sent back, and the summary of what it cost. The
runner here answers from a script (the content a model would have written); the parse and validation
are the real ones. The real engine's retries are in tests/ui/test_workbench_apptest.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from structured_output.request import Request
from structured_output.result import RunResult, Usage, finish
from structured_output.runs.history import History
from structured_output.runs.retries import feedback, next_request, run_with_retries
from structured_output.runs.service import RunService
from structured_output.wire.compatible import openai_messages
from structured_output.wire.native import dashscope_kwargs

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"], "additionalProperties": False}


def scripted(*contents: str) -> tuple[Any, list[Request]]:
    sent: list[Request] = []

    def runner(req: Request, api_key: str | None, **_: Any) -> RunResult:
        sent.append(req)
        result = RunResult(content=contents[len(sent) - 1], finish_reason="stop", usage=Usage(20, 5), latency_s=0.5)
        return finish(result, req.schema())

    return runner, sent


def request(mode: str = "json_object") -> Request:
    return Request(mode=mode, system_prompt="Extract the name and age as JSON.", user_text="Alex is 34.",
                   schema_text=json.dumps(SCHEMA))


def test_a_failing_answer_is_sent_back_with_its_errors_until_it_passes() -> None:
    runner, sent = scripted('{"name": "Alex"', '{"name": "Alex", "age": "34"}', '{"name": "Alex", "age": 34}')
    history = History()
    out = run_with_retries(RunService(history=history, runner=runner), request(), None, 3)
    assert [a.verdict for a in out.attempts] == ["not JSON", "invalid", "valid"]
    assert out.final.passed and out.calls == 3 and len(history) == 3  # every attempt is a run of its own
    assert out.tokens() == (60, 15)
    assert out.summary() == "passed on attempt 3 of at most 3: 3 calls, 75 tokens (60 in, 15 out), 1.5 s"
    # attempt 2 carries the first answer and its parse error; attempt 3 both failed answers and their errors
    assert [t["role"] for t in sent[2].followups] == ["assistant", "user", "assistant", "user"]
    assert sent[1].followups[0]["content"] == '{"name": "Alex"'
    assert "not valid JSON at line 1, column 16" in sent[1].followups[1]["content"]
    assert "- $.age: '34' is not of type 'integer'" in sent[2].followups[3]["content"]
    assert json.dumps(SCHEMA) in sent[2].followups[3]["content"]  # JSON Object mode: the schema is told
    assert not sent[0].followups


def test_it_stops_at_the_limit_and_never_retries_a_passing_or_failed_call() -> None:
    runner, sent = scripted(*['{"name": 1}'] * 5)
    out = run_with_retries(RunService(runner=runner), request(), None, 2)
    assert out.calls == 2 == len(sent) and not out.final.passed
    assert out.summary().startswith("still invalid after 2 attempts: 2 calls, 50 tokens")
    runner, _ = scripted('{"name": "A", "age": 1}')
    assert run_with_retries(RunService(runner=runner), request(), None, 3).summary().startswith(
        "passed on the first call, no retry needed: 1 call")
    with pytest.raises(ValueError, match="2 to 6 attempts"):
        run_with_retries(RunService(runner=runner), request(), None, 1)


def test_the_turns_go_on_both_wires_and_json_schema_mode_is_not_told_the_schema_again() -> None:
    req = request("json_schema")
    bad = finish(RunResult(content='{"name": "A"}', finish_reason="stop"), req.schema())
    text = feedback(req, bad)
    assert "- $: 'age' is a required property" in text and json.dumps(SCHEMA) not in text
    again = next_request(req, bad)
    msgs = openai_messages(again)
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user"]
    assert msgs[2]["content"] == '{"name": "A"}' and msgs[3]["content"] == text
    native = dashscope_kwargs(again)["messages"]
    assert [m["role"] for m in native] == ["system", "user", "assistant", "user"]
    assert req.followups == []  # the first request is left as it was
