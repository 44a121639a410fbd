"""A run shared as a file and as a link: round trips, never the key, bad files named by field."""

from __future__ import annotations

import json

import pytest

from structured_output.errors import CallError
from structured_output.lint import lint
from structured_output.request import ImageInput, Request, VideoInput
from structured_output.result import RunResult, Usage, finish
from structured_output.runs.history import scrub_secret
from structured_output.runs.retries import next_request
from structured_output.workbench.share import (
    LINK_IMAGE_LIMIT,
    ShareError,
    dumps,
    from_link,
    read_run_file,
    run_file,
    to_link,
)

KEY = "sk-canary-0123456789abcdef"
SCHEMA = json.dumps({"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]})


def _req(**kw: object) -> Request:
    return Request(mode="json_object", system_prompt="Answer in JSON.", user_text="Alex is 34.", schema_text=SCHEMA,
                   images=[ImageInput("image/png", b"\x89PNG small", name="small.png")], **kw)  # type: ignore[arg-type]


def _done(req: Request, content: str) -> RunResult:
    return finish(RunResult(raw={"choices": [{"message": {"content": content}}], "echo": KEY}, content=content,
                            finish_reason="stop", usage=Usage(30, 6), latency_s=1.2), req.schema())


def test_a_retried_run_round_trips_through_its_file_without_the_key() -> None:
    first = _req(custom_base_url="http://user:s3cretpass@example.test:8000/v1?token=x", endpoint="custom")
    bad = scrub_secret(_done(first, '{"age": "34"}'), KEY)
    second = next_request(first, bad)
    good = scrub_secret(_done(second, '{"age": 34}'), KEY)
    data = dumps(run_file([(first, bad), (second, good)], lint(first)))
    text = data.decode()
    assert KEY not in text and "s3cretpass" not in text and "token=x" not in text and "user:" not in text
    content = json.loads(text)
    assert content["verdict"] == "valid" and [a["verdict"] for a in content["attempts"]] == ["invalid", "valid"]
    assert content["attempts"][0]["validation_errors"][0]["path"] == "$.age"
    assert content["attempts"][0]["raw"]["echo"] == "[redacted key]"
    assert content["lint"] and all({"level", "message"} <= set(f) for f in content["lint"])

    back = read_run_file(data)
    assert back.request.user_text == first.user_text and back.request.images[0].data == b"\x89PNG small"
    assert back.request.custom_base_url == "http://example.test:8000/v1" and back.request.followups == []
    assert [a.result.verdict for a in back.attempts] == ["invalid", "valid"]  # derived again, not read
    assert back.attempts[1].request.followups == second.followups
    assert back.attempts[1].result.usage.total_tokens == 36


def test_the_file_is_checked_not_trusted() -> None:
    req = _req()
    good = json.loads(dumps(run_file([(req, _done(req, '{"age": 34}'))], [])))
    good["attempts"][0]["verdict"] = "invalid"  # a file that lies about its verdict
    good["attempts"][0]["content"] = '{"age": "old"}'
    assert read_run_file(json.dumps(good).encode()).attempts[0].result.verdict == "invalid"
    good["attempts"][0]["content"] = '{"age": 34}'
    assert read_run_file(json.dumps(good).encode()).attempts[0].result.verdict == "valid"


@pytest.mark.parametrize(("data", "words"), [
    (b"{not json", "not valid JSON at line 1, column 2"),
    (b'{"format": "preset"}', "its field `format` is not"),
    (b'{"format": "structured-output-playground/run", "version": 9}', "Field `version` is 9"),
    (b'{"format": "structured-output-playground/run", "version": 1, "attempts": []}', "no field `request`"),
    (b'{"format": "structured-output-playground/run", "version": 1, "request": {"mode": "xml"}, "attempts": [{}]}',
     "Field `request.mode` must be one of none, json_object, json_schema, not 'xml'"),
    (b'{"format": "structured-output-playground/run", "version": 1, "request": {}, "attempts": [{"request": {}, '
     b'"content": 5}]}', "Field `attempts[0].content` must be text or null"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_a_bad_file_says_which_field(data: bytes, words: str) -> None:
    with pytest.raises(ShareError) as e:
        read_run_file(data)
    assert words in e.value.message and e.value.hint


def test_a_link_round_trips_the_request_and_leaves_big_images_and_frames_out() -> None:
    big = ImageInput("image/png", b"x" * (LINK_IMAGE_LIMIT + 1), name="photo.png")
    req = _req(video=VideoInput(frames=[ImageInput("image/png", b"f")], times=[0.0]))
    req.images.append(big)
    link = to_link(req)
    assert link.left_out == [f"image photo.png ({(LINK_IMAGE_LIMIT + 1) // 1024} KB)", "the video's 1 sampled frames"]
    back = from_link(link.query)
    assert back.user_text == req.user_text and back.schema_text == SCHEMA and back.mode == "json_object"
    assert [i.name for i in back.images] == ["small.png"] and back.video is None
    assert "sk-" not in link.query and len(link.query) < 2000
    for damaged in (link.query[: len(link.query) // 2], "!!!", ""):
        with pytest.raises(ShareError, match=r"damaged|does not hold"):
            from_link(damaged)


def test_a_failed_call_is_shared_with_its_error() -> None:
    req = _req()
    failed = RunResult(error=CallError("rate_limit", "Too many", "Wait.", 429), latency_s=0.1)
    back = read_run_file(dumps(run_file([(req, failed)], [])))
    err = back.attempts[0].result.error
    assert err is not None and err.kind == "rate_limit" and err.status == 429
    assert back.attempts[0].result.verdict == "error"
