"""The batch job's file and its results read back, with no server: the JSONL each row becomes (the live
body), the documented limits refused before sending, result and error lines read into the same
verdicts as a live run, and correctness against expected values."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from structured_output.request import Request
from structured_output.runs import batch_api
from structured_output.runs.batch import (
    BatchError,
    BatchOutcome,
    build_grid,
    expected_of,
    outcome_table,
    same_value,
    summary_table,
)
from structured_output.runs.batch_limits import LIMITS
from structured_output.wire.compatible import openai_kwargs

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"]}
BASE = Request(model="qwen-plus", endpoint="local", mode="json_schema", system_prompt="Extract as JSON.",
               schema_text=json.dumps(SCHEMA), schema_name="person", temperature=0, max_tokens=20,
               enable_thinking=False)


def items(n: int = 2, **kw: object) -> list:
    rows = [{"text": f"Person {i} is {i} years old."} for i in range(n)]
    return build_grid(BASE, rows, column="text", **kw)  # type: ignore[arg-type]


def test_each_line_is_the_live_body_with_a_readable_custom_id() -> None:
    its = items(2, modes=["json_object", "json_schema"], repeat=2)
    f = batch_api.job_file(its)
    lines = [json.loads(x) for x in f.data.decode().splitlines()]
    assert len(lines) == 8 and len({x["custom_id"] for x in lines}) == 8
    assert lines[0]["custom_id"] == "00000-row1-rep1-json_object"
    assert lines[1]["custom_id"] == "00001-row1-rep2-json_object"
    for line, item in zip(lines, its, strict=True):
        assert line["method"] == "POST" and line["url"] == "/v1/chat/completions"
        live = openai_kwargs(item.request)
        extra = live.pop("extra_body")
        assert line["body"] == {**live, **extra}  # enable_thinking top-level, as the reference's JSONL has it
        assert line["body"]["enable_thinking"] is False


def test_limits_are_refused_before_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    two_models = items(1) + build_grid(replace(BASE, model="qwen-max"), [{"text": "x"}], column="text")
    with pytest.raises(BatchError, match="one model"):
        batch_api.job_file(two_models)
    monkeypatch.setattr(batch_api, "LIMITS", replace(LIMITS, max_requests=3))
    with pytest.raises(BatchError, match="at most 3"):
        batch_api.job_file(items(4))
    monkeypatch.setattr(batch_api, "LIMITS", replace(LIMITS, max_line_bytes=100))
    with pytest.raises(BatchError, match="Row 1 makes a request of"):
        batch_api.job_file(items(1))
    monkeypatch.setattr(batch_api, "LIMITS", replace(LIMITS, max_file_bytes=1000))
    with pytest.raises(BatchError, match="Split the rows"):
        batch_api.job_file(items(5))


def answer(content: str, finish: str = "stop") -> dict:
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "qwen-plus",
            "choices": [{"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


def test_results_read_back_in_order_with_errors_and_rows_not_run() -> None:
    its = items(4)
    ids = batch_api.job_file(its).custom_ids
    out = "\n".join(json.dumps({"id": "r", "custom_id": cid, "response": {"status_code": 200, "request_id": "q",
                                                                        "body": answer(c)}, "error": None})
                    for cid, c in [(ids[1], '{"name": "Bo", "age": "6"}'), (ids[0], '{"name": "Ann", "age": 5}')])
    err = json.dumps({"id": "r", "custom_id": ids[2], "error": {"code": "invalid_parameter_error", "message": "no"},
                      "response": {"status_code": 400, "request_id": "q2", "body": {"error": {
                          "message": "'messages' must contain the word 'json' in some form", "code": "x"}}}})
    res = batch_api.read_results(its, out.encode(), err.encode())
    assert [o.item.index for o in res.outcomes] == [0, 1, 2]
    assert [o.result.verdict for o in res.outcomes] == ["valid", "invalid", "error"]
    assert res.outcomes[2].result.error.status == 400 and "JSON" in res.outcomes[2].result.error.hint
    assert [i.index for i in res.not_run] == [3] and not res.problems
    bad = batch_api.read_results(its, b'{"custom_id": "nope"}\nnot json\n', None)
    assert len(bad.problems) == 2 and len(bad.not_run) == 4


def test_items_come_back_from_the_input_file_with_or_without_the_sidecar(tmp_path) -> None:
    its = items(2, modes=["json_object", "json_schema"])
    for it in its:
        it.inputs = {**it.inputs, "expected.name": "Ann"}
    data = batch_api.job_file(its).data
    batch_api.save_sidecar("batch_x", its, tmp_path)
    again = batch_api.items_from_input(data, BASE, batch_api.load_sidecar("batch_x", tmp_path))
    assert [(i.index, i.repeat, i.request.mode, i.request.user_text) for i in again] == \
        [(i.index, i.repeat, i.request.mode, i.request.user_text) for i in its]
    assert again[0].request.schema() == SCHEMA  # JSON Object rows are validated against the editor's schema
    assert again[0].inputs["expected.name"] == "Ann"
    bare = batch_api.items_from_input(data, BASE, None)
    assert bare[0].request.schema() is None and bare[2].request.schema() == SCHEMA
    assert "key" not in (tmp_path / "batch_x.json").read_text()


def test_status_lines_name_what_happened() -> None:
    info = batch_api.JobInfo("batch_1", "failed", errors=["line 2: Not JSON (Expecting value, column 1)."])
    level, text = batch_api.status_line(info)
    assert level == "error" and "line 2: Not JSON" in text and "No row ran" in text
    assert "expired" in batch_api.status_line(batch_api.JobInfo("b", "expired", total=3, completed=1))[1]
    assert batch_api.status_line(batch_api.JobInfo("b", "cancelled", 3, 1))[0] == "warning"


# ---------------------------------------------------------------- correctness

def test_expected_values_from_one_json_column_or_a_column_per_field() -> None:
    assert expected_of({"expected": '{"name": "Ann", "address": {"city": "Rome"}}'}) == \
        {"name": "Ann", "address.city": "Rome"}
    assert expected_of({"expected.age": "34", "expected_name": "Ann", "expected.note": ""}) == \
        {"age": 34, "name": "Ann"}
    with pytest.raises(BatchError, match="must hold a JSON object"):
        expected_of({"expected": "[1, 2]"})
    with pytest.raises(BatchError, match="not JSON"):
        expected_of({"expected": "{name: Ann}"})


def test_same_value_keeps_the_json_type() -> None:
    assert same_value(34, 34.0) and not same_value(34, "34") and not same_value(True, 1)
    assert same_value(" Ann ", "ann") and same_value([1, "a"], [1.0, "A"]) and not same_value([1], [1, 2])


def test_valid_is_not_correct_in_the_table_and_summary() -> None:
    from structured_output.result import RunResult, finish

    its = build_grid(BASE, [{"text": "a", "expected.name": "Ann", "expected.age": "5"},
                            {"text": "b", "expected.name": "Bo", "expected.age": "6"}], column="text")
    outs = [BatchOutcome(its[0], finish(RunResult(content='{"name": "Ann", "age": 5}'), SCHEMA)),
            BatchOutcome(its[1], finish(RunResult(content='{"name": "Bob", "age": 6}'), SCHEMA))]
    table = outcome_table(outs)
    assert list(table["valid"]) == [True, True]
    assert list(table["correct"]) == [True, False]
    assert list(table["correct.name"]) == [True, False] and list(table["correct.age"]) == [True, True]
    s = summary_table(table)
    assert s.loc[0, "valid_rate"] == 1.0 and s.loc[0, "correct_rate"] == 0.5
    assert s.loc[0, "correct_rate.name"] == 0.5 and s.loc[0, "correct_rate.age"] == 1.0
    assert "correct" not in outcome_table([BatchOutcome(build_grid(BASE, [{"text": "a"}], column="text")[0],
                                                        outs[0].result)]).columns
