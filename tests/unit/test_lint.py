"""lint() says what is wrong before anything is sent, each finding with a hint."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from structured_output.lint import MISSING_JSON_ERROR, can_send, lint, lint_schema_text
from structured_output.request import ImageInput, Request
from structured_output.sources import load_sources
from structured_output.wire.compatible import openai_kwargs
from structured_output.wire.native import dashscope_kwargs

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "model-studio-structured-output.md"

GOOD_SCHEMA = json.dumps({
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"], "additionalProperties": False,
})


def codes(req: Request) -> set[str]:
    return {f.code for f in lint(req)}


def test_clean_request_has_no_findings() -> None:
    req = Request(model="qwen-flash", mode="json_object", system_prompt="Return JSON.", user_text="Alex, 34")
    assert lint(req) == []
    assert can_send(lint(req))


def test_missing_json_keyword_quotes_the_documented_error() -> None:
    req = Request(model="qwen-flash", mode="json_object", system_prompt="Extract the name.", user_text="I am Alex")
    [finding] = [f for f in lint(req) if f.code == "missing_json_keyword"]
    assert MISSING_JSON_ERROR in finding.message
    assert finding.level == "error" and not finding.blocking  # sendable, to see the server's own answer
    assert "JSON" in finding.hint
    # case-insensitive, and the user message counts too
    assert "missing_json_keyword" not in codes(Request(mode="json_object", user_text="give me Json please"))
    # JSON Schema mode does not need the keyword
    assert "missing_json_keyword" not in codes(Request(mode="json_schema", user_text="x", schema_text=GOOD_SCHEMA))


def test_schema_not_json_gives_line_and_column_and_blocks() -> None:
    [f] = lint_schema_text('{\n  "type": "object",\n  "properties": {\n    "name": {"type": "string"},\n  }\n}')
    assert f.code == "schema_not_json" and f.blocking
    assert (f.line, f.column) == (5, 3)
    assert "line 5, column 3" in f.message
    req = Request(mode="json_schema", user_text="x", schema_text="{nope")
    assert not can_send(lint(req))


def test_schema_meta_validation_says_where() -> None:
    [f] = lint_schema_text(json.dumps({"type": "object", "properties": {"age": {"type": "integr"}}}))
    assert f.code == "schema_invalid"
    assert "properties/age/type" in f.message
    assert not f.blocking


def test_schema_advice_is_the_references_and_openais_is_labelled() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string", "minLength": 2},
                                               "email": {"type": "string"}}, "required": ["name"]}
    found = {f.code: f for f in lint_schema_text(json.dumps(schema), strict=True)}
    assert found.keys() == {"strict_additional_properties", "strict_keyword"}
    assert all(f.level == "info" for f in found.values())
    # additionalProperties: false is the reference's own recommendation, cited as such
    add = found["strict_additional_properties"]
    assert add.source.startswith("The reference › Get output in a specified format")
    assert '"Recommended to set to false to output only defined fields"' in add.message and "OpenAI" not in add.message
    assert found["strict_keyword"].source.startswith("OpenAI's rules, not the reference")
    assert "minLength" in found["strict_keyword"].message
    assert lint_schema_text(GOOD_SCHEMA) == []


def test_optional_fields_left_out_of_required_are_fine_except_for_openai() -> None:
    """The reference's own user_info example leaves the optional email out of `required`."""
    user_info = json.dumps({"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                                                             "email": {"type": "string"}},
                            "required": ["name", "age"], "additionalProperties": False})
    assert lint_schema_text(user_info) == []
    for endpoint, url in (("local", ""), ("intl", ""), ("custom", "http://localhost:11434/v1")):
        req = Request(model="qwen-plus", endpoint=endpoint, custom_base_url=url, mode="json_schema", user_text="x",
                      schema_text=user_info)
        assert "openai_all_required" not in codes(req), endpoint
    openai = Request(model="gpt-4o-mini", endpoint="custom", custom_base_url="https://api.openai.com/v1",
                     mode="json_schema", user_text="x", schema_text=user_info)
    [f] = [f for f in lint(openai) if f.code == "openai_all_required"]
    assert "email" in f.message and "This target is OpenAI" in f.message and "the reference does not" in f.message
    assert f.source.startswith("OpenAI's rules, not the reference") and 'allow null' in f.hint
    openai.strict = False  # OpenAI demands it only in strict mode
    assert "openai_all_required" not in codes(openai)


def test_additional_properties_true_is_a_documented_note() -> None:
    schema = json.dumps({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"],
                         "additionalProperties": True})
    [f] = lint_schema_text(schema)
    assert (f.code, f.level) == ("additional_properties_true", "info")
    assert '"When you need to capture more information"' in f.message
    assert f.source == "The reference › Configuration guide › Configure additionalProperties"


