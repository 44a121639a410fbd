"""The shipped presets (every one loads, becomes a sendable Request and records what the reference
documents), the file format's errors (they name the file and the field), user presets, export and
import. No server needed; ``test_presets_engine.py`` runs them against the local engine."""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from structured_output.errors import CallError
from structured_output.lint import MISSING_JSON_ERROR, can_send, lint
from structured_output.presets import (
    MAX_PRESET_BYTES,
    PREVIOUS_CONTENT,
    Documented,
    Expectation,
    Preset,
    PresetError,
    assets_dir,
    delete_user_preset,
    export_preset,
    export_presets,
    followup_needed,
    followup_request,
    get_preset,
    import_presets,
    load_preset_file,
    load_presets,
    load_user_presets,
    outcome_problems,
    preset_to_request,
    presets_dir,
    request_to_preset,
    save_user_preset,
    user_presets_dir,
)
from structured_output.request import ImageInput, Request
from structured_output.result import ParseOutcome, RunResult, ValidationOutcome, ValidationRow

ROOT = Path(__file__).resolve().parents[2]
PRESETS = load_presets()
# every client form of every example, each resolved into a preset of its own
FORMS = [v for p in PRESETS for v in p.variants()]
# examples by id, and their forms by the id each had as a preset of its own
BY_ID = {p.id: p for p in PRESETS} | {v.form.former_id: v for v in FORMS if v.form and v.form.former_id}


def form_id(p: Preset) -> str:
    return f"{p.id}/{p.form_id}" if p.form_id else p.id


def preset_json(preset_id: str) -> dict:
    path = next(p for p in presets_dir().glob("*.json") if json.loads(p.read_text())["id"] == preset_id)
    return json.loads(path.read_text())


# ---------------------------------------------------------------- the shipped library

def test_presets_dir_is_the_checkout_folder_from_any_cwd(tmp_path: Path) -> None:
    assert presets_dir() == ROOT / "presets"
    out = subprocess.run([sys.executable, "-c", "from structured_output.presets import load_presets; "
                          "print(len(load_presets()))"], cwd=tmp_path, capture_output=True, text=True, check=True,
                         env={k: v for k, v in os.environ.items() if k != "SOP_PRESETS_DIR"})
    assert int(out.stdout) == len(PRESETS)


def test_ids_are_unique_and_files_numbered_in_reference_order() -> None:
    assert len({p.id for p in PRESETS}) == len(PRESETS) >= 11
    names = sorted(p.name for p in presets_dir().glob("*.json"))
    assert all(re.match(r"^\d\d-[a-z0-9-]+\.json$", n) for n in names)
    for name in names:  # the file name is the id behind its number, so both are findable
        assert json.loads((presets_dir() / name).read_text())["id"] == name[3:-5]


def test_issue_5_items_are_all_there() -> None:
    """The eleven items the preset library must cover, each by its distinguishing fields."""
    gs = BY_ID["getting-started-compatible"]
    assert (gs.protocol, gs.model, gs.mode) == ("compatible", "qwen-flash", "json_object")
    assert gs.system_prompt.startswith("Extract the name and age") and "Alex Brown" in gs.user_text
    native = BY_ID["getting-started-native"]
    assert native.protocol == "native" and native.user_text == gs.user_text
    curl = BY_ID["getting-started-curl-few-shot"]
    assert "25 years old" in curl.system_prompt and curl.system_prompt.count("Q:") == 3
    for pid, protocol in (("image-ticket-invoice-compatible", "compatible"), ("image-ticket-invoice-native", "native")):
        p = BY_ID[pid]
        assert p.protocol == protocol and p.model == "qwen3-vl-plus" and p.images[0].asset == "receipt.png"
        assert set(p.documented.value) == {"ticket", "invoice"}
    opt = BY_ID["optimize-prompts-compatible"]
    assert "hobby" in opt.system_prompt and '"hobby": ["singing"]' in opt.system_prompt
    ui = BY_ID["json-schema-user-info"]
    assert ui.mode == "json_schema" and ui.json_schema["required"] == ["name", "age"]
    assert "email" in ui.json_schema["properties"]
    parse = BY_ID["json-schema-parse-userinfo"]
    assert parse.call == "parse" and parse.parse_model.name == "UserInfo"
    assert parse.json_schema["additionalProperties"] is False and parse.strict
    assert BY_ID["config-required-fields"].json_schema["required"] == ["name", "age"]
    assert BY_ID["config-optional-null"].json_schema["properties"]["email"]["type"] == ["string", "null"]
    assert BY_ID["config-additional-properties-true"].json_schema["additionalProperties"] is True
    assert BY_ID["config-additional-properties-false"].json_schema["additionalProperties"] is False
    err = BY_ID["missing-json-keyword-error"]
    assert err.expect.outcome == "error" and err.expect.error_text == MISSING_JSON_ERROR
    assert "json" not in (err.system_prompt + err.user_text).lower()
    flow = BY_ID["faq-thinking-repair"]
    assert flow.enable_thinking is True and flow.mode == "none" and flow.stream
    repair = flow.followups[0]
    assert (repair.model, repair.mode, repair.run_if) == ("qwen-flash", "json_object", "previous_not_json")
    assert repair.user_text == PREVIOUS_CONTENT
    trunc = BY_ID["going-live-max-tokens-truncated"]
    assert trunc.max_tokens is not None and trunc.expect.outcome == "truncated"


