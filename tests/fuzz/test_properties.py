"""Property tests: parse, validate and lint never let an exception escape, and their verdicts agree
with json / jsonschema on arbitrary input (odd Unicode, NUL, RTL, emoji included)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from structured_output.lint import lint, lint_schema_text
from structured_output.request import ImageInput, Request
from structured_output.result import lenient_extract, parse_content, validate

ODD = st.text(alphabet=st.characters(codec="utf-8"), max_size=200) | st.sampled_from(
    ["", "\x00", "مرحبا JSON", "😀{\"a\":1}😀", "```json\n{\"a\": 1}\n```", "{" * 50, "\ud7ff", "\u202e{}"])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=15,
)
SIMPLE_SCHEMAS = st.sampled_from([
    {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
    {"type": "array", "items": {"type": "string"}, "maxItems": 3},
    {"type": ["string", "null"]},
    {"enum": [1, "x", None]},
    {"type": "object", "additionalProperties": False},
    {"anyOf": [{"type": "number", "minimum": 0}, {"type": "boolean"}]},
])
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(ODD)
def test_parse_agrees_with_json_loads(text: str) -> None:
    out = parse_content(text)
    try:
        expected = json.loads(text)
    except ValueError:
        assert not out.ok and out.error and out.line is not None and out.column is not None
    else:
        # compared as JSON text: NaN (which json.loads accepts) is not equal to itself
        assert out.ok and json.dumps(out.value) == json.dumps(expected)


@FAST
@given(JSON_VALUES, ODD, ODD)
def test_lenient_recovers_embedded_json(value: object, before: str, after: str) -> None:
    if not isinstance(value, dict) or not value:
        return
    text = f"Here you go:\n```json\n{json.dumps(value)}\n```\nbye"
    found, method = lenient_extract(text)
    assert found == value and method
    lenient_extract(before + after)  # never raises


@FAST
@given(JSON_VALUES, SIMPLE_SCHEMAS)
def test_validate_agrees_with_jsonschema(value: object, schema: dict) -> None:
    out = validate(value, schema)
    assert out.checked
    assert out.valid == Draft202012Validator(schema).is_valid(value)


@FAST
@given(ODD)
def test_lint_schema_text_never_raises(text: str) -> None:
    for f in lint_schema_text(text):
        assert f.message and f.hint


@FAST
@given(ODD, ODD, ODD, st.sampled_from(["none", "json_object", "json_schema"]), ODD,
       st.one_of(st.none(), st.integers(-5, 10**6)), st.one_of(st.none(), st.booleans()))
def test_lint_never_raises(system: str, user: str, schema: str, mode: str, model: str, max_tokens: int | None,
                           thinking: bool | None) -> None:
    req = Request(model=model, mode=mode, system_prompt=system, user_text=user, schema_text=schema,
                  max_tokens=max_tokens, enable_thinking=thinking, images=[ImageInput(url=user[:20])])
    for f in lint(req):
        assert f.level in ("error", "warning", "info") and f.hint