def test_strict_false_still_gets_the_references_advice() -> None:
    schema = json.dumps({"type": "object", "properties": {"name": {"type": "string", "minLength": 2}}})
    found = {f.code: f for f in lint_schema_text(schema, strict=False)}
    assert found.keys() == {"strict_false", "strict_additional_properties"}  # OpenAI's subset is not asked for
    assert '"Recommended to set to true for strict format compliance"' in found["strict_false"].message
    # in the other modes the schema only validates the output: no advice about sending it
    assert lint_schema_text(schema, strict=False, advice=False) == []


def test_data_types_outside_the_references_list_cite_it() -> None:
    schema = json.dumps({"type": "object", "additionalProperties": False, "required": ["a"], "properties": {
        "a": {"type": ["string", "integer"]}, "b": {"description": "anything"}, "c": {"const": "x"},
        "d": {"type": ["string", "null"]}, "e": {"enum": ["x", "y"]}, "f": {"$ref": "#/properties/e"}}})
    found = {f.where: f for f in lint_schema_text(schema)}
    assert set(found) == {"schema:#/properties/a", "schema:#/properties/b", "schema:#/properties/c"}
    for f in found.values():
        assert f.code == "data_type" and f.source == "The reference › Configuration guide › Supported data types"
        assert '"string, number, integer, boolean, object, array, and enum."' in f.message
    [bad] = lint_schema_text(json.dumps({"type": "object", "properties": {"a": {"type": "date"}}}))
    assert bad.code == "schema_invalid" and "string, number, integer, boolean, object, array, and enum." in bad.hint


def test_every_finding_says_where_its_rule_comes_from() -> None:
    reqs = [
        Request(model="", user_text=""), Request(endpoint="custom", protocol="native", user_text="x"),
        Request(mode="json_object", system_prompt="no keyword", user_text="x", max_tokens=5),
        Request(model="qwen-max", mode="json_schema", user_text="x", schema_name="bad name!", strict=False,
                schema_text=json.dumps({"type": "object", "properties": {"a": {"const": 1}, "b": {"$ref": "#/x"}}})),
        Request(model="deepseek-v3.2", mode="json_object", system_prompt="JSON", user_text="x", enable_thinking=True),
        Request(model="qwen-max", mode="json_object", system_prompt="JSON", user_text="x", enable_thinking=True,
                images=[ImageInput(mime="image/gif", data=b"x"), ImageInput(url="ftp://x")]),
        Request(mode="json_schema", user_text="x", schema_text="{nope"),
        Request(mode="json_schema", user_text="x", schema_text=""),
    ]
    found = [f for r in reqs for f in lint(r)]
    assert len({f.code for f in found}) >= 18
    for f in found:
        assert f.source, f.code
        if f.source.startswith("The reference"):
            assert f.quote, f.code


def test_every_lint_code_has_a_source() -> None:
    """No finding can be written without an entry in data/lint_sources.json."""
    import inspect
    import sys

    module = inspect.getsource(sys.modules[lint.__module__])
    used = set(re.findall(r'Finding\(\s*"(?:error|warning|info)",\s*"(\w+)"', module))
    assert len(used) >= 20
    assert used <= load_sources().rules.keys(), used - load_sources().rules.keys()


@pytest.mark.skipif(not REFERENCE.exists(), reason="the reference lives in ../shared, only where developed")
def test_every_reference_rule_is_worded_as_the_reference() -> None:
    """Each rule said to come from the reference names a section it has and quotes words it says."""
    text = REFERENCE.read_text(encoding="utf-8")
    headings = {h.strip("* ").strip() for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}
    rules = {c: r for c, r in load_sources().rules.items() if r.provider == "reference"}
    assert len(rules) >= 10
    for code, rule in rules.items():
        assert rule.quote and rule.quote in text, code
        first, *rest = rule.section.split(" › ")
        assert first in headings, (code, first)
        for part in rest:  # a bold bullet or a sub-heading of that section
            assert f"**{part}" in text or part in headings, (code, part)
    # and what the findings say quotes it
    for code in ("strict_additional_properties", "additional_properties_true", "strict_false", "data_type"):
        assert rules[code].quote in text


def test_nested_objects_get_advice_with_paths() -> None:
    schema = {"type": "object", "additionalProperties": False, "required": ["info"],
              "properties": {"info": {"type": "object", "properties": {"n": {"type": "string"}}}}}
    paths = {f.where for f in lint_schema_text(json.dumps(schema))}
    assert "schema:#/properties/info" in paths


def test_mode_not_supported_by_model_warns_but_sends() -> None:
    req = Request(model="qwen-max", mode="json_schema", user_text="x", schema_text=GOOD_SCHEMA)
    [f] = [f for f in lint(req) if f.code == "mode_unsupported"]
    assert f.level == "warning" and "qwen-max" in f.message and "qwen3-max" in f.hint
    assert can_send(lint(req))


def test_thinking_with_structured_output() -> None:
    req = Request(model="qwen-plus", mode="json_object", user_text="json", enable_thinking=True)
    assert "thinking_structured" in codes(req)
    assert "thinking_structured" not in codes(Request(model="qwen-plus", mode="none", user_text="x",
                                                      enable_thinking=True))
    assert "thinking_structured" not in codes(Request(model="kimi-k2-thinking", mode="json_object", user_text="json"))


