"""Documented result vs live result: rows named from the documentation's side."""

from __future__ import annotations

from structured_output.diff import (
    DocumentedDiffRow,
    diff_counts,
    documented_diff,
    documented_diff_table,
    documented_values_found,
    keyed_leaves,
)
from structured_output.presets import get_preset


def test_equal_results_have_no_rows() -> None:
    doc = get_preset("getting-started-compatible").documented.value
    assert documented_diff(doc, dict(doc)) == []


def test_capitalized_keys_are_missing_and_extra() -> None:
    """The reference's own Node.js result ("Name", "Age") against its Python one ("name", "age")."""
    rows = documented_diff({"name": "Alex Brown", "age": 34}, {"Name": "Alex Brown", "Age": 34})
    assert [(r.path, r.kind) for r in rows] == [("$.name", "missing"), ("$.age", "missing"),
                                                ("$.Name", "extra"), ("$.Age", "extra")]
    assert diff_counts(rows) == {"missing": 2, "extra": 2, "type": 0, "value": 0}


def test_types_values_and_nested_arrays() -> None:
    documented = get_preset("image-ticket-invoice-compatible").documented.value
    live = {
        "ticket": [{"travel_date": "2013-06-29", "trains": "K1125", "seat_num": 371, "arrival_site": "Development Zone",
                    "price": "8.00"}],
        "invoice": [{"invoice_code": "221021325353", "invoice_number": "10283819"}, {"invoice_code": "x"}],
    }
    rows = documented_diff(documented, live)
    assert DocumentedDiffRow("$.ticket[0].trains", "value", "Serial Number", "K1125") in rows
    assert DocumentedDiffRow("$.ticket[0].seat_num", "type", "371", 371) in rows
    assert DocumentedDiffRow("$.invoice[1]", "extra", None, {"invoice_code": "x"}) in rows
    assert len(rows) == 3


def test_age_as_string_vs_integer_is_a_type_difference() -> None:
    rows = documented_diff({"age": "34 years old"}, {"age": 34})
    assert rows == [DocumentedDiffRow("$.age", "type", "34 years old", 34)]


def test_table_rows_leave_the_absent_side_empty() -> None:
    rows = documented_diff({"a": 1, "b": {"c": [1, 2]}}, {"b": {"c": [1]}, "d": None})
    table = documented_diff_table(rows)
    assert table == [
        {"path": "$.a", "kind": "missing", "documented": "1", "live": ""},
        {"path": "$.b.c[1]", "kind": "missing", "documented": "2", "live": ""},
        {"path": "$.d", "kind": "extra", "documented": "", "live": "null"},
    ]


def test_whole_value_of_a_different_shape() -> None:
    assert documented_diff({"a": 1}, [1]) == [DocumentedDiffRow("$", "type", {"a": 1}, [1])]


def test_documented_values_found_wherever_the_live_result_puts_them() -> None:
    documented = {"ticket": [{"travel_date": "2013-06-29", "seat_num": "371", "price": "8.00"}],
                  "invoice": [{"invoice_code": "221021325353"}], "email": None}
    flat = {"Travel Date": "2013-06-29", "seat_num": 371, "price": 8, "invoice_code": "999"}
    assert documented_values_found(documented, flat) == (3, 4)  # the code differs; null is not counted
    assert documented_values_found(documented, documented) == (4, 4)
    assert documented_values_found(documented, {"seat": "371", "price": "8.00"}) == (1, 4)  # key must match
    # one live value answers for one documented value
    assert documented_values_found({"tags": ["a", "a"]}, {"tags": ["a"]}) == (1, 2)
    assert documented_values_found({"n": "yes"}, {"n": True}) == (0, 1)
    assert keyed_leaves([1, {"a": [2, {"b": None}]}]) == [("a", 2)]
