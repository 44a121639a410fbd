"""The runaway guards: they follow the JSON being written and favour closing only what is long."""

from __future__ import annotations

import numpy as np

from local_engine.guards import ITEMS_SOFT, Guards, JsonShape

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
