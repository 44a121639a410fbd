"""Answers read while they stream: every prefix of an answer gives a value that grows toward the
finished one, keys appearing in the order the model wrote them."""

from __future__ import annotations

import json

from structured_output.workbench.partial import read_partial

ANSWER = '{"name": "Alex Brown", "age": 34, "hobbies": ["basketball", "traveling"], "address": {"city": "Oslo"}}'


def test_every_prefix_reads_as_a_growing_value_and_the_whole_as_the_answer() -> None:
    seen_keys: list[str] = []
    last = 0
    for i in range(1, len(ANSWER) + 1):
        p = read_partial(ANSWER[:i])
        assert p is not None, ANSWER[:i]
        assert isinstance(p.value, dict)
        assert p.keys >= last - 1  # a key being typed may show for a moment and be replaced by its full name
        last = p.keys
        for k in p.value:
            if k not in seen_keys and ANSWER[:i].endswith(('"', ",", "}", " ", "]")) and k in json.loads(ANSWER):
                seen_keys.append(k)
    assert read_partial(ANSWER).value == json.loads(ANSWER)
    assert seen_keys == ["name", "age", "hobbies", "address"]
    assert read_partial(ANSWER[:50]).value == {"name": "Alex Brown", "age": 34, "hobbies": ["bas"]}


def test_fences_and_white_space_before_the_json_are_passed_over() -> None:
    p = read_partial('\n```json\n{"a": [1, 2')
    assert p is not None and p.value == {"a": [1, 2]} and p.skipped == "\n```json\n"
    assert read_partial('```json\n{"a": 1}\n```\nThat is all.').value == {"a": 1}


def test_prose_is_not_read_as_json() -> None:
    assert read_partial("Sure! Here is the JSON: {") is None
    assert read_partial("") is None
    assert read_partial("   ") is None
