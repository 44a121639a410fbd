"""The runaway guards: they follow the JSON being written and favour closing only what is long."""

from __future__ import annotations

import numpy as np

from local_engine.guards import ITEMS_SOFT, Guards, JsonShape, KeyPlan

PIECES = [b"}", b"]", b"},", b'"]', b'"}', b"}]", b'"', b"a", b"{", b", "]


def biases(text: str) -> dict[bytes, float]:
    shape = JsonShape()
    shape.feed(text)
    logits = np.zeros(len(PIECES))
    Guards(PIECES).apply(shape, logits)
    return {p: float(v) for p, v in zip(PIECES, logits, strict=True) if v}


def test_short_json_is_left_alone() -> None:
    assert biases('{"name": "Alex Brown", "tags": ["a", "b"') == {}


def test_long_list_favours_closers_not_continuations() -> None:
    many = ", ".join(str(i) for i in range(ITEMS_SOFT + 12))
    got = biases('{"n": [' + many)
    assert got[b"]"] > 0 and got[b"}]"] > 0
    assert b"}," not in got and b", " not in got


def test_long_list_of_strings_favours_quote_closers() -> None:
    many = ", ".join(f'"item {i}"' for i in range(ITEMS_SOFT + 12))
    got = biases('{"n": [' + many[:-1])  # inside the last string
    assert set(got) == {b'"]', b'"}'}


def test_long_string_favours_its_closing_quote() -> None:
    got = biases('{"text": "' + "x" * 300)
    assert got[b'"'] > 0 and got[b'"]'] > 0


def test_deep_nesting_discourages_opening() -> None:
    assert biases('{"a": {"b": {"c": {"d": {"e": ')[b"{"] < 0


KEY_PIECES = [b'"', b'"inv', b"inv", b"oice", b"_code", b"_number", b'"Inv', b"Invoice", b" No", b":", b"}",
              b"{", b"[", b"1", b'"}', b'",']


def steered(text: str, keys: list[str] | KeyPlan, pieces: list[bytes] = KEY_PIECES) -> dict[bytes, float]:
    shape = JsonShape()
    shape.feed(text)
    logits = np.zeros(len(pieces))
    Guards(pieces).steer_keys(shape, logits, keys if isinstance(keys, KeyPlan) else KeyPlan(tuple(keys)))
    return {p: float(v) for p, v in zip(pieces, logits, strict=True) if v}


def favoured(text: str, keys: list[str] | KeyPlan, pieces: list[bytes] = KEY_PIECES) -> set[bytes]:
    return {p for p, v in steered(text, keys, pieces).items() if v > 0}


KEYS = ["invoice_code", "invoice_number"]


def test_key_steering_favours_the_first_named_key_not_yet_written() -> None:
    assert set(steered("{", KEYS)) == {b'"', b'"inv'}
    assert favoured('{"inv', KEYS) == {b"oice"}
    assert favoured('{"invoice', KEYS) == {b"_code"}  # in the order the instruction names them
    assert favoured('{"invoice_code": "1", "invoice', KEYS) == {b"_number"}
    assert favoured('{"invoice_code": "1",\n  "invoice', KEYS) == {b"_number"}
    assert all(v > 0 for v in steered("{", KEYS).values())
    assert steered('{"invoice', KEYS)[b'"'] < 0  # "invoice" is not yet "invoice_code": not closed there


def test_key_steering_leaves_values_and_keys_of_the_models_own_alone() -> None:
    assert steered('{"invoice_code": "', KEYS) == {b'"}': -6.0}  # a value, not a key: only not closed early
    assert steered('{"Invoice', KEYS) == {}  # the model chose a key of its own
    assert steered('{"a": ["', KEYS) == {}  # a string in an array is a value
    assert favoured('{"a": {"invoice_code": 1}, "invoice', KEYS) == {b"_code"}  # keys are per object
    assert steered('{"invoice_code": 1, "invoice_number": 2, ', KEYS) == {}  # all named keys written
    assert steered('{"invoice_code": 1, "invoice_number": 2', KEYS) == {}  # a number may go on: left alone
    assert steered('{"invoice_code": 1, "invoice_number": "2"', KEYS) == {b"}": 6.0}  # done: closed


def test_an_object_with_some_named_keys_is_not_closed_before_the_rest() -> None:
    got = steered('{"invoice_code": "1"', KEYS)
    assert set(got) == {b"}"} and got[b"}"] < 0
    assert b"}" in steered('{"invoice_code": 12', KEYS)  # inside a number too
    assert set(steered('{"invoice_code": "12', KEYS)) == {b'"}'}  # a string value closed with its object
    assert steered('{"ticket": "1"', KEYS) == {}  # an object of the model's own
    assert steered("{", []) == {}


