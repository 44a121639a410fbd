"""Validation against the editor's schema in the modes that do not send it: on for the example's own
prompts or a schema of the user's, off once the prompts leave the example; the name follows the schema."""

from __future__ import annotations

import json

from structured_output.request import Request
from structured_output.result import RunResult, finish
from structured_output.schema_origin import SchemaOrigin, describe, followed_name, name_for, validate_by_default

SCHEMA = '{"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name", "age"]}'
ORIGIN = SchemaOrigin("the preset “User info” (user_info)", SCHEMA, "user_info", "Extract the name. JSON.",
                      "I am Alex, 34.")
OWN_SCHEMA = json.dumps({"title": "Invoice Line", "type": "object", "properties": {"sku": {"type": "string"}}})


def test_on_with_the_example_prompts_off_with_the_users_own() -> None:
    assert validate_by_default(ORIGIN, "Extract the name.  JSON.", "I am Alex, 34.\n", SCHEMA)  # spaces aside
    assert not validate_by_default(ORIGIN, "List the products and unit prices as JSON.", "2 apples at $1", SCHEMA)
    assert "no longer that example's" in describe(ORIGIN, "List the products as JSON.", "2 apples", SCHEMA)
    assert "from the preset “User info” (user_info), with its prompts" in describe(
        ORIGIN, ORIGIN.system_prompt, ORIGIN.user_text, SCHEMA)


def test_a_schema_the_user_wrote_is_validated_against() -> None:
    assert validate_by_default(ORIGIN, "List the products as JSON.", "2 apples", OWN_SCHEMA)
    assert describe(ORIGIN, "x", "y", OWN_SCHEMA) == "The schema is yours (edited in the editor)."
    # re-indenting the example's schema is not writing one's own
    assert not ORIGIN.schema_edited(json.dumps(json.loads(SCHEMA), indent=4))
    assert not validate_by_default(ORIGIN, "x", "y", "  ")


def test_schema_name_follows_the_schema_unless_typed() -> None:
    assert name_for(OWN_SCHEMA) == "invoice_line"
    assert name_for('{"type": "object"}') == "result"
    assert name_for("{not json") == "result"
    assert name_for('{"title": "HTTPResponse v2"}') == "http_response_v2"
    assert followed_name(ORIGIN, OWN_SCHEMA, "user_info") == "invoice_line"
    assert followed_name(ORIGIN, SCHEMA, "invoice_line", last_followed="invoice_line") == "user_info"  # back
    assert followed_name(ORIGIN, OWN_SCHEMA, "my_name") == "my_name"  # typed by the user: kept
    assert followed_name(ORIGIN, '{"title": "Order"}', "invoice_line", last_followed="invoice_line") == "order"


def test_not_chosen_means_not_validated_in_json_object_mode_but_always_in_json_schema_mode() -> None:
    off = Request(mode="json_object", schema_text=SCHEMA, validate_schema=False)
    assert off.validation_schema() is None
    assert Request(mode="json_schema", schema_text=SCHEMA, validate_schema=False).validation_schema() is not None
    r = finish(RunResult(content='{"total": 3}'), off.validation_schema())
    assert r.verdict == "parsed"  # not "invalid": nothing was asked to be checked
    r = finish(RunResult(content='{"total": 3}'), Request(mode="json_object", schema_text=SCHEMA).validation_schema())
    assert r.verdict == "invalid"
