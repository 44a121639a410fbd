"""From content to parsed JSON (with positions and lenient recovery) to jsonschema rows."""

from __future__ import annotations

from structured_output.result import (
    RunResult,
    content_of,
    finish,
    lenient_extract,
    parse_content,
    validate,
)

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                                           "email": {"type": "string", "format": "email"}},
          "required": ["name", "age"], "additionalProperties": False}


def test_content_from_both_shapes() -> None:
    assert content_of({"choices": [{"message": {"content": "{}"}}]}) == "{}"
    assert content_of({"output": {"choices": [{"message": {"content": "{\"a\":1}"}}]}}) == '{"a":1}'
    assert content_of({"output": {"choices": [{"message": {"content": [{"text": "{\"a\""}, {"text": ":1}"}]}}]}}) \
        == '{"a":1}'
    assert content_of({"output": {"text": "plain", "finish_reason": "stop"}}) == "plain"


def test_parse_ok() -> None:
    out = parse_content('{"name": "Alex Brown", "age": 34}')
    assert out.ok and out.value == {"name": "Alex Brown", "age": 34}


def test_parse_failure_has_position_and_lenient_fence() -> None:
    text = 'Here is the result:\n```json\n{"name": "Alex Brown", "age": 34}\n```'
    out = parse_content(text)
    assert not out.ok and (out.line, out.column) == (1, 1)
    assert out.lenient_ok and out.lenient_value == {"name": "Alex Brown", "age": 34}
    assert "fence" in out.lenient_method


def test_lenient_finds_json_in_chatty_text() -> None:
    value, method = lenient_extract('Sure! The data is {"a": [1, 2]} as requested.')
    assert value == {"a": [1, 2]} and "position 18" in method
    assert lenient_extract("no json at all") == (None, "")


def test_truncated_json_position() -> None:
    out = parse_content('{\n  "name": "Alex')
    assert not out.ok and out.line == 2 and not out.lenient_ok


def test_validation_rows_and_format_checks() -> None:
    v = validate({"name": 5, "age": 34, "email": "not-an-email", "x": 1}, SCHEMA)
    rows = {(r.path, r.keyword) for r in v.errors}
    assert ("$.name", "type") in rows
    assert ("$.email", "format") in rows
    assert ("$", "additionalProperties") in rows
    assert v.checked and not v.valid
    assert validate({"name": "A", "age": 1}, SCHEMA).valid


def test_validation_uses_the_schemas_own_draft() -> None:
    draft4 = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "integer", "maximum": 5,
              "exclusiveMaximum": True}
    assert not validate(5, draft4).valid
    assert validate(4, draft4).valid


def test_no_schema_or_invalid_schema_is_not_checked() -> None:
    assert not validate({}, None).checked
    bad = validate({}, {"type": "objekt"})
    assert not bad.checked and "invalid" in bad.note


def test_finish_and_verdicts() -> None:
    assert finish(RunResult(content='{"name": "A", "age": 1}'), SCHEMA).verdict == "valid"
    assert finish(RunResult(content='{"name": "A"}'), SCHEMA).verdict == "invalid"
    assert finish(RunResult(content='{"name": "A"}'), None).verdict == "parsed"
    assert finish(RunResult(content="hello"), None).verdict == "not JSON"
    assert finish(RunResult(content='{"na', finish_reason="length"), None).verdict == "truncated"


def test_deep_content_is_a_parse_error_not_a_crash() -> None:
    out = parse_content("[" * 100_000)
    assert not out.ok and "deeply" in out.error


def test_unresolvable_ref_is_reported_not_raised() -> None:
    out = validate({"a": 1}, {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}})
    assert not out.checked and "could not be applied" in out.note
