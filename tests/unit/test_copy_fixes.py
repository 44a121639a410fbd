"""Copy a demanding user noticed (issue 14): a parse error that points past the real mistake names it;
keyword and schema path are not said twice."""

from __future__ import annotations

import pytest

from components.results import where_in_schema
from structured_output import jsontext


@pytest.mark.parametrize(("text", "line", "says"), [
    ('{\n  "a": 1\n  "b": 2\n}', 3, "a comma is probably missing at the end of line 2"),
    ('{\n  "a": {"x": [1, 2]\n', 3, "the `{` opened at line 2, column 8 is never closed"),
    ('[1, 2', 1, "the `[` opened at line 1, column 1 is never closed"),
    ('{"a": "}"', 1, "the `{` opened at line 1, column 1 is never closed"),  # a bracket inside a string is text
])
def test_parse_error_names_the_real_mistake(text: str, line: int, says: str) -> None:
    with pytest.raises(jsontext.JSONTextError) as e:
        jsontext.loads(text)
    assert e.value.line == line and says in e.value.msg


def test_a_plain_mistake_gets_no_guess() -> None:
    with pytest.raises(jsontext.JSONTextError) as e:
        jsontext.loads('{"a": tru}')
    assert e.value.msg == "Expecting value"


def test_keyword_and_schema_path_not_doubled() -> None:
    assert where_in_schema("additionalProperties", "additionalProperties") == "additionalProperties"
    assert where_in_schema("type", "properties/age/type") == "properties/age/type"
    assert where_in_schema("required", "(root)") == "required · (root)"