@pytest.mark.parametrize("preset", FORMS, ids=form_id)
def test_every_preset_becomes_a_sendable_request(preset: Preset) -> None:
    req = preset_to_request(preset)
    assert isinstance(req, Request) and req.endpoint == "local"
    assert (req.model, req.mode, req.protocol) == (preset.model, preset.mode, preset.protocol)
    assert can_send(lint(req)), [f.message for f in lint(req)]
    for img in req.images:
        assert img.data and img.mime == "image/png"
    if preset.mode == "json_schema":
        assert req.schema() is not None, "the schema text must parse"
    # Request round trip through its own dict form keeps everything
    assert Request.from_dict(req.to_dict()) == req
    for i, step in enumerate(preset.followups):
        follow = followup_request(preset, i, '{"a": 1}')
        assert follow.model == step.model and PREVIOUS_CONTENT not in follow.user_text


@pytest.mark.parametrize("preset", FORMS, ids=form_id)
def test_documented_results_are_copied_faithfully(preset: Preset) -> None:
    doc = preset.documented
    assert doc is not None and doc.return_result.strip(), "every preset carries the reference's text"
    assert preset.section and preset.description
    if doc.kind == "content":
        assert doc.value == json.loads(doc.return_result)
    if doc.kind == "response_body":
        body = json.loads(doc.return_result)
        choices = body.get("choices") or body["output"]["choices"]
        content = choices[0]["message"]["content"]
        if isinstance(content, list):  # a native multimodal answer: a list of {"text"} items
            content = content[0]["text"]
        assert doc.value == json.loads(content)
    if doc.kind in ("printed", "described") and doc.has_value:
        assert doc.value_note, "a derived value says how it was derived"
    if doc.kind == "error":
        assert preset.expect.error_text == doc.return_result
    if preset.expect.outcome == "error":
        assert preset.expect.status == 400


