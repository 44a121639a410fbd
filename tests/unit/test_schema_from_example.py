"""Schema from example: genson's inference, the tightening for structured output and its undo."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from structured_output.workbench.schema_from_example import ExampleError, from_text, infer, read_example

EXAMPLE = {"name": "Alex Brown", "age": 34, "email": None, "hobbies": [], "jobs": [{"title": "dev"},
                                                                              {"title": "cook", "years": 2.5}]}


def test_the_tightened_schema_validates_the_example_and_refuses_what_it_should() -> None:
    made = infer(EXAMPLE)
    v = Draft202012Validator(made.schema)
    assert not list(v.iter_errors(EXAMPLE))
    assert "$schema" not in made.schema
    assert made.schema["additionalProperties"] is False
    assert made.schema["properties"]["age"] == {"type": "integer"}
    assert made.schema["required"] == list(EXAMPLE)  # in the fields' order, all of them
    job = made.schema["properties"]["jobs"]["items"]
    assert job["required"] == ["title"] and job["properties"]["years"]["type"] == "number"  # seen once: optional
    assert job["additionalProperties"] is False
    assert made.schema["properties"]["email"]["type"] == ["string", "null"]
    assert made.schema["properties"]["hobbies"]["items"] == {"type": "string"}
    assert list(v.iter_errors({**EXAMPLE, "extra": 1}))  # additionalProperties: false
    assert list(v.iter_errors({k: x for k, x in EXAMPLE.items() if k != "age"}))  # required
    assert list(v.iter_errors({**EXAMPLE, "age": "34"}))  # the type


def test_every_change_is_listed_and_undoing_one_leaves_the_others() -> None:
    made = infer(EXAMPLE)
    kinds = sorted({c.kind for c in made.changes})
    assert kinds == ["$schema", "additionalProperties", "items", "null type", "required"]
    offered = [c for c in made.changes if not c.default]
    assert [c.id for c in offered] == ["required:$.jobs[*]"]  # offered, not applied: the example would fail
    assert {c.id for c in made.applied()} == {c.id for c in made.changes} - {"required:$.jobs[*]"}
    undone = infer(EXAMPLE, {"additionalProperties:$": False, "required:$.jobs[*]": True})
    assert "additionalProperties" not in undone.schema
    job = undone.schema["properties"]["jobs"]["items"]
    assert job["additionalProperties"] is False  # the other one stays
    assert job["required"] == ["title", "years"] and job["properties"]["years"]["type"] == ["number", "null"]
    assert list(Draft202012Validator(undone.schema).iter_errors(EXAMPLE))  # as its why says: item 1 lacks years
    assert len(undone.changes) == len(made.changes) and len(undone.applied()) == len(made.applied())
    nothing = infer(EXAMPLE, {c.id: False for c in made.changes})
    assert not nothing.applied()
    assert nothing.schema == {**nothing.genson_schema, "required": list(EXAMPLE)}  # genson's, fields in order
    assert json.loads(made.text()) == made.schema


@pytest.mark.parametrize(("text", "words", "line"), [
    ("", "empty", None),
    ('{"a": 1,\n "b": }', "line 2, column 7", 2),
    ("[1, 2]", "an array, not a JSON object", None),
    ("42", "a int, not a JSON object", None),
])
def test_a_bad_example_says_what_and_where(text: str, words: str, line: int | None) -> None:
    with pytest.raises(ExampleError) as e:
        read_example(text)
    assert words in e.value.message
    assert e.value.hint
    assert e.value.line == line


def test_from_text_reads_then_infers() -> None:
    assert from_text('{"ok": true}').schema == {"type": "object", "properties": {"ok": {"type": "boolean"}},
                                                "required": ["ok"], "additionalProperties": False}
