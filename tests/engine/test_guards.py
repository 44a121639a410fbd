"""The runaway guards: they follow the JSON being written and favour closing only what is long."""

from __future__ import annotations

import re

import numpy as np

from local_engine.guards import ITEMS_SOFT, Guards, JsonShape
from local_engine.steering import Plan, Steerer, hint, read_plan, records

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


def steered(text: str, keys: list[str] | Plan, pieces: list[bytes] = KEY_PIECES) -> dict[bytes, float]:
    shape = JsonShape()
    shape.feed(text)
    logits = np.zeros(len(pieces))
    Steerer(pieces).apply(shape, logits, keys if isinstance(keys, Plan) else Plan(tuple(keys)))
    return {p: float(v) for p, v in zip(pieces, logits, strict=True) if v}


def favoured(text: str, keys: list[str] | Plan, pieces: list[bytes] = KEY_PIECES) -> set[bytes]:
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
    got = steered('{"invoice_code": "', KEYS)  # a value, not a key: only not closed early
    assert set(got) == {b'"}'} and got[b'"}'] < 0
    assert steered('{"Invoice', KEYS) == {}  # the model chose a key of its own
    assert steered('{"a": ["', KEYS) == {}  # a string in an array is a value
    assert favoured('{"a": {"invoice_code": 1}, "invoice', KEYS) == {b"_code"}  # keys are per object
    assert steered('{"invoice_code": 1, "invoice_number": 2, ', KEYS) == {}  # all named keys written
    assert steered('{"invoice_code": 1, "invoice_number": 2', KEYS) == {}  # a number may go on: left alone
    got = steered('{"invoice_code": 1, "invoice_number": "2"', KEYS)  # done: closed
    assert set(got) == {b"}"} and got[b"}"] > 0


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


