"""The local engine's enforcement report without the model: llguidance's lenient warnings placed as JSON
pointers, the schema less what was not enforced, the header, and where an uncompilable schema fails."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import llguidance

from local_engine.enforcement import Unenforced, header_value, locate_failure, report, without


def _lenient(schema: dict[str, Any]) -> tuple[bool, list[str]]:
    grammar = llguidance.LLMatcher.grammar_from_json_schema(schema, overrides={"lenient": True})
    failed, messages = llguidance.LLMatcher.validate_grammar_with_warnings(grammar, None)
    return failed, [m for m in messages if "tokenizer" not in m]


NESTED: dict[str, Any] = {
    "type": "object",
    "properties": {
        "shape": {"oneOf": [{"not": {"required": ["radius"]}, "required": ["width"]},
                            {"not": {"required": ["width"]}, "required": ["radius"]}],
                  "properties": {"width": {"type": "number"}, "radius": {"type": "number"}}},
        "tags": {"type": "array", "items": {"type": "string", "format": "semver"}, "uniqueItems": True},
        "meta": {"type": "object", "properties": {"a": {}, "b": {}}, "maxProperties": 1},
    },
}


def test_every_warning_is_placed() -> None:
    failed, warnings = _lenient(NESTED)
    assert not failed
    places = [(u.keyword, u.path) for u in report(NESTED, NESTED, warnings)]
    assert sorted(places) == sorted([
        ("oneOf", "/properties/shape"), ("not", "/properties/shape/oneOf/0"), ("not", "/properties/shape/oneOf/1"),
        ("uniqueItems", "/properties/tags"), ("format", "/properties/tags/items"),
        ("maxProperties", "/properties/meta"),
    ])


def test_keywords_inside_an_ignored_keyword_are_not_reported_again() -> None:
    schema = {"type": "array", "uniqueItems": True, "not": {"uniqueItems": True}}
    _, warnings = _lenient(schema)
    assert sorted((u.keyword, u.path) for u in report(schema, schema, warnings)) == [("not", ""), ("uniqueItems", "")]


def test_rewritten_one_of_is_reported_at_its_original_place() -> None:
    original = {"anyOf": [{"type": "string"}], "properties": {"x": {"oneOf": [{"type": "array", "uniqueItems": True},
                                                                              {"type": "string"}]}}}
    rewritten = json.loads(json.dumps(original))
    rewritten["properties"]["x"]["anyOf"] = rewritten["properties"]["x"].pop("oneOf")  # as one_of_as_any_of does
    places = report(original, rewritten, ['Unimplemented keys: ["uniqueItems"]'])
    assert [(u.keyword, u.path) for u in places] == [("uniqueItems", "/properties/x/oneOf/0")]


def test_unplaceable_warnings_are_still_reported() -> None:
    places = report({"type": "object"}, {"type": "object"}, ['Unimplemented keys: ["contains"]', "something new"])
    assert [(u.keyword, u.path) for u in places] == [("contains", ""), ("?", "")]
    assert "something new" in places[1].reason


def test_without_leaves_what_was_enforced() -> None:
    _, warnings = _lenient(NESTED)
    reduced = without(NESTED, report(NESTED, NESTED, warnings))
    text = json.dumps(reduced)
    assert '"not"' not in text and "uniqueItems" not in text and "semver" not in text and "maxProperties" not in text
    assert reduced["properties"]["shape"]["anyOf"][0] == {"required": ["width"]}
    # an answer that the grammar allows breaks the original only where it was not enforced
    answer = {"shape": {"width": 1, "radius": 2}, "tags": ["a", "a"], "meta": {"a": 1, "b": 2}}
    jsonschema.validate(answer, reduced)
    errors = {e.validator for e in jsonschema.Draft202012Validator(NESTED).iter_errors(answer)}
    assert errors == {"oneOf", "uniqueItems", "maxProperties"}


def test_header_is_ascii_json_and_cut_to_fit() -> None:
    one = [Unenforced("uniqueItems", "/properties/ünï", "r")]
    assert json.loads(header_value(one)) == [["uniqueItems", "/properties/ünï"]]
    header_value(one).encode("ascii")
    many = [Unenforced("uniqueItems", f"/properties/p{i}", "r") for i in range(500)]
    value = json.loads(header_value(many))
    assert len(header_value(many)) < 4200 and value[-1][0] == "..." and "more in the response field" in value[-1][1]


def _fails(schema: Any) -> bool:
    try:
        grammar = llguidance.LLMatcher.grammar_from_json_schema(schema, overrides={"lenient": True})
        return bool(llguidance.LLMatcher.validate_grammar_with_warnings(grammar, None)[0])
    except (ValueError, TypeError):
        return True


def test_locate_failure_finds_the_keyword_and_its_place() -> None:
    schema = {"type": "object", "properties": {"id": {"type": "string"},
                                               "code": {"type": "string", "minLength": 2, "pattern": "(?<=a)b"}}}
    assert _fails(schema)
    assert locate_failure(schema, _fails) == ("/properties/code", "pattern")
    broken_ref = {"$defs": {"ok": {"type": "string"}}, "items": {"$ref": "#/$defs/missing"}, "type": "array"}
    assert locate_failure(broken_ref, _fails) == ("/items", "$ref")


def test_locate_failure_stops_in_time() -> None:
    import time

    def slow(_schema: Any) -> bool:
        time.sleep(0.02)
        return True  # nothing helps: the whole schema is the problem

    schema = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(200)}}
    started = time.monotonic()
    assert locate_failure(schema, slow, seconds=0.3) == ("", None)
    assert time.monotonic() - started < 1.0
