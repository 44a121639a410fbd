"""Batch input reading, templating, bounded concurrency with cancel, and the tables; compare columns."""

from __future__ import annotations

import threading
import time

import pytest

from structured_output.request import Request
from structured_output.result import RunResult, Usage, finish
from structured_output.runs import batch
from structured_output.runs.batch import (
    BatchError,
    build_items,
    fill,
    outcome_table,
    read_rows,
    run_batch,
    summary_table,
)
from structured_output.runs.compare import Target, across_modes, across_targets

SCHEMA = '{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}'


def test_read_csv_jsonl_and_lines() -> None:
    assert read_rows(b"text,expected\nAlex is 34,34\n\"Li, Wei\",20\n", "in.csv") == [
        {"text": "Alex is 34", "expected": "34"}, {"text": "Li, Wei", "expected": "20"}]
    assert read_rows(b'{"text": "a"}\n\n{"text": "b", "n": 2}\n', "in.jsonl") == [
        {"text": "a"}, {"text": "b", "n": "2"}]
    assert read_rows(b"first\n\n  second  \n", "pasted.txt") == [{"text": "first"}, {"text": "second"}]


@pytest.mark.parametrize(("data", "name", "needle"), [
    (b"\xff\xfebad", "x.csv", "not UTF-8"),
    (b'{"text": "a"}\n{oops}\n', "x.jsonl", "line 2, column 2"),
    (b'["a"]\n', "x.jsonl", "line 1: a JSON list"),
    (b"text\na,b\n", "x.csv", "line 2: more values"),
    (b"", "x.txt", "no rows"),
])
def test_bad_batch_files_say_where(data: bytes, name: str, needle: str) -> None:
    with pytest.raises(BatchError, match=needle):
        read_rows(data, name)


def test_template_fill_and_errors() -> None:
    assert fill("Name: {name}, age {age}", {"name": "Alex", "age": "34"}) == "Name: Alex, age 34"
    with pytest.raises(BatchError, match=r"\{email\}.*columns: name"):
        fill("{email}", {"name": "Alex"})
    with pytest.raises(BatchError, match="malformed"):
        build_items(Request(), [{"a": "1"}], template="{unclosed")
    with pytest.raises(BatchError, match="no column 'txt'"):
        build_items(Request(), [{"text": "1"}], column="txt")


def test_build_items_with_repeat() -> None:
    items = build_items(Request(stream=True), [{"text": "a"}, {"text": "b"}], column="text", repeat=3)
    assert [(i.index, i.repeat, i.request.user_text) for i in items][:4] == [(0, 0, "a"), (0, 1, "a"), (0, 2, "a"),
                                                                             (1, 0, "b")]
    assert not any(i.request.stream for i in items)


def fake_runner(delay: float, seen: list[int]):
    lock = threading.Lock()
    active = [0]

    def run(req: Request, api_key: str | None) -> RunResult:
        with lock:
            active[0] += 1
            seen.append(active[0])
        time.sleep(delay)
        with lock:
            active[0] -= 1
        content = '{"name": "x"}' if "ok" in req.user_text else "nope"
        return finish(RunResult(content=content, finish_reason="stop", latency_s=delay, usage=Usage(3, 4)),
                      req.schema())
    return run


def test_run_batch_bounded_concurrency_and_order() -> None:
    items = build_items(Request(mode="json_schema", schema_text=SCHEMA), [{"text": f"ok {i}"} for i in range(6)],
                        column="text")
    seen: list[int] = []
    progress: list[tuple[int, int]] = []
    out = run_batch(items, None, concurrency=2, runner=fake_runner(0.05, seen),
                    on_progress=lambda d, t, o: progress.append((d, t)))
    assert max(seen) == 2
    assert [o.item.index for o in out] == list(range(6))
    assert progress[-1] == (6, 6)


def test_cancel_keeps_rows_done() -> None:
    items = build_items(Request(), [{"text": f"ok {i}"} for i in range(20)], column="text")
    cancel = threading.Event()

    def progress(done: int, total: int, o: batch.BatchOutcome) -> None:
        if done == 3:
            cancel.set()
    out = run_batch(items, None, concurrency=1, cancel=cancel, runner=fake_runner(0.01, []), on_progress=progress)
    assert len(out) == 3 and [o.item.index for o in out] == [0, 1, 2]


def test_tables() -> None:
    items = build_items(Request(mode="json_schema", schema_text=SCHEMA), [{"text": "ok"}, {"text": "bad"}],
                        column="text")
    out = run_batch(items, None, runner=fake_runner(0, []))
    table = outcome_table(out)
    assert list(table["parsed_ok"]) == [True, False]
    assert table.loc[1, "first_error"].startswith("not JSON")
    assert table.loc[0, "verdict"] == "valid"
    summary = summary_table(table)
    assert summary.loc[0, "runs"] == 2 and summary.loc[0, "parsed_rate"] == 0.5
    assert summary.loc[0, "valid_rate"] == 0.5  # "bad" is not JSON, so not valid either
    assert list(table["valid"]) == [True, False]
    assert batch.to_jsonl(table).count(b"\n") == 2
    assert batch.to_csv(table).startswith(b"row,repeat,model")


def test_compare_columns() -> None:
    cols = across_modes(Request(stream=True), ["none", "json_object", "json_schema"])
    assert [c.request.mode for c in cols] == ["none", "json_object", "json_schema"]
    assert cols[0].label.startswith("None") and not cols[0].request.stream
    with pytest.raises(ValueError, match="2 to 4"):
        across_modes(Request(), ["none"])
    targets = [Target("local", "compatible", "qwen-flash"), Target("intl", "native", "qwen-plus")]
    cols = across_targets(Request(), targets)
    assert cols[1].request.endpoint == "intl" and cols[1].request.protocol == "native"
