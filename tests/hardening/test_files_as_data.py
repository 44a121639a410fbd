"""Preset and batch files (and the batch template) are read as data: code-looking payloads stay text,
nothing in them runs, and malformed files are refused with a message naming the file and the place.
Hypothesis properties check that arbitrary bytes never escape as anything but the module's own error.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_engine.errors import EngineError
from local_engine.shapes.fields import parse_json_body
from structured_output.display import WORD_JOINER, md_escape
from structured_output.errors import CallError
from structured_output.presets import PresetError, import_presets, load_preset_file
from structured_output.request import Request
from structured_output.result import RunResult, finish
from structured_output.runs.batch import BatchError, build_items, fill, read_rows, run_batch
from structured_output.runs.history import REDACTED
from tests.hardening.figures import BadInput, Figures

pytestmark = pytest.mark.hardening

MARKER_ENV = "SOP_HARDENING_MARKER"


def payloads(marker: Path) -> list[str]:
    """Strings that would create ``marker`` (or expand) if anything evaluated, formatted or templated them."""
    m = str(marker)
    return [
        f"__import__('pathlib').Path({m!r}).write_text('pwned')",
        f"{{{{ ''.__class__.__mro__[1].__subclasses__() }}}} {{% include {m!r} %}}",
        f"!!python/object/apply:os.system ['touch {m}']",
        f"${{jndi:ldap://x}} $(touch {m}) `touch {m}`",
        "{text.__class__.__init__.__globals__}",
        "{0.__class__} %(x)s %s {}",
        "<script>alert(1)</script>",
    ]


def test_preset_file_with_code_looking_values_is_text(tmp_path: Path, fig: Figures) -> None:
    marker = tmp_path / "PWNED"
    for i, payload in enumerate(payloads(marker)):
        data = {"format": 1, "id": f"payload-{i}", "title": payload, "description": payload, "section": payload,
                "model": "qwen-plus", "mode": "json_object", "system_prompt": payload,
                "user_text": f"JSON please. {payload}", "schema": {"type": "object", "description": payload},
                "expect": {"outcome": "json"}}
        preset = import_presets(json.dumps(data).encode(), "payload.json")[0]
        req = preset.request()
        assert req.system_prompt == payload and payload in req.user_text
        assert json.loads(req.schema_text)["description"] == payload
    assert not marker.exists()
    fig.bad_inputs.append(BadInput("preset with __import__/{{ }}/!!python tags", "domain",
                                   "read as text, nothing ran", True))


@pytest.mark.parametrize(("data", "needle"), [
    (b"\xff\xfe not utf-8", "not UTF-8 text"),
    (b"!!python/object/apply:os.system ['true']", "not valid JSON"),
    (b"title: yaml\nmodel: qwen-plus\n", "not valid JSON"),
    (b'{"format": 1, "id": "x", "title": "t", "model": "qwen-plus", "mode": "eval(1)"}', "`mode`"),
    (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    (b"[]", "empty list"),
    (b'"__import__(\'os\')"', "str"),
])
def test_malformed_preset_files_are_refused_with_the_place(data: bytes, needle: str, fig: Figures) -> None:
    with pytest.raises(PresetError) as info:
        import_presets(data, "bad.json")
    assert "bad.json" in str(info.value) and needle in str(info.value)
    fig.bad_inputs.append(BadInput(f"preset file {data[:24]!r}", "domain", str(info.value), True))


def test_batch_rows_with_code_looking_values_are_text(tmp_path: Path, fig: Figures) -> None:
    marker = tmp_path / "PWNED"
    lines = [json.dumps({"text": p, "n": {"nested": p}}) for p in payloads(marker)]
    rows = read_rows("\n".join(lines).encode(), "rows.jsonl")
    items = build_items(Request(model="qwen-flash"), rows, template="Extract JSON from: {text} | {n}")
    for item, payload in zip(items, payloads(marker), strict=True):
        assert item.request.user_text.startswith(f"Extract JSON from: {payload} | ")
    csv_rows = read_rows(("text\n" + "\n".join(json.dumps(p) for p in payloads(marker))).encode(), "rows.csv")
    assert [r["text"] for r in csv_rows] == payloads(marker)
    assert not marker.exists()
    fig.bad_inputs.append(BadInput("batch rows with __import__/{{ }}/format fields", "domain",
                                   "filled in verbatim, nothing ran", True))


@pytest.mark.parametrize(("template", "needle"), [
    ("{text:>999999999}", "has a format of its own"),  # str.format would allocate a gigabyte
    ("{text!r}", "has a format of its own"),
    ("{text:{text}}", "has a format of its own"),
    ("{text.__class__.__init__.__globals__}", "no such column"),
    ("{text[0]}", "no such column"),
    ("{unclosed", "malformed"),
])
def test_batch_template_takes_plain_placeholders_only(template: str, needle: str, fig: Figures) -> None:
    with pytest.raises(BatchError, match="template") as info:
        build_items(Request(model="qwen-flash"), [{"text": "hello"}], template=template)
    assert needle in str(info.value)
    fig.bad_inputs.append(BadInput(f"batch template {template[:30]}", "domain", str(info.value), True))


def test_odd_column_names_are_plain_keys() -> None:
    row = {"a.b": "dotted", "0": "zero", "text": "{text} {0}"}
    assert fill("{a.b}/{0}/{text}", row) == "dotted/zero/{text} {0}"
    assert fill("{{literal}} {text}", row) == "{literal} {text} {0}"


@pytest.mark.parametrize(("data", "name", "needle"), [
    ("Zürich,München\n".encode("latin-1"), "rows.csv", "not UTF-8 text (byte 1, line 1)"),
    (b"text\n\x81\x82\n", "rows.txt", "not UTF-8 text"),
    (b'{"text": "a"}\n{"text": \n', "rows.jsonl", "line 2, column 10: not JSON"),
    (b'["a"]\n', "rows.jsonl", "a JSON list, not an object"),
    (b"a,b\n1,2,3\n", "rows.csv", "line 2: more values than header columns"),
    (b",\n1,2\n", "rows.csv", "header naming every column"),
    (b"\n\n  \n", "rows.txt", "has no rows"),
])
def test_malformed_batch_files_say_where(data: bytes, name: str, needle: str, fig: Figures) -> None:
    with pytest.raises(BatchError) as info:
        read_rows(data, name)
    assert needle in str(info.value)
    fig.bad_inputs.append(BadInput(f"batch file {name} {data[:16]!r}", "domain", str(info.value), True))


def test_a_batch_never_keeps_a_key_the_server_echoed() -> None:
    """Rows end up in the table and the CSV/JSONL downloads: an echoed key is redacted there."""
    secret = "sk-hardening-canary-batch-0451"

    def echoing(req: Request, key: str | None) -> RunResult:
        err = CallError("auth", f"Incorrect API key provided: {key}.", "Check the key.", 401)
        return finish(RunResult(error=err, raw={"error": {"message": f"bad key {key}"}}, content=f"{key}"), None)

    outcomes = run_batch(build_items(Request(model="qwen-flash"), [{"text": "a"}], column="text"), secret,
                         runner=echoing)
    result = outcomes[0].result
    assert secret not in repr(result) and REDACTED in result.error.message and result.content == REDACTED


# ---------------------------------------------------------------- properties

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ODD_BYTES = st.binary(max_size=300) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))


@FAST
@given(ODD_BYTES, st.sampled_from(["x.csv", "x.jsonl", "x.txt"]))
def test_reading_any_bytes_as_rows_never_raises_anything_else(data: bytes, name: str) -> None:
    try:
        rows = read_rows(data, name)
    except BatchError as e:
        assert name in str(e)
        return
    assert rows and all(isinstance(k, str) and isinstance(v, str) for row in rows for k, v in row.items())


@FAST
@given(ODD_BYTES)
def test_importing_any_bytes_as_presets_never_raises_anything_else(data: bytes) -> None:
    try:
        import_presets(data, "any.json")
    except PresetError as e:
        assert "any.json" in str(e)


@FAST
@given(st.text(max_size=80), st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=4))
def test_any_template_either_fills_verbatim_or_is_a_batch_error(template: str, row: dict[str, str]) -> None:
    try:
        out = fill(template, row)
    except BatchError:
        return
    assert len(out) <= len(template) + sum(len(v) for v in row.values()) * template.count("{")


@FAST
@given(ODD_BYTES)
def test_the_engine_body_reader_answers_400_or_a_dict(data: bytes) -> None:
    try:
        body = parse_json_body(data)
    except EngineError as e:
        assert e.status == 400 and e.message
        return
    assert isinstance(body, dict)


def test_a_preset_file_on_disk_is_read_not_imported(tmp_path: Path) -> None:
    """A ``.json`` that is Python is just a bad JSON file; a ``.py`` beside it is never looked at."""
    (tmp_path / "evil.py").write_text("raise SystemExit('imported!')\n")
    bad = tmp_path / "evil.json"
    bad.write_text("import os; os.system('true')\n")
    with pytest.raises(PresetError, match="not valid JSON"):
        load_preset_file(bad)


_GFM_LINK = re.compile(r"(?i)(https?://|www\.)[-.\w]+|[-.\w+]+@[-\w]+(\.[-\w]+)+")


@FAST
@given(st.text(max_size=120) | st.sampled_from(["http://evil.example", "see www.x.io/a", "me@evil.example",
                                                   "HTTPS://A.B", "[x](https://y.z)", "ftp://f.example"]))
def test_escaped_text_reads_the_same_and_holds_nothing_gfm_would_link(text: str) -> None:
    """What GFM would auto-link after escapes are resolved (URLs, www., addresses) is broken in
    ``md_escape``'s output, and removing the escapes and the joiners gives the text back."""
    shown = re.sub(r"\\(.)", r"\1", md_escape(text), flags=re.DOTALL)  # what Markdown shows
    assert _GFM_LINK.search(shown) is None
    assert shown.replace(WORD_JOINER, "").replace("  \n", "\n") == text
