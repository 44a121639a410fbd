"""The local engine's Files and Batches routes through the real openai SDK: a job runs in the
background and its lines get what a live call gets (answers and refusals alike); list, retrieve,
cancel and the content download; a bad file fails with its line numbers; a job past its window
expires with the rows done kept. And a 200-row batch as a job gives the live path's verdicts."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from urllib.parse import urlparse

import openai
import pytest

from structured_output.request import Request
from structured_output.runs import batch_api
from structured_output.runs.batch import build_grid, outcome_table, run_batch

pytestmark = pytest.mark.engine
WAIT_S = 900


def line(cid: str, body: dict) -> str:
    return json.dumps({"custom_id": cid, "method": "POST", "url": "/v1/chat/completions", "body": body})


def body(text: str, **kw: object) -> dict:
    return {"model": "qwen-plus", "messages": [{"role": "user", "content": text}], "max_tokens": 8,
            "temperature": 0, **kw}


def upload(oai: openai.OpenAI, lines: list[str]) -> str:
    return oai.files.create(file=("t.jsonl", ("\n".join(lines) + "\n").encode(), "application/jsonl"),
                            purpose="batch").id


def wait(oai: openai.OpenAI, batch_id: str) -> object:
    deadline = time.monotonic() + WAIT_S
    while True:
        b = oai.batches.retrieve(batch_id)
        if b.status in ("completed", "failed", "expired", "cancelled"):
            return b
        assert time.monotonic() < deadline, f"batch {batch_id} still {b.status}"
        time.sleep(0.5)


def test_a_job_answers_and_refuses_each_line_as_a_live_call_would(oai: openai.OpenAI) -> None:
    refused = body("no magic word here", response_format={"type": "json_object"})
    ok = body("Return {\"n\": 1} as JSON.", response_format={"type": "json_object"})
    file_id = upload(oai, [line("a", ok), line("b", refused)])
    assert oai.files.retrieve(file_id).purpose == "batch"
    b = oai.batches.create(input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h",
                           metadata={"t": "1"})
    assert b.status == "validating" and b.metadata == {"t": "1"}
    assert b.id in [x.id for x in oai.batches.list(limit=100).data]
    b = wait(oai, b.id)
    assert b.status == "completed" and b.request_counts.completed == 1 and b.request_counts.failed == 1
    out = [json.loads(x) for x in oai.files.content(b.output_file_id).read().decode().splitlines()]
    assert out[0]["custom_id"] == "a" and out[0]["response"]["status_code"] == 200
    json.loads(out[0]["response"]["body"]["choices"][0]["message"]["content"])  # JSON Object mode: JSON
    err = [json.loads(x) for x in oai.files.content(b.error_file_id).read().decode().splitlines()]
    with pytest.raises(openai.BadRequestError) as live:
        oai.chat.completions.create(**refused)
    assert err[0]["custom_id"] == "b" and err[0]["response"]["status_code"] == 400
    assert err[0]["response"]["body"]["error"]["message"] == live.value.body["message"]  # type: ignore[index]
    assert oai.files.content(file_id).read().decode().count("\n") == 2  # the input file comes back as sent


def test_a_bad_file_fails_with_its_lines(oai: openai.OpenAI) -> None:
    file_id = upload(oai, [line("a", body("x")), "{oops", line("a", body("y")),
                           line("c", {**body("z"), "model": "qwen-max"})])
    b = wait(oai, oai.batches.create(input_file_id=file_id, endpoint="/v1/chat/completions",
                                     completion_window="24h").id)
    assert b.status == "failed" and b.output_file_id is None
    errs = {e.line: e.message for e in b.errors.data}
    assert set(errs) == {2, 3, 4}
    assert "Not JSON" in errs[2] and "used twice" in errs[3] and "one batch takes one model" in errs[4]


def test_refusals_of_the_routes(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="purpose"):
        oai.files.create(file=("t.jsonl", b"{}\n", "application/jsonl"), purpose="fine-tune")
    file_id = upload(oai, [line("a", body("x"))])
    with pytest.raises(openai.BadRequestError, match="completion_window"):
        oai.batches.create(input_file_id=file_id, endpoint="/v1/chat/completions",
                           completion_window="forever")  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError, match="endpoint"):
        oai.batches.create(input_file_id=file_id, endpoint="/v1/embeddings", completion_window="24h")
    with pytest.raises(openai.NotFoundError, match="No batch"):
        oai.batches.retrieve("batch_nope")
    with pytest.raises(openai.NotFoundError, match="No file"):
        oai.files.content("file-nope").read()


def test_cancel_keeps_the_rows_done_and_expiry_says_so(oai: openai.OpenAI) -> None:
    lines = [line(f"r{i}", body(f"Count to {i}.", max_tokens=12)) for i in range(6)]
    b = oai.batches.create(input_file_id=upload(oai, lines), endpoint="/v1/chat/completions",
                           completion_window="24h")
    deadline = time.monotonic() + WAIT_S
    while oai.batches.retrieve(b.id).request_counts.completed < 1:
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert oai.batches.cancel(b.id).status in ("cancelling", "cancelled")
    b = wait(oai, b.id)
    assert b.status == "cancelled" and 1 <= b.request_counts.completed < 6
    assert len(oai.files.content(b.output_file_id).read().decode().splitlines()) == b.request_counts.completed
    with pytest.raises(openai.APIStatusError, match="only a job still running"):
        oai.batches.cancel(b.id)

    # more work than 2 s can hold even on a quiet machine (6 short rows once finished inside it)
    long = [line(f"x{i}", body(f"Count slowly from {i} to 500, one number per line.", max_tokens=64))
            for i in range(30)]
    e = wait(oai, oai.batches.create(input_file_id=upload(oai, long), endpoint="/v1/chat/completions",
                                     completion_window="2s").id)  # type: ignore[arg-type]
    assert e.status == "expired" and e.request_counts.completed < 30
    err = [json.loads(x) for x in oai.files.content(e.error_file_id).read().decode().splitlines()]
    assert err and all(x["error"]["code"] == "batch_expired" for x in err)
    assert e.request_counts.completed + len(err) == 30


SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"], "additionalProperties": False}


def test_200_rows_as_a_job_give_the_live_verdicts(local_engine_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """200 rows of one job, checked against the live path on the same rows. Affordable on 2 shared cores:
    short rows, greedy decoding, one engine; 40 rows in the two JSON modes (answers that parse, validate or
    not) with max_tokens 10, and 160 plain-text rows cut at 2 tokens (each a real generation, cheap).
    The live rows run first, then the job, so each gets the engine's prompt cache to itself."""
    monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(urlparse(local_engine_url).port))
    base = Request(model="qwen-plus", endpoint="local", mode="json_schema", schema_name="n",
                   system_prompt="Return the number as JSON.", schema_text=json.dumps(SCHEMA), temperature=0,
                   max_tokens=10)
    json_rows = [{"text": f"n={i}" if i % 3 else f"the number {i}"} for i in range(20)]
    plain_rows = [{"text": f"Say {i}."} for i in range(160)]
    items = build_grid(base, json_rows, column="text", modes=["json_object", "json_schema"])
    items += build_grid(replace(base, mode="none", max_tokens=2), plain_rows, column="text")
    assert len(items) == 200
    live = run_batch(items, None)
    with batch_api.JobClient(base, None) as client:
        info = batch_api.submit(client, items)
        started = time.monotonic()
        while not (info := client.retrieve(info.id)).finished:
            assert time.monotonic() - started < 2 * WAIT_S, f"the job is still {info.status}: {info.done} of 200"
            time.sleep(1)
        assert info.status == "completed" and info.completed + info.failed == 200
        res = batch_api.read_results(batch_api.items_from_input(client.content(info.input_file_id), base,
                                                                batch_api.load_sidecar(info.id)),
                                     client.content(info.output_file_id) if info.output_file_id else None,
                                     client.content(info.error_file_id) if info.error_file_id else None)
    assert not res.not_run and not res.problems
    columns = ["row", "mode", "verdict", "output", "first_error", "output_tokens"]
    job_table = outcome_table(res.outcomes)[columns]
    live_table = outcome_table(live)[columns]
    assert job_table.to_dict("records") == live_table.to_dict("records")
    assert {"valid", "invalid"} & set(job_table["verdict"][:40])  # the JSON rows: answers, not errors
