"""lint() says what is wrong before anything is sent, each finding with a hint."""

from __future__ import annotations

import json

from structured_output.lint import MISSING_JSON_ERROR, can_send, lint, lint_schema_text
from structured_output.request import ImageInput, Request
from structured_output.wire.compatible import openai_kwargs
from structured_output.wire.native import dashscope_kwargs

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


def test_strict_advice() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string", "minLength": 2},
                                               "email": {"type": "string"}}, "required": ["name"]}
    found = {f.code: f for f in lint_schema_text(json.dumps(schema), strict=True)}
    assert {"strict_not_all_required", "strict_additional_properties", "strict_keyword"} <= found.keys()
    assert "email" in found["strict_not_all_required"].message
    assert all(f.level == "info" and "advice" in f.message for f in found.values())
    assert "minLength" in found["strict_keyword"].message
    assert lint_schema_text(json.dumps(schema), strict=False) == []
    assert lint_schema_text(GOOD_SCHEMA) == []


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
