"""Domain helpers behind the playground: image checks, JSON diff, history, display text."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from PIL import Image

from structured_output.diff import DiffRow, diff_table, json_diff, json_type, text_diff
from structured_output.display import error_excerpt, md_escape, pretty_raw, run_facts
from structured_output.errors import CallError
from structured_output.images import ImageRejected, read_upload, read_url
from structured_output.request import MAX_IMAGE_BYTES, ImageInput, Request
from structured_output.result import RunResult, Usage, finish
from structured_output.runs.history import REDACTED, History, scrub_secret


def image_bytes(fmt: str, size: tuple[int, int] = (8, 6)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format=fmt)
    return buf.getvalue()


# ---------------------------------------------------------------- images

@pytest.mark.parametrize(("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
def test_accepted_formats_get_the_decoded_mime_type(fmt: str, mime: str) -> None:
    img = read_upload(image_bytes(fmt), "pic.bin")  # the name's extension does not matter
    assert img.mime == mime and img.data and img.name == "pic.bin"


def test_a_gif_renamed_png_is_named_for_what_it_is() -> None:
    with pytest.raises(ImageRejected, match="is a GIF image; only PNG, JPEG and WebP"):
        read_upload(image_bytes("GIF"), "really-a-gif.png")


def test_a_text_file_is_not_an_image() -> None:
    with pytest.raises(ImageRejected, match=r"notes\.png is not an image Pillow can read"):
        read_upload(b"just some text, not pixels", "notes.png")


def test_a_truncated_png_is_damaged() -> None:
    data = image_bytes("PNG", (64, 64))
    with pytest.raises(ImageRejected, match="damaged"):
        read_upload(data[: len(data) // 2], "cut.png")


def test_size_limit_message_gives_both_sizes() -> None:
    with pytest.raises(ImageRejected, match=r"big\.png is 10\.0 MB; the limit is 10 MB per image"):
        read_upload(b"\0" * (MAX_IMAGE_BYTES + 1), "big.png")


def test_empty_file() -> None:
    with pytest.raises(ImageRejected, match="empty"):
        read_upload(b"", "zero.png")


def test_urls() -> None:
    assert read_url(" https://example.com/a/receipt.jpg ").url == "https://example.com/a/receipt.jpg"
    assert read_url("http://127.0.0.1:8000/x.png").name == "x.png"
    assert read_url("data:image/png;base64,AAAA").url.startswith("data:image/png")
    for bad in ("", "example.com/x.png", "ftp://example.com/x.png", "https://", "data:text/plain;base64,AA"):
        with pytest.raises(ImageRejected):
            read_url(bad)


# ---------------------------------------------------------------- diff

def test_json_diff_marks_keys_types_and_values() -> None:
    left = {"name": "Alex Brown", "age": "34 years old", "email": "a@b.c", "tags": [1, 2]}
    right = {"name": "Alex Brown", "age": 34, "hobby": "basketball", "tags": [1, 3, 4]}
    rows = json_diff(left, right)
    assert rows == [
        DiffRow("$.age", "type", "34 years old", 34),
        DiffRow("$.email", "removed", "a@b.c", None),
        DiffRow("$.tags[1]", "value", 2, 3),
        DiffRow("$.tags[2]", "added", None, 4),
        DiffRow("$.hobby", "added", None, "basketball"),
    ]
    table = diff_table(rows)
    assert table[0] == {"path": "$.age", "change": "type", "left": '"34 years old"', "right": "34"}
    assert table[1]["right"] == "" and table[3]["left"] == ""


def test_json_diff_equal_and_number_types() -> None:
    assert json_diff({"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}) == []
    assert json_diff(1, 1.0) == [DiffRow("$", "type", 1, 1.0)]  # integer vs number matters to a schema
    assert json_diff(True, 1) == [DiffRow("$", "type", True, 1)]
    assert json_type(True) == "boolean" and json_type(None) == "null"


def test_text_diff_pretty_prints_json_first() -> None:
    out = text_diff('{"b": 1, "a": 2}', '{"a": 2, "b": 5}', "run 1", "run 2")
    assert "--- run 1" in out and '-  "b": 1' in out and '+  "b": 5' in out
    assert text_diff("same", "same") == ""


# ---------------------------------------------------------------- history

def test_history_keeps_private_copies_newest_first_and_is_bounded() -> None:
    h = History(limit=3)
    req = Request(model="qwen-flash", user_text="hi", images=[ImageInput(data=b"x", name="a.png")])
    first = h.add(req, RunResult(content="{}"), at=datetime(2025, 1, 1, 9, 30, 5))
    req.user_text = "edited later"
    req.images[0].name = "renamed"
    assert first.request.user_text == "hi" and first.request.images[0].name == "a.png"
    for _ in range(4):
        h.add(req, RunResult())
    assert len(h) == 3 and [e.id for e in h.entries] == [5, 4, 3]
    assert h.get(1) is None and h.get(5) is h.entries[0]
    assert "09:30:05" in first.label and "qwen-flash" in first.label and "JSON Object" in first.label


def test_history_rows_and_output_text() -> None:
    h = History()
    ok = finish(RunResult(content='{"a": 1}', latency_s=1.234, usage=Usage(10, 5)), {"type": "object"})
    e = h.add(Request(model="m", mode="json_schema"), ok)
    assert e.row() | {"time": "x"} == {"run": 1, "time": "x", "model": "m", "endpoint": "local/compatible",
                                        "mode": "JSON Schema", "verdict": "valid", "latency (s)": 1.23, "tokens": 15}
    err = h.add(Request(), RunResult(error=CallError("auth", "bad key", "check it", 401)))
    assert err.output_text() == "(error) HTTP 401: bad key" and err.verdict == "error"


def test_scrub_secret_removes_the_key_everywhere_the_server_echoed_it() -> None:
    key = "sk-very-secret-123"
    r = RunResult(raw={"error": {"message": f"Incorrect API key provided: {key}"}, "list": [key]},
                  content=f"echo {key}", error=CallError("auth", f"bad {key}", f"hint {key}", 401))
    scrub_secret(r, key)
    dumped = json.dumps(r.raw) + (r.content or "") + r.error.message + r.error.hint  # type: ignore[union-attr]
    assert key not in dumped and REDACTED in dumped
    untouched = RunResult(content="abc")
    assert scrub_secret(untouched, None).content == "abc" and scrub_secret(untouched, "").content == "abc"


# ---------------------------------------------------------------- display

def test_md_escape_makes_model_output_inert() -> None:
    out = md_escape("<script>alert(1)</script> [link](http://x) **b** :red[x] $x$")
    for raw in ("<script>", "[link](", "**b**", ":red[", "$x$"):
        assert raw not in out
    assert out.replace("\\", "").replace("\u2060", "") == "<script>alert(1)</script> [link](http://x) **b** :red[x] $x$"
    # GFM links bare URLs and addresses after escapes are resolved: a word joiner breaks each one
    for link in ("http://evil.example", "HTTPS://evil.example", "www.evil.example", "me@evil.example"):
        assert link not in md_escape(link).replace("\\", "")


def test_error_excerpt_marks_the_offending_character_in_place() -> None:
    content = '{\n  "name": "Alex",\n  "age": ,\n  "x": 1\n}'
    try:
        json.loads(content)
    except json.JSONDecodeError as e:
        line, col = e.lineno, e.colno
    out = error_excerpt(content, line, col).split("\n")
    assert out == ['1 │ {', '2 │   "name": "Alex",', '3 │   "age": ▶,◀', '4 │   "x": 1', '5 │ }']


def test_error_excerpt_at_the_end_of_a_cut_off_output() -> None:
    content = '{"name": "Alex Brown", '
    assert error_excerpt(content, 1, 24) == '1 │ {"name": "Alex Brown", ▶end of output◀'
    assert error_excerpt('{"a": 1', None, None) == '1 │ {"a": 1▶end of output◀'
    assert error_excerpt('{"a":\n', 1, 6).split("\n")[0] == '1 │ {"a":▶end of line◀'


def test_error_excerpt_windows_a_long_line_around_the_mark() -> None:
    content = '{"a": "' + "x" * 200 + '" oops "' + "y" * 200 + '"}'
    out = error_excerpt(content, 1, 209, width=40)
    assert out.startswith("1 │ …") and out.endswith("…") and len(out) < 100
    assert f"{content[170:208]}▶{content[208]}◀{content[209:249]}…" in out


def test_pretty_raw_and_facts() -> None:
    assert pretty_raw(None) == "" and json.loads(pretty_raw({"a": "é"})) == {"a": "é"}
    assert pretty_raw([{"a": 1}, {"b": 2}]) == '{"a": 1}\n{"b": 2}'  # a stream: one chunk a line
    facts = dict(run_facts(RunResult(finish_reason="length", usage=Usage(54, 18), latency_s=0.25, ttft_s=None,
                                     served_by="local-gemma3-270m", retries=1)))
    assert facts == {"Finish": "length", "Tokens": "54 in · 18 out · 72", "Latency": "250 ms",
                     "First token": "–", "Served by": "local-gemma3-270m", "Retries": "1"}
