"""The field table: a schema read into rows and written back unchanged, rows that make no schema named
by row, and schemas the table cannot show refused with the reason."""

from __future__ import annotations

import pytest

from structured_output.workbench.field_table import FieldRow, TableError, to_rows, to_schema

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "User name"},
        "age": {"type": "integer"},
        "status": {"type": "string", "enum": ["active", "left"]},
        "address": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                    "additionalProperties": False},
        "orders": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}},
                                              "required": ["sku"], "additionalProperties": False}},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "age", "address"],
    "additionalProperties": False,
}


def test_a_schema_goes_to_rows_and_back_unchanged() -> None:
    rows, closed = to_rows(SCHEMA)
    assert closed
    assert [(r.field, r.type, r.required) for r in rows] == [
        ("name", "string", True), ("age", "integer", True), ("status", "string", False),
        ("address", "object", True), ("address.city", "string", True), ("orders", "array", False),
        ("orders[]", "object", True), ("orders[].sku", "string", True), ("tags", "array", False),
        ("tags[]", "string", True)]
    assert rows[0].description == "User name" and rows[2].enum == "active, left"
    assert to_schema(rows, closed) == SCHEMA


def test_an_edit_in_the_table_is_a_change_in_the_schema() -> None:
    rows, closed = to_rows(SCHEMA)
    rows.append(FieldRow("address.zip", "string", False, "Postal code"))
    rows[1].type = "number"
    out = to_schema(rows, closed)
    assert out["properties"]["age"] == {"type": "number"}
    assert out["properties"]["address"]["properties"]["zip"] == {"type": "string", "description": "Postal code"}
    assert out["properties"]["address"]["required"] == ["city"]


@pytest.mark.parametrize(("rows", "words"), [
    ([FieldRow("", "string")], "Row 1 has no field name"),
    ([FieldRow("a", "string"), FieldRow("a", "integer")], "listed twice"),
    ([FieldRow("a.b", "string")], "there is no row for 'a' before it"),
    ([FieldRow("a", "string"), FieldRow("a.b", "string")], "'a' is not an object"),
    ([FieldRow("a", "array")], "The array 'a' has no items row"),
    ([FieldRow("a", "integer", enum="x, y")], "enum values are for string fields"),
    ([FieldRow("a", "date")], "the type 'date' is not one of"),
])
def test_rows_that_make_no_schema_name_the_row(rows: list[FieldRow], words: str) -> None:
    with pytest.raises(TableError) as e:
        to_schema(rows)
    assert words in e.value.message and e.value.hint


@pytest.mark.parametrize(("schema", "words"), [
    ({"type": "object", "properties": {"e": {"type": "string", "format": "email"}}}, "`format` at $.e"),
    ({"type": "object", "properties": {"e": {"type": ["string", "null"]}}}, "the type ['string', 'null'] at $.e"),
    ({"type": "object", "properties": {"e": {"$ref": "#/$defs/x"}}}, "the type None at $.e"),
    ({"type": "array"}, "top is not"),
    ({"type": "object", "properties": {"a": {"type": "object", "properties": {}}}, "additionalProperties": False},
     "additionalProperties false on some objects and not others"),
])
def test_a_schema_the_table_cannot_show_says_why(schema: dict, words: str) -> None:
    with pytest.raises(TableError) as e:
        to_rows(schema)
    assert words in e.value.message