def test_no_product_file_reads_the_shared_reference() -> None:
    """Presets carry their own copy: nothing shipped points back at ../shared."""
    for path in [*presets_dir().glob("*.json"), *(ROOT / "structured_output").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "shared/reference" not in text and "../shared" not in text, path


def test_parse_presets_hold_the_schema_the_openai_sdk_sends() -> None:
    spec = importlib.util.spec_from_file_location("make_parse_schemas", ROOT / "scripts" / "make_parse_schemas.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    parse_presets = [p for p in FORMS if p.call == "parse" and p.parse_model.language == "python"]
    assert len(parse_presets) >= 2
    for p in parse_presets:
        rf = mod.sdk_response_format(p.parse_model.source, p.parse_model.name)
        assert rf["type"] == "json_schema"
        assert (p.schema_name, p.strict, p.json_schema) == (rf["json_schema"]["name"], rf["json_schema"]["strict"],
                                                           rf["json_schema"]["schema"])
        assert "to_strict_json_schema" in p.parse_model.schema_generated_by
    optional = BY_ID["going-live-parse-optional-email"].json_schema
    assert optional["required"] == ["name", "age", "email"]  # parse makes the Optional field required-nullable
    assert {"type": "null"} in optional["properties"]["email"]["anyOf"]


def test_receipt_asset_is_a_real_png_carrying_the_documented_values() -> None:
    data = (assets_dir() / "receipt.png").read_bytes()
    img = Image.open(io.BytesIO(data))
    assert img.format == "PNG" and img.width >= 800 and img.height >= 1000
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed: cannot read the receipt back")
    text = subprocess.run(["tesseract", str(assets_dir() / "receipt.png"), "-"], capture_output=True, text=True,
                          check=True).stdout
    doc = BY_ID["image-ticket-invoice-compatible"].documented.value
    ticket, invoice = doc["ticket"][0], doc["invoice"][0]
    for value in [*ticket.values(), *invoice.values()]:
        assert value in text, f"tesseract did not read {value!r}"


# ---------------------------------------------------------------- bad files name the field

GOOD = {k: v for k, v in preset_json("getting-started").items() if k != "forms"}  # one form, the Python one


def bad(**changes: object) -> str:
    data = dict(GOOD)
    for k, v in changes.items():
        if v is ...:
            data.pop(k, None)
        else:
            data[k] = v
    with pytest.raises(PresetError) as e:
        load_preset_file(json.dumps(data).encode(), "presets/x.json")
    return str(e.value)


def test_bad_mode_names_the_field_and_the_choices() -> None:
    assert bad(mode="jsn") == ("presets/x.json: field `mode` must be one of none, json_object, json_schema "
                               "(got 'jsn')")


@pytest.mark.parametrize(("changes", "expected"), [
    ({"model": ...}, "field `model` is required"),
    ({"modell": "qwen-plus"}, "field `modell` is not a preset field (did you mean `model`?)"),
    ({"protocol": "grpc"}, "field `protocol` must be one of compatible, native (got 'grpc')"),
    ({"id": "Has Spaces"}, "field `id` must be lowercase letters"),
    ({"max_tokens": 0}, "field `max_tokens` must be greater than or equal to 1"),
    ({"temperature": "hot"}, "field `temperature` must be a valid number"),
    ({"images": ["../../etc/passwd"]}, "field `images[0].asset` must be a plain file name"),
    ({"images": ["missing.png"]}, "field `images[0].asset` names no file in presets/assets"),
    ({"images": [{"url": "ftp://x/y.png"}]}, "field `images[0].url` must start with http:// or https://"),
    ({"images": [{"data_b64": "not base64!"}]}, "field `images[0].data_b64` is not valid base64"),
    ({"images": [{"data_b64": base64.b64encode(b"hello").decode()}]}, "does not hold a PNG, JPEG or WebP image"),
    ({"images": [{"asset": "receipt.png", "url": "https://x/y.png"}]}, "exactly one of `asset`, `url` or `data_b64`"),
    ({"expect": {"outcome": "error"}}, "field `expect`: an `error` outcome needs `error_text` or `error_contains`"),
    ({"expect": {"outcome": "maybe"}}, "field `expect.outcome` must be one of json, valid, error, truncated, text"),
    ({"mode": "json_schema"}, "`mode` json_schema needs a `schema`"),
    ({"schema": 5, "mode": "json_schema"}, "field `schema` must be a JSON object or a string (got int)"),
    ({"call": "parse"}, "`call` parse sends a JSON Schema"),
    ({"documented": {"kind": "printed", "return_reslt": "x"}}, "field `documented.return_reslt` is not a preset field"),
    ({"followups": [{"title": "x", "model": "m", "mode": "jsn", "expect": {"outcome": "json"}}]},
     "field `followups[0].mode` must be one of none, json_object, json_schema"),
])
def test_bad_fields_are_named(changes: dict, expected: str) -> None:
    msg = bad(**changes)
    assert msg.startswith("presets/x.json: ")
    assert expected in msg


def test_not_json_not_an_object_and_too_large() -> None:
    with pytest.raises(PresetError, match=r"x.json: not valid JSON: .*\(line 1, column \d+\)"):
        load_preset_file(b'{"id": "a",,}', "x.json")
    with pytest.raises(PresetError, match="must hold a JSON object \\(got list\\)"):
        load_preset_file(b"[1, 2]", "x.json")
    with pytest.raises(PresetError, match="larger than 16 MB"):
        load_preset_file(b" " * (MAX_PRESET_BYTES + 1), "x.json")
    with pytest.raises(PresetError, match="not UTF-8"):
        load_preset_file(b"\xff\xfe{", "x.json")
    with pytest.raises(PresetError, match="nested too deeply"):
        load_preset_file(b"[" * 100_000, "x.json")


def test_a_file_on_disk_is_named_relative_to_the_checkout(tmp_path: Path) -> None:
    p = presets_dir() / "02-getting-started.json"
    assert load_preset_file(p).id == "getting-started"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(dict(GOOD, mode="jsn")))
    with pytest.raises(PresetError) as e:
        load_preset_file(broken)
    assert str(e.value).startswith(f"{broken}: field `mode`") and e.value.field == "mode"


def test_duplicate_ids_in_a_folder_are_refused(tmp_path: Path) -> None:
    for name in ("01-a.json", "02-b.json"):
        (tmp_path / name).write_text(json.dumps(GOOD))
    with pytest.raises(PresetError, match="already used by"):
        load_presets(tmp_path)


def test_comment_keys_are_ignored() -> None:
    p = load_preset_file(json.dumps({"_about": "a comment", **GOOD}).encode())
    assert p.id == GOOD["id"]


# ---------------------------------------------------------------- user presets, export, import

@pytest.fixture
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "user-presets"
    monkeypatch.setenv("SOP_USER_PRESETS_DIR", str(d))
    return d


def test_user_presets_dir_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SOP_USER_PRESETS_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert user_presets_dir() == tmp_path / "structured-output-playground" / "presets"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert user_presets_dir() == Path.home() / ".local/share/structured-output-playground/presets"
    monkeypatch.setenv("SOP_USER_PRESETS_DIR", str(tmp_path / "x"))
    assert user_presets_dir() == tmp_path / "x"


def test_save_a_playground_request_and_load_it_back(user_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-secret-never-saved-1234")
    png = (assets_dir() / "receipt.png").read_bytes()
    req = Request(model="qwen-plus", endpoint="intl", protocol="native", mode="json_schema",
                  system_prompt="Extract.", user_text="I am Alex.", schema_name="user_info",
                  schema_text='{"type": "object", "properties": {"name": {"type": "string"}}}',
                  temperature=0.2, images=[ImageInput(mime="image/png", data=b"\x89PNG\r\n\x1a\n" + b"0" * 50,
                                                      name="mine.png"),
                                           ImageInput(mime="image/png", data=png, name="receipt.png"),
                                           ImageInput(url="https://example.com/a.jpg")],
                  custom_base_url="https://secret.example/v1")
    preset = request_to_preset(req, "My extraction!", description="mine")
    assert preset.id == "user-my-extraction" and preset.origin == "user" and preset.expect.outcome == "valid"
    path = save_user_preset(preset)
    assert path == user_dir / "user-my-extraction.json"
    text = path.read_text()
    assert "sk-secret-never-saved-1234" not in text and "secret.example" not in text
    assert '"asset": "receipt.png"' in text  # a shipped asset stays a reference
    loaded, errors = load_user_presets()
    assert errors == [] and [p.id for p in loaded] == ["user-my-extraction"] and loaded[0].origin == "user"
    back = preset_to_request(loaded[0], endpoint="intl")
    assert back.images[0].data == req.images[0].data and back.images[1].data == png
    assert back.images[2].url == "https://example.com/a.jpg"
    for field in ("model", "protocol", "mode", "system_prompt", "user_text", "schema_name", "strict", "temperature"):
        assert getattr(back, field) == getattr(req, field)
    assert json.loads(back.schema_text) == json.loads(req.schema_text)
    assert delete_user_preset("user-my-extraction") and not path.exists()
    assert not delete_user_preset("../../etc/passwd")


def test_no_field_can_hold_a_key() -> None:
    names = set(Preset.model_fields) | {f.alias or "" for f in Preset.model_fields.values()}
    suspicious = [n for n in names if any(w in n.lower() for w in ("key", "secret", "password", "token"))]
    assert suspicious == ["max_tokens"]
    assert not [f for f in Request.__dataclass_fields__ if "key" in f.lower()]


def test_a_bad_user_file_does_not_hide_the_good_ones(user_dir: Path) -> None:
    save_user_preset(request_to_preset(Request(user_text="hi json"), "Good one"))
    (user_dir / "bad.json").write_text('{"id": "bad", "mode": "jsn"}')
    presets, errors = load_user_presets()
    assert [p.id for p in presets] == ["user-good-one"]
    assert len(errors) == 1 and "bad.json" in str(errors[0]) and "field `mode`" in str(errors[0])


def test_export_embeds_assets_and_import_reads_it_back() -> None:
    for preset in (BY_ID["image-ticket-invoice-native"], BY_ID["image-ticket-invoice"]):  # one form, every form
        data = export_preset(preset)
        exported = json.loads(data)
        assert "asset" not in exported["images"][0] and exported["images"][0]["documented_url"].startswith("http")
        assert exported["format"] == 1 and "origin" not in exported
        [imported] = import_presets(data, "shared.json")
        assert imported.origin == "user"
        a, b = preset_to_request(preset), preset_to_request(imported)
        assert a == b
        assert imported.documented == preset.documented and imported.expect == preset.expect
        assert [preset_to_request(v) for v in imported.variants()] == [preset_to_request(v) for v in preset.variants()]


def test_export_many_and_import_a_list() -> None:
    data = export_presets([BY_ID["getting-started"], BY_ID["faq-thinking-repair"]])
    items = import_presets(data, "two.json")
    assert [p.id for p in items] == ["getting-started", "faq-thinking-repair"]
    assert items[0].form_ids == BY_ID["getting-started"].form_ids
    assert items[1].followups[0].run_if == "previous_not_json"
    bad_list = json.loads(data)
    bad_list[1]["mode"] = "jsn"
    with pytest.raises(PresetError, match=r"two.json\[1\]: field `mode`"):
        import_presets(json.dumps(bad_list).encode(), "two.json")
    with pytest.raises(PresetError, match="empty list"):
        import_presets(b"[]", "none.json")


def test_documented_null_value_survives_a_round_trip() -> None:
    preset = BY_ID["config-optional-null"]
    assert preset.documented.value == {"name": "Alex Brown", "email": None}
    again = import_presets(export_preset(preset))[0]
    assert again.documented.has_value and again.documented.value == preset.documented.value
    doc = Documented(kind="content", return_result="null", value=None)
    p = request_to_preset(Request(user_text="json"), "n", documented=doc)
    assert import_presets(export_preset(p))[0].documented.has_value


def test_shipped_files_are_in_canonical_form() -> None:
    """What export writes for a shipped preset (without embedding) reads back identically."""
    for p in PRESETS:
        again = load_preset_file(p.to_json().encode())
        assert again == p, p.id


# ---------------------------------------------------------------- outcomes and flows

def result(content: str | None = None, finish: str = "stop", error: CallError | None = None,
           errors: list[ValidationRow] | None = None) -> RunResult:
    r = RunResult(content=content, finish_reason=finish, error=error)
    if error is None:
        try:
            r.parse = ParseOutcome(ok=True, value=json.loads(content or ""))
            r.validation = ValidationOutcome(checked=errors is not None, errors=errors or [])
        except json.JSONDecodeError as e:
            r.parse = ParseOutcome(ok=False, error=e.msg)
    return r


def test_outcome_problems() -> None:
    assert outcome_problems(Expectation(outcome="json"), result('{"a": 1}')) == []
    assert outcome_problems(Expectation(outcome="json"), result("Sure! {")) != []
    assert outcome_problems(Expectation(outcome="valid"), result('{"a": 1}', errors=[])) == []
    problems = outcome_problems(Expectation(outcome="valid"),
                                result('{"a": 1}', errors=[ValidationRow("$.a", "1 is not a string", "type", "x")]))
    assert problems == ["schema violation at $.a: 1 is not a string"]
    assert outcome_problems(Expectation(outcome="truncated"), result('{"name": "Al', finish="length")) == []
    assert outcome_problems(Expectation(outcome="truncated"), result('{"a": 1}')) != []
    err = CallError("http", MISSING_JSON_ERROR, "", status=400)
    assert outcome_problems(Expectation(outcome="error", error_text=MISSING_JSON_ERROR, status=400),
                            result(error=err)) == []
    assert outcome_problems(Expectation(outcome="error", error_contains="thinking"), result(error=err)) != []
    assert outcome_problems(Expectation(outcome="error", error_contains="x"), result('{"a": 1}')) != []
    assert outcome_problems(Expectation(outcome="text"), result("hello")) == []


def test_followup_runs_only_when_the_previous_answer_is_not_json() -> None:
    repair = get_preset("faq-thinking-repair").followups[0]
    assert followup_needed(repair, result("```json\n{\"a\": 1}\n```"))
    assert not followup_needed(repair, result('{"a": 1}'))
    assert not followup_needed(repair, result(error=CallError("http", "x", "")))
    req = followup_request(get_preset("faq-thinking-repair"), 0, "{'name': 'Alex'}")
    assert req.user_text == "{'name': 'Alex'}" and req.mode == "json_object" and req.model == "qwen-flash"


# ---------------------------------------------------------------- browsing

def test_sections_follow_the_reference_order() -> None:
    from structured_output.presets import sections
    assert sections(PRESETS)[:4] == ["Introduction", "Implementation guide", "Getting started",
                                     "Image and video data processing"]
    assert sections(PRESETS)[-2:] == ["Going live", "FAQ"]


def test_filter_by_words_mode_and_section() -> None:
    from structured_output.presets import filter_presets
    assert {p.id for p in filter_presets(PRESETS, "receipt ticket")} == {"image-ticket-invoice"}
    assert {p.id for p in filter_presets(PRESETS, "ADDITIONALPROPERTIES")} >= {"configuration-guide"}
    # a word only one form has finds its example (the Java form's few-shot example)
    assert [p.id for p in filter_presets(PRESETS, "David Wilson")] == ["optimize-prompts"]
    schema = filter_presets(PRESETS, mode="json_schema")
    assert schema and all(any(v.mode == "json_schema" for v in p.variants()) for p in schema)
    assert [p.id for p in filter_presets(PRESETS, "thinking", section="FAQ")] == [
        "faq-thinking-json-object-error", "faq-thinking-repair"]
    assert filter_presets(PRESETS, "no such words here") == []
    assert filter_presets(PRESETS) == PRESETS


def test_a_schema_that_is_not_json_yet_is_kept_as_text(tmp_path: Path) -> None:
    req = Request(mode="json_schema", user_text="x", schema_text='{"type": "object", ')
    preset = request_to_preset(req, "Half-written schema")
    assert preset.json_schema == '{"type": "object", '
    again = load_preset_file(save_user_preset(preset, tmp_path))
    assert preset_to_request(again).schema_text == req.schema_text


def test_the_grammar_preset_opens_the_token_view(tmp_path: Path) -> None:
    """'What the grammar changed' sends logprobs, in JSON Object mode, with the getting-started input;
    a user preset saved with the Token view on keeps it."""
    p = BY_ID["what-the-grammar-changed"]
    req = p.request()
    assert req.logprobs and req.mode == "json_object" and req.user_text == BY_ID["getting-started-compatible"].user_text
    assert p.section == "Introduction" and "Tokens view" in p.description
    assert not any(q.logprobs for q in PRESETS if q.id != p.id)  # the others send what the reference sends
    saved = load_preset_file(save_user_preset(request_to_preset(req, "Mine"), tmp_path))
    assert preset_to_request(saved).logprobs


# ---------------------------------------------------------------- client forms

CLIENT_FORMS = {  # the client forms the reference gives each example in (issue 12)
    "getting-started": ["python-openai", "node-openai", "curl-compatible", "python-dashscope", "java-dashscope",
                        "curl-native"],
    "image-ticket-invoice": ["python-openai", "node-openai", "curl-compatible", "python-dashscope", "java-dashscope",
                             "curl-native"],
    "optimize-prompts": ["python-openai", "node-openai", "python-dashscope", "java-dashscope"],
    "json-schema-getting-started": ["python-openai-parse", "node-openai-parse", "python-dashscope"],
    "going-live-sdk-schemas": ["python-openai-parse", "node-openai-parse"],
}
NATIVE_CLIENTS = {"python-dashscope", "java-dashscope", "curl-native"}


@pytest.mark.parametrize("example", sorted(CLIENT_FORMS))
def test_every_client_form_is_a_form_of_one_example_on_its_own_protocol(example: str) -> None:
    preset = BY_ID[example]
    assert [f.client for f in preset.forms] == CLIENT_FORMS[example]
    for v in preset.variants():
        assert v.protocol == ("native" if v.form.client in NATIVE_CLIENTS else "compatible"), v.form_id
        assert v.call == ("parse" if v.form.client.endswith("-parse") else "create"), v.form_id
        assert v.documented is not None and v.documented.code, f"{v.form_id} carries the reference's code"
        assert v.form.label and v.form.note
    # a newcomer sees the example once: no other shipped preset repeats its section and prompts
    twins = [p for p in PRESETS if p is not preset and p.section == preset.section and p.user_text == preset.user_text]
    assert twins == []


def test_the_forms_differ_as_the_reference_documents() -> None:
    gs = BY_ID["getting-started"]
    assert set(gs.variant("node-openai").documented.value) == {"Name", "Age"}
    assert set(gs.variant("python-openai").documented.value) == {"name", "age"}
    assert gs.variant("curl-compatible").model == "qwen-plus" and gs.variant("curl-compatible").documented.kind == \
        "response_body"
    opt = BY_ID["optimize-prompts"]
    assert opt.variant("node-openai").documented.value["hobby"] == ["Playing basketball", "Traveling"]
    java = opt.variant("java-dashscope")
    assert "David Wilson" in java.system_prompt and "Peter Jones" not in java.system_prompt
    assert '"David Wilson","age":"40 years old","email":"davidwilson@example.com"}}' in java.system_prompt
    image = BY_ID["image-ticket-invoice"]
    assert "as an array" not in image.variant("python-openai").user_text
    assert all("as an array" in v.user_text for v in image.variants()[1:])
    for fid in ("curl-compatible", "curl-native"):
        assert "486" in image.variant(fid).documented.return_result  # the documented usage figures
    assert '"image_tokens": 418' in image.variant("curl-native").documented.return_result
    assert all(v.images and v.images[0].asset == "receipt.png" for v in image.variants())


def test_a_form_is_found_by_example_and_form_or_by_its_former_id() -> None:
    assert get_preset("getting-started", "node-openai").form_id == "node-openai"
    assert get_preset("getting-started/curl-native").protocol == "native"
    former = get_preset("getting-started-curl-few-shot")
    assert (former.id, former.form_id) == ("getting-started", "curl-compatible")
    assert get_preset("getting-started").form is None
    with pytest.raises(KeyError, match="has no form 'cobol'"):
        get_preset("getting-started", "cobol")


def test_a_bad_form_names_the_form_and_the_field() -> None:
    form = {"id": "node", "label": "Node.js", "client": "node-openai"}
    assert "field `forms[0].client` must be one of" in bad(forms=[dict(form, client="cobol")])
    assert "`forms` has the id 'node' more than once" in bad(forms=[form, form])
    msg = bad(forms=[dict(form, mode="json_schema")])
    assert "form 0 ('node') does not make a valid preset" in msg and "needs a `schema`" in msg
    typo = bad(forms=[dict(form, modell="x")])
    assert "field `forms[0].modell` is not a preset field (did you mean `model`?)" in typo


def test_the_error_presets_point_to_the_reference_error_code_page() -> None:
    pointers = [s for p in PRESETS for s in p.see_also]
    assert pointers and all(s.url == "https://www.alibabacloud.com/help/en/model-studio/error-code" for s in pointers)
    assert all(p.see_also for p in FORMS if p.expect.outcome == "error")
