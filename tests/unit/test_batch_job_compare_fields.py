"""The pieces the compare and batch pages add on the domain: the background batch job (progress,
cancel keeping rows done), the model × mode grid, and the compare page's field table, baseline diffs
and lessons."""

from __future__ import annotations

import threading
import time

import pytest

from structured_output.request import Request
from structured_output.result import RunResult, Usage, finish
from structured_output.runs.batch import BatchJob, build_grid, outcome_table, summary_table
from structured_output.runs.compare import Outcome, baseline_diffs, field_table, leaves, lessons, letter

SCHEMA = '{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}'


def slow_runner(delay: float, gate: threading.Event | None = None):
    def run(req: Request, api_key: str | None) -> RunResult:
        if gate is not None:
            gate.wait(5)
        time.sleep(delay)
        return finish(RunResult(content='{"name": "x"}', finish_reason="stop", latency_s=delay, usage=Usage(1, 2)),
                      req.schema())
    return run


def test_build_grid_runs_every_row_in_every_model_and_mode() -> None:
    base = Request(model="qwen-flash", mode="json_object", schema_text=SCHEMA)
    rows = [{"text": "a"}, {"text": "b"}]
    items = build_grid(base, rows, models=["qwen-flash", "qwen-plus"], modes=["none", "json_schema"],
                       column="text", repeat=2)
    assert len(items) == 2 * 2 * 2 * 2
    combos = {(i.request.model, i.request.mode) for i in items}
    assert combos == {(m, d) for m in ("qwen-flash", "qwen-plus") for d in ("none", "json_schema")}
    assert [i.request.mode for i in build_grid(base, rows, column="text")] == ["json_object"] * 2


def test_job_runs_in_the_background_and_reports_progress() -> None:
    items = build_grid(Request(mode="json_schema", schema_text=SCHEMA), [{"text": str(i)} for i in range(4)],
                       column="text")
    gate = threading.Event()
    job = BatchJob(items, "sk-secret", concurrency=2, runner=slow_runner(0.01, gate)).start()
    assert job.running and job.progress() == (0, 4)  # start() returns at once
    gate.set()
    assert job.wait(10)
    assert job.progress() == (4, 4) and not job.cancelled and job.error == ""
    assert [o.item.index for o in job.outcomes()] == [0, 1, 2, 3]
    assert job._api_key is None  # the key is not kept once the run ends
    assert list(outcome_table(job.outcomes())["verdict"]) == ["valid"] * 4


def test_cancel_stops_new_rows_and_keeps_the_rows_done() -> None:
    items = build_grid(Request(), [{"text": str(i)} for i in range(50)], column="text")
    job = BatchJob(items, None, concurrency=1, runner=slow_runner(0.02)).start()
    deadline = time.monotonic() + 10
    while job.progress()[0] < 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    job.cancel()
    assert job.wait(10)
    done = job.outcomes()
    assert job.cancelled and 3 <= len(done) < 50
    assert [o.item.index for o in done] == list(range(len(done)))  # the first rows, in order


def test_a_runner_crash_is_reported_and_rows_done_kept() -> None:
    calls = []

    def runner(req: Request, api_key: str | None) -> RunResult:
        calls.append(req.user_text)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return finish(RunResult(content="{}", finish_reason="stop", latency_s=0.0), None)

    job = BatchJob(build_grid(Request(), [{"text": "a"}, {"text": "b"}, {"text": "c"}], column="text"), None,
                   runner=runner).start()
    assert job.wait(10)
    assert "RuntimeError: boom" in job.error and len(job.outcomes()) == 1


def test_leaves_and_field_table_mark_disagreements() -> None:
    assert leaves({"a": {"b": 1, "c": []}, "d": [1, {"e": None}]}) == {
        "$.a.b": 1, "$.a.c": [], "$.d[0]": 1, "$.d[1].e": None}
    table = field_table([("A", {"name": "Alex", "age": 34}), ("B", {"name": "Alex", "age": "34"}),
                         ("C", {"name": "Alex", "age": 34, "email": "a@b.c"})])
    assert list(table.columns) == ["field", "A", "B", "C", "same"]
    rows = {r["field"]: r for r in table.to_dict("records")}
    assert rows["$.name"]["same"] and rows["$.name"]["B"] == '"Alex"'
    assert not rows["$.age"]["same"] and rows["$.age"]["A"] == "34" and rows["$.age"]["B"] == '"34"'
    assert not rows["$.email"]["same"] and rows["$.email"]["A"] == "" and rows["$.email"]["C"] == '"a@b.c"'
    assert not field_table([("A", {"n": 1}), ("B", {"n": 1.0})]).loc[0, "same"]  # integer vs number


def _outcome(mode: str, content: str | None, error: bool = False) -> Outcome:
    from structured_output.errors import CallError

    r = RunResult(content=content, finish_reason="stop")
    if error:
        r.error = CallError("http", "bad", "fix", 400)
    return Outcome(mode, Request(mode=mode), finish(r, None))  # type: ignore[arg-type]


def test_baseline_diffs_and_lessons() -> None:
    outs = [_outcome("none", 'Sure! ```json\n{"name": "Alex"}\n```'), _outcome("json_object", '{"name": "Alex"}'),
            _outcome("json_schema", '{"name": "Alex", "age": 3}')]
    base, diffs = baseline_diffs(outs)
    assert base == 1 and diffs[0] is None and diffs[1] is None
    assert [(d.path, d.kind) for d in diffs[2] or []] == [("$.age", "added")]
    said = lessons(outs)
    assert said[0].startswith("**A · None (plain text)**: strict `json.loads` rejects the plain answer at line 1")
    assert "lenient extraction recovers a value" in said[0]
    assert said[-1] == "Structured modes: 2 of 2 answers parse with strict `json.loads`."
    lucky = lessons([_outcome("none", '{"a": 1}'), _outcome("json_object", "", error=True)])
    assert lucky == ["**A · None (plain text)**: this time the plain answer happened to be valid JSON, but nothing "
                     "enforces it. Repeat it on the Batch page to see how often it holds."]
    assert baseline_diffs([_outcome("none", "hi"), _outcome("none", "ho")]) == (None, [None, None])
    assert [letter(i) for i in range(4)] == ["A", "B", "C", "D"]


@pytest.mark.parametrize("content", ["Here you go: no json", "```json\n{broken\n```"])
def test_lessons_when_nothing_is_recovered(content: str) -> None:
    assert "lenient extraction finds no JSON in it either" in lessons([_outcome("none", content),
                                                                       _outcome("json_object", "{}")])[0]


def test_valid_is_false_for_a_failed_output_with_a_schema_and_none_without_one() -> None:
    def runner(req: Request, api_key: str | None) -> RunResult:
        content = '{"name": "x"}' if "ok" in req.user_text else "Sure! name: x"
        return finish(RunResult(content=content, finish_reason="stop", latency_s=0.0), req.schema())

    rows = [{"text": "ok"}, {"text": "chatty"}]
    with_schema = BatchJob(build_grid(Request(mode="none", schema_text=SCHEMA), rows, column="text"), None,
                           runner=runner).start()
    without = BatchJob(build_grid(Request(mode="none"), rows, column="text"), None, runner=runner).start()
    assert with_schema.wait(10) and without.wait(10)
    table = outcome_table(with_schema.outcomes())
    assert list(table["valid"]) == [True, False]
    assert summary_table(table).loc[0, "valid_rate"] == 0.5  # not 100%: the chatty answer is not valid
    table = outcome_table(without.outcomes())
    assert list(table["valid"]) == [None, None]
    assert summary_table(table)["valid_rate"].isna().all()
