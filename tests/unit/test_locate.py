"""Finding a JSON path in a JSON text, as the answer and the schema were written."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from structured_output.result import validate
from structured_output.workbench.locate import Span, find, line_col, offset_of

ANSWER = '```json\n{"name": "A", "items": [ {"x": 1}, {"x": "two"} ],\n "age":"3"}\n```'


def test_a_path_is_found_with_its_key_in_the_text_as_written() -> None:
    def at(*parts: str | int) -> str | None:
        s = find(ANSWER, parts)
        return ANSWER[s.start:s.end] if s else None

    assert at() == ANSWER[8:-4]
    assert at("name") == '"name": "A"'
    assert at("items", 1, "x") == '"x": "two"'
    assert at("items", 1) == '{"x": "two"}'
    assert at("age") == '"age":"3"'
    assert at("nope") is None and at("items", 5) is None and at("name", "deeper") is None
    assert find("not json at all", ("a",)) is None
    assert find('{"a": ', ("a",)) is None  # cut short: no value to mark


def test_every_validation_error_of_a_real_check_is_found_in_answer_and_schema() -> None:
    schema = {"type": "object", "properties": {"age": {"type": "integer"}, "items": {"type": "array", "items": {
        "type": "object", "properties": {"x": {"type": "integer"}}}}}, "required": ["name", "age", "email"]}
    schema_text = json.dumps(schema, indent=2)
    value = json.loads(ANSWER[8:-4])
    rows = validate(value, schema).errors
    assert len(rows) == len(list(Draft202012Validator(schema).iter_errors(value))) == 3
    for row in rows:
        assert find(ANSWER, row.parts) is not None, row
        assert find(schema_text, row.schema_parts) is not None, row
    age = next(r for r in rows if r.path == "$.age")
    s = find(schema_text, age.schema_parts)
    assert schema_text[s.start:s.end] == '"type": "integer"' and line_col(schema_text, s.start) == (5, 7)


def test_lines_and_columns_are_one_based_both_ways() -> None:
    text = 'ab\ncd\n  ef'
    assert line_col(text, 0) == (1, 1) and line_col(text, 4) == (2, 2) and line_col(text, 8) == (3, 3)
    assert offset_of(text, 3, 3) == 8 and offset_of(text, 99, 1) == 6
    assert Span(8, 10).line_col(text) == (3, 3)