def test_max_tokens_with_structured_output() -> None:
    assert "max_tokens_structured" in codes(Request(mode="json_object", user_text="json", max_tokens=20))
    assert "max_tokens_structured" not in codes(Request(mode="none", user_text="x", max_tokens=20))


def test_images_for_a_text_model_and_bad_images() -> None:
    png = ImageInput("image/png", b"\x89PNG....")
    assert "no_vision" in codes(Request(model="qwen-flash", mode="none", user_text="x", images=[png]))
    assert "no_vision" not in codes(Request(model="qwen3-vl-plus", mode="none", user_text="x", images=[png]))
    big = ImageInput("image/png", b"0" * (10 * 1024 * 1024 + 1))
    gif = ImageInput("image/gif", b"GIF89a")
    found = codes(Request(model="qwen3-vl-plus", mode="none", user_text="x", images=[big, gif, ImageInput(url="ftp://x")]))
    assert {"image_size", "image_type", "image_url"} <= found


def test_empty_input_and_custom_url_block() -> None:
    assert not can_send(lint(Request(user_text="  ", mode="none")))
    req = Request(user_text="x", mode="none", endpoint="custom", custom_base_url="localhost:11434")
    assert "custom_url" in codes(req) and not can_send(lint(req))


def test_blocking_findings_come_first() -> None:
    found = lint(Request(model="qwen-flash", mode="json_schema", user_text="", schema_text="{", max_tokens=5))
    assert found[0].blocking


def test_sdk_arguments() -> None:
    req = Request(model="qwen-plus", mode="json_object", system_prompt="json", user_text="hi", stream=True,
                  enable_thinking=False, temperature=0.3, max_tokens=100)
    kw = openai_kwargs(req)
    assert kw["extra_body"] == {"enable_thinking": False} and kw["stream_options"] == {"include_usage": True}
    assert kw["temperature"] == 0.3 and kw["max_tokens"] == 100
    nat = dashscope_kwargs(req)
    assert nat["result_format"] == "message" and nat["incremental_output"] is True
    assert nat["enable_thinking"] is False and nat["response_format"] == {"type": "json_object"}


def test_request_round_trips_through_dict() -> None:
    req = Request(model="qwen3-vl-plus", mode="json_schema", schema_text=GOOD_SCHEMA, user_text="x",
                  images=[ImageInput("image/png", b"\x89PNG", name="a.png"), ImageInput(url="https://e.com/a.jpg")])
    d = json.loads(json.dumps(req.to_dict()))
    assert Request.from_dict(d) == req


def test_huge_and_deep_schemas_get_specific_errors() -> None:
    [f] = lint_schema_text("[" * 100_000)
    assert f.code == "schema_not_json" and "deeply" in f.message and f.blocking
    deep = '{"type": "object", "properties": {"a": ' * 70 + "{}" + "}}" * 70
    [f] = lint_schema_text(deep)
    assert f.code == "schema_too_deep" and f.blocking
    [f] = lint_schema_text('{"description": "' + "x" * 600_000 + '"}')
    assert f.code == "schema_too_large" and "600,0" in f.message


def test_lint_names_the_rule_a_snapshot_matched() -> None:
    early = Request(model="qwen-plus-2025-01-25", mode="json_schema", user_text="x", schema_text=GOOD_SCHEMA)
    [f] = [f for f in lint(early) if f.code == "mode_unsupported"]
    assert f.level == "warning" and not f.blocking
    assert "qwen-plus snapshot from 2025-01-25" in f.message and "qwen-plus-2025-07-28" in f.message
    later = Request(model="qwen-plus-2025-09-11", mode="json_schema", user_text="x", schema_text=GOOD_SCHEMA)
    assert not {"mode_unsupported", "mode_not_listed"} & codes(later)
    excluded = Request(model="qwen-vl-max-latest", mode="json_object", system_prompt="JSON", user_text="x")
    [f] = [f for f in lint(excluded) if f.code == "mode_unsupported"]
    assert "excludes the latest and snapshot versions of qwen-vl-max" in f.message


def test_lint_says_not_listed_rather_than_refused() -> None:
    req = Request(model="deepseek-v3.2", mode="json_object", system_prompt="Return JSON.", user_text="Alex, 34")
    [f] = lint(req)
    assert (f.code, f.level) == ("mode_not_listed", "info")
    assert "does not list deepseek-v3.2 for JSON Object mode" in f.message and "refuses" in f.message
    assert "X-Local-Engine-Rule" in f.hint


def test_lint_warns_a_thinking_only_variant() -> None:
    req = Request(model="qwen3-235b-a22b-thinking-2507", mode="json_object", system_prompt="JSON", user_text="x")
    [f] = lint(req)
    assert (f.code, f.level) == ("thinking_structured", "error")
    assert "thinking-only variant (*-thinking*)" in f.message
    unknown = Request(model="gpt-4o", mode="json_object", system_prompt="JSON", user_text="x")
    assert "no rule of the catalog covers this name" in lint(unknown)[0].message