def test_a_named_key_gets_a_plain_value_not_a_nested_container() -> None:
    got = steered('{"invoice_code": ', KEYS)
    assert got[b"{"] < 0 and got[b"["] < 0 and b"1" not in got
    assert steered('{"ticket": ', KEYS) == {}  # a key of the model's own may hold anything


def test_shape_tells_keys_from_values() -> None:
    shape = JsonShape()
    shape.feed('{"a": "x", "b": [{"c": 1}], "d')
    assert shape.in_key and shape.key_text == "d"
    assert shape.keys[-1] == {"a", "b"}
    shape.feed('": ')
    assert shape.value_of == "d" and not shape.at_key
    shape.feed("7, ")
    assert shape.value_of is None and shape.at_key


RECEIPT = KeyPlan(("ticket", "invoice", "travel_date", "price", "invoice_code"),
                  {"ticket": ("travel_date", "price"), "invoice": ("invoice_code",)}, lists=True)
NEST_PIECES = [b'"', b'"ticket"', b'"invoice"', b'"travel', b'"price', b'"invoice_code', b"[", b"[{", b'["', b"{",
               b"}", b"},", b"}]", b"}]}", b"]", b"],", b"]}", b'"x', b"1", b'",', b'"},']


def test_a_group_holds_a_list_of_objects_with_its_own_keys() -> None:
    assert {p for p, v in steered("{", RECEIPT, NEST_PIECES).items() if v > 0} == {b'"', b'"ticket"'}
    got = steered('{"ticket": ', RECEIPT, NEST_PIECES)
    assert got[b"["] > 0 and got[b"[{"] > 0 and got[b'["'] < 0  # an array of objects, not of strings
    got = steered('{"ticket": [', RECEIPT, NEST_PIECES)
    assert got[b"{"] > 0 and got[b'"x'] < 0 and got[b"1"] < 0
    assert {p for p, v in steered('{"ticket": [{', RECEIPT, NEST_PIECES).items() if v > 0} == {b'"', b'"travel'}
    # the ticket's object is done: it closes alone, its list closes and the top level goes on to "invoice"
    got = steered('{"ticket": [{"travel_date": "d", "price": "8"', RECEIPT, NEST_PIECES)
    assert got[b"}"] > 0 and got[b"},"] < 0 and got[b"}]}"] < 0
    got = steered('{"ticket": [{"travel_date": "d", "price": "8"}', RECEIPT, NEST_PIECES)
    assert got[b"]"] > 0 and got[b"],"] > 0 and got[b"]}"] < 0
    assert {p for p, v in steered('{"ticket": [{"travel_date": "d", "price": "8"}], ', RECEIPT, NEST_PIECES).items()
            if v > 0} == {b'"', b'"invoice"'}
    # everything written: the last list and the object close
    got = steered('{"ticket": [{"travel_date": "d", "price": "8"}], "invoice": [{"invoice_code": "1"}',
                  RECEIPT, NEST_PIECES)
    assert got[b"]}"] > 0 and got[b"],"] < 0
    # a string value of a finished object ends without going on to another key
    assert steered('{"ticket": [{"travel_date": "d", "price": "8', RECEIPT, NEST_PIECES)[b'",'] < 0


def test_a_key_of_the_models_own_is_not_steered_inside_when_groups_exist() -> None:
    assert steered('{"extra": {', RECEIPT, NEST_PIECES) == {}


BOOKS = KeyPlan(("books", "title", "year"), {"books": ("title", "year")}, lists=True, many=True)


def test_a_list_of_many_goes_on_item_after_item_but_takes_no_keys_of_its_own() -> None:
    item = '{"books": [{"title": "Dune", "year": "1965"'
    got = steered(item, BOOKS, NEST_PIECES)
    assert got[b"}"] > 0 and got[b"},"] > 0  # this item is done; another may follow
    assert steered(item[:-1], BOOKS, NEST_PIECES)[b'",'] < 0  # but no key of the model's own in it
    assert b'"},' not in steered(item[:-1], BOOKS, NEST_PIECES)
    got = steered(item + "}", BOOKS, NEST_PIECES)
    assert got == {b"],": -6.0}  # the model ends the list; the object around it is done then
    got = steered('{"books": [{"title": "Dune", "year": 1965', BOOKS, [*NEST_PIECES, b"}],", b","])
    assert got[b"}],"] < 0 and got[b","] < 0  # after a number too: neither another key nor more at the top
