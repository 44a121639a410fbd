"""The quality benchmark's scorer and its case sets: loose about formatting, strict about copied or run-on
answers; a test part big, varied and apart from what is tuned on."""

from __future__ import annotations

import jsonschema

from bench.quality import load_cases, matches, runaway_numbers, score


def test_matches() -> None:
    assert matches(34, "34 years old") and matches("8.00", 8) and matches(1250.0, "1,250.00 USD")
    assert matches("Alex Brown", "alex brown") and matches("Development Zone", "Development Zone Station")
    assert not matches("Alex Brown", "John Doe")
    assert not matches("Alex Brown", "Hello everyone, my name is Alex Brown. I am 34 years old and I like it")
    assert not matches(34, 35) and not matches("x", None) and not matches("x", {"x": 1})
    assert matches(True, True) and matches(True, "true") and not matches(True, False) and not matches(1, True)


def test_score_counts_a_list_by_its_items() -> None:
    assert score({"hobby": "basketball"}, {"info": {"hobby": ["basketball", "travel"]}}) == (1, 1)
    assert score({"hobby": "chess"}, {"hobby": ["basketball"]}) == (0, 1)


def test_score_finds_keys_anywhere_case_insensitively() -> None:
    out = {"info": {"Name": "Alex Brown", "AGE": "34"}, "ticket": [{"seat_num": "371"}]}
    assert score({"name": "Alex Brown", "age": 34, "seat_num": "371", "email": "a@b"}, out) == (3, 4)


def test_a_number_longer_than_any_of_the_input_is_a_runaway() -> None:
    given = "Party of 4 on 2025-06-06, total 1,250.00"
    assert runaway_numbers('{"guests": 1000000000000000, "total": 1250.0}', given) == ["1000000000000000"]
    assert runaway_numbers('{"guests": 4, "date": "2025-06-06", "total": 1250.00}', given) == []
    assert runaway_numbers('{"version": "0.50"}', "WeChat 8.0.50 crashes") == []  # copied as it stands
    assert runaway_numbers('{"phone": "13812345678"}', "call 13812345678") == []


def test_the_parts_are_big_enough_apart_and_well_formed() -> None:
    dev, test = load_cases("dev"), load_cases("test")
    assert len(test) >= 80 and len({c["family"] for c in test}) >= 10
    assert sum(c["lang"] == "zh" for c in test) * 2 >= len(test)
    assert not {c["family"] for c in test} & {c["family"] for c in dev}  # nothing tuned on is tested
    assert len({c["id"] for c in dev + test}) == len(dev + test)
    own = [c for c in dev + test if c["source"] == "own"]
    assert {c["lang"] for c in own} == {"en", "zh"}
    for c in own:
        jsonschema.Draft202012Validator.check_schema(c["schema"])
        assert set(c["expected"]) <= set(c["schema"]["properties"]), c["id"]
        for v in c["expected"].values():  # an extraction: every expected text is in the input
            assert not isinstance(v, str) or v.lower() in c["user"].lower(), (c["id"], v)