RECEIPT = Plan(("ticket", "invoice", "travel_date", "price", "invoice_code"),
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


# ---------------------------------------------------------------- towards what the input holds

SPAN_PIECES = [b'"', b'",', b'"}', b"Laura", b" Chen", b"Lau", b"ra", b" Smith", b"}", b", {", b"{", b"1", b"2",
               b"4", b"0", b",", b"\xe5\x8c", b"\x97", b"\xe5\x8c\x97", b"\xe4\xba\xac", b"X"]


def grounded(text: str, source: str, pieces: list[bytes] = SPAN_PIECES, masked: set[bytes] = frozenset()) \
        -> dict[bytes, float]:
    shape = JsonShape()
    shape.feed_bytes(text.encode())
    logits = np.zeros(len(pieces))
    for i, p in enumerate(pieces):
        if p in masked:
            logits[i] = -np.inf
    Steerer(pieces).apply(shape, logits, Plan(source=source))
    return {p: float(v) for p, v in zip(pieces, logits, strict=True) if v and np.isfinite(v)}


def test_a_string_value_is_nudged_to_start_and_go_on_as_a_span_of_the_input() -> None:
    src = "Dear Ms. Laura Chen, your room is booked for 2 guests."
    start = grounded('{"guest_name": "', src)
    assert start[b"Laura"] > 0 and start[b"Lau"] > 0 and b" Smith" not in start and b"X" not in start
    assert start[b"}"] < 0 and start[b", {"] < 0  # no JSON punctuation inside a string the input has none of
    inside = grounded('{"guest_name": "Laura', src)
    assert inside[b" Chen"] > 0 and b" Smith" not in inside
    assert inside[b'"'] > 0 and inside[b'",'] > 0  # "Laura" ends at a word boundary: closing may come too
    assert grounded('{"guest_name": "Lau', src)[b"ra"] > 0  # a span goes on inside a word
    assert b'"' not in grounded('{"guest_name": "Lau', src)  # but does not end there


def test_a_span_is_not_pushed_across_a_clause_break() -> None:
    got = grounded('{"guest_name": "Laura Chen', "Dear Ms. Laura Chen, your room")
    assert got[b'"'] > 0 and got[b","] < 0  # closing is favoured, going on into ", your" is disfavoured


def test_a_value_is_not_closed_as_a_copy_of_another_value_of_its_object() -> None:
    src = "男子100米决赛 at 100 Main St"
    copy = grounded('{"athlete": "100", "event": "100', src)
    fresh = grounded('{"athlete": "Su", "event": "100', src)
    assert copy[b'"'] < fresh[b'"'] and copy[b'",'] < fresh[b'",']
    nested = grounded('{"athlete": "100", "more": {"event": "100', src)  # another object: its own values
    assert nested[b'"'] == fresh[b'"']


def test_a_value_that_left_the_input_behind_is_nudged_to_close_the_longer_it_grows() -> None:
    src = "Dear Ms. Laura Chen"
    short = grounded('{"note": "Laura Chen is our', src)
    long = grounded('{"note": "Laura Chen is our guest of honour tonight and', src)
    assert short.get(b'"', 0) == 0 and long[b'"'] > 0


def test_cjk_spans_start_and_end_anywhere_and_go_on_byte_by_byte() -> None:
    src = "住在北京市"
    assert grounded('{"city": "', src)[b"\xe5\x8c\x97"] > 0  # 北 starts a span though no space is before it
    shape_text = b'{"city": "' + b"\xe5\x8c"  # a token ended inside the character 北
    shape = JsonShape()
    shape.feed_bytes(shape_text)
    logits = np.zeros(len(SPAN_PIECES))
    Steerer(SPAN_PIECES).apply(shape, logits, Plan(source=src))
    assert logits[SPAN_PIECES.index(b"\x97")] > 0
    assert grounded('{"city": "北京', src)[b'"'] > 0  # CJK text can end a span anywhere


def test_numbers_follow_the_numbers_of_the_input_and_end_where_they_end() -> None:
    src = "Salary 4200 EUR for 2 people"
    start = grounded('{"salary": ', src, masked={b'"', b'",', b'"}'})  # the grammar asks for a number
    assert start[b"4"] > 0 and start[b"2"] > 0 and b"1" not in start
    assert b"4" not in grounded('{"salary": ', src)  # where a string may come too, nothing is pushed
    mid = grounded('{"salary": 42', src)
    assert mid[b"0"] > 0 and b"," not in mid
    end = grounded('{"salary": 4200', src)
    assert end[b"}"] > 0 and end[b","] > 0 and end[b"0"] < 0 and end[b"1"] < 0
    runaway = grounded('{"salary": 85000', src)  # no number of the input is this long
    assert runaway[b"0"] < 0 and runaway[b"}"] > 0
    assert grounded('{"total": 1250', "total 1,250.00")[b"}"] > 0  # thousands separators do not count
    after_one = grounded('{"total": 1', "total 1,250.00")  # 1,250 goes on as 1250: JSON has no separators
    assert after_one[b"2"] > 0 and after_one.get(b",", 0) <= 0


def test_digits_inside_a_string_are_held_to_the_longest_number_of_the_input() -> None:
    src = "The festival is on 14 September at Victoria Park."
    pieces = [*SPAN_PIECES, b" 2023", b"20", b" 14", b"3"]
    later = grounded('{"date": "14 September', src, pieces)
    assert later[b" 2023"] < 0 and later.get(b" 14", 0) >= 0  # no four-digit number in the input
    assert grounded('{"date": "1', src, pieces)[b"4"] >= 0 and grounded('{"date": "14', src, pieces)[b"3"] < 0
    assert grounded('{"date": "On ', "2025-07-12", pieces).get(b"20", 0) >= 0  # four digits are in this input


def test_nothing_is_steered_without_a_plan_or_outside_values() -> None:
    shape = JsonShape()
    shape.feed('{"a": "Lau')
    logits = np.zeros(len(SPAN_PIECES))
    Steerer(SPAN_PIECES).apply(shape, logits, None)
    assert not logits.any()
    assert grounded('{"Lau', "Laura") == {}  # a key, not a value


# ---------------------------------------------------------------- a JSON sample in the instruction

SAMPLE = 'Reply in JSON like this: {"events": [{"event_time": "01:25", "score": "3-2"}]}'
TIMELINE = ("At the start: LIONS TIGERS · 0-0 · MINUTE 60\n00:02 MINUTE 62\n00:04 1-0 · MINUTE 64\n"
            "00:08 1-1\n00:10 2-1 · MINUTE 70")
FORM_PIECES = [b'"', b'"0', b"00", b":", b"04", b"08", b"01", b"1", b"-", b"0", b'"}', b'"},', b'"}]', b'"}]}',
               b'"}],', b",", b"]", b"]}", b"}", b"2", b"3", b'"event', b'"events"', b"s", b'_time"']


def test_a_json_sample_gives_keys_nesting_types_and_forms() -> None:
    plan = read_plan([SAMPLE], TIMELINE)
    assert plan.sample and plan.groups == {"events": ("event_time", "score")} and plan.lists
    assert plan.types == {"event_time": "string", "score": "string"}
    assert re.fullmatch(plan.forms["event_time"], "00:04") and not re.search(plan.forms["event_time"], "MINUTE 60")
    assert re.fullmatch(plan.forms["score"], "12-0") and not re.search(plan.forms["score"], "00:04")
    # the records are the lines holding both forms: the changes, not the start (which has no time)
    assert records(plan, "events") == [{"event_time": "00:04", "score": "1-0"}, {"event_time": "00:08", "score": "1-1"},
                                       {"event_time": "00:10", "score": "2-1"}]
    # the reference's structure with a description in each value: groups and types, no form of a description
    ref = read_plan(['The output must follow: {"info": {"name": "String. Required.", "age": "String, e.g. 25 '
                     'years old, as written"}, "hobby": ["Array of strings."]}'])
    assert ref.groups == {"info": ("name", "age")} and not ref.lists and ref.types["hobby"] == "array"
    assert ref.forms == {} and read_plan(["no sample {here}: extract the name and age"]).sample is False


def test_declared_types_are_read_from_the_instruction() -> None:
    plan = read_plan(["You need to extract the name (string), age (integer, in years), and email. Output JSON."])
    assert plan.keys == ("name", "age", "email") and plan.types == {"name": "string", "age": "number"}
    assert "age (number)" in hint(plan)
    got = steered('{"name": ', plan, FORM_PIECES)
    assert got[b'"'] > 0 and got[b"1"] < 0  # a declared string starts as a string, not as a number
    got = steered('{"name": "Al", "age": ', plan, FORM_PIECES)
    assert got[b"1"] > 0 and got[b'"'] < 0


def test_a_value_in_the_samples_form_is_taken_from_the_objects_record_in_order() -> None:
    plan = read_plan([SAMPLE], TIMELINE)
    first = steered('{"events": [{"event_time": "', plan, FORM_PIECES)
    assert first[b"00"] > first.get(b"01", 0) and first[b"00"] > 0
    assert steered('{"events": [{"event_time": "00:', plan, FORM_PIECES)[b"04"] > 0
    second = steered('{"events": [{"event_time": "00:04", "score": "1-0"}, {"event_time": "00:', plan, FORM_PIECES)
    assert second[b"08"] > second[b"04"] + 4  # the second object takes the second record
    # the last value of an object: the list goes on while records remain, and closes after the last
    going = steered('{"events": [{"event_time": "00:04", "score": "1-0', plan, FORM_PIECES)
    assert going[b'"},'] > going[b'"}]'] + 8
    done = steered('{"events": [{"event_time": "00:04", "score": "1-0"}, {"event_time": "00:08", "score": "1-1"}, '
                   '{"event_time": "00:10", "score": "2-1', plan, FORM_PIECES)
    assert done[b'"}]'] > done[b'"},'] + 8 and done[b'"}]'] > done[b'"}],'] + 8
    after = steered('{"events": [{"event_time": "00:04", "score": "1-0"}', plan, FORM_PIECES)
    assert after[b","] > 0 and after[b"]"] < 0


def test_the_samples_keys_hold_back_keys_of_the_models_own() -> None:
    plan = read_plan([SAMPLE], TIMELINE)
    got = steered('{"event', plan, FORM_PIECES)
    assert got[b"s"] > 0 and got[b'_time"'] < 0  # "events", the sample's key, not "event_time" at the top
    assert steered('{"event', Plan(("events", "event_time")), FORM_PIECES).get(b'_time"', 0) == 0  # prose: left alone
