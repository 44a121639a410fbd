"""The quality benchmark's scorer: loose about formatting, strict about copied or run-on answers."""

from __future__ import annotations

import json
from pathlib import Path

from bench.quality import matches, score

CASES = Path(__file__).resolve().parents[2] / "bench" / "quality_cases.json"


def test_matches() -> None:
    assert matches(34, "34 years old") and matches("8.00", 8) and matches(1250.0, "1,250.00 USD")
    assert matches("Alex Brown", "alex brown") and matches("Development Zone", "Development Zone Station")
    assert not matches("Alex Brown", "John Doe")
    assert not matches("Alex Brown", "Hello everyone, my name is Alex Brown. I am 34 years old and I like it")
    assert not matches(34, 35) and not matches("x", None) and not matches("x", {"x": 1})


def test_score_counts_a_list_by_its_items() -> None:
    assert score({"hobby": "basketball"}, {"info": {"hobby": ["basketball", "travel"]}}) == (1, 1)
    assert score({"hobby": "chess"}, {"hobby": ["basketball"]}) == (0, 1)


def test_score_finds_keys_anywhere_case_insensitively() -> None:
    out = {"info": {"Name": "Alex Brown", "AGE": "34"}, "ticket": [{"seat_num": "371"}]}
    assert score({"name": "Alex Brown", "age": 34, "seat_num": "371", "email": "a@b"}, out) == (3, 4)


def test_the_set_is_big_enough_and_well_formed() -> None:
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    own = [c for c in cases if c["source"] == "own"]
    assert len(own) >= 30
    assert {c["family"] for c in own} >= {"people", "tickets", "invoices", "products"}
    assert {c["lang"] for c in own} == {"en", "zh"}
    assert all(set(c["expected"]) <= set(c["schema"]["properties"]) for c in own)
