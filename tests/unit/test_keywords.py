"""The keyword table: every keyword a schema uses, for each target (DashScope as the reference documents
it, OpenAI strict mode as its guide documents it, the local engine as llguidance compiles it), from
data/keywords.json; and the local engine's per-answer list read back from stored responses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import llguidance
import pytest

from local_engine import enforcement
from structured_output.keywords import (
    ENFORCEMENT_PARAM,
    UNENFORCED_FIELD,
    UNKNOWN_GROUP,
    UnenforcedKeyword,
    attention,
    keyword_details,
    keyword_table,
    keyword_uses,
    legend,
    load_rules,
    satisfied,
    unenforced_in,
    unenforced_line,
)

REFERENCE = Path("/work/shared/reference/model-studio-structured-output.md")
SCHEMA: dict[str, Any] = {
    "title": "Post",
    "type": "object",
    "properties": {
        "format": {"type": "string", "enum": ["short", "long"]},  # a property named like a keyword
        "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}, "uniqueItems": True},
        "body": {"allOf": [{"type": "string"}, {"minLength": 1}]},
        "kind": {"oneOf": [{"const": "a"}, {"const": "b"}]},
    },
    "required": ["format", "tags"],
    "additionalProperties": False,
    "x-internal": True,
}
DS, OA, LOCAL = "DashScope (reference)", "OpenAI strict mode", "Local engine (llguidance)"


def _status(df: Any, keyword: str, target: str) -> str:
    return str(df.loc[df["keyword"] == keyword, target].iloc[0])


def test_table_lists_each_keyword_once_with_its_places() -> None:
    assert list(keyword_table(SCHEMA, None, load_rules().shown("local")).columns) == [
        "keyword", "applies to", "used at", DS, OA, LOCAL]
    df = keyword_table(SCHEMA)  # every target, the custom servers after the three endpoints
    assert list(df.columns)[:6] == ["keyword", "applies to", "used at", DS, OA, LOCAL]
    assert df["keyword"].is_unique
    assert set(df["keyword"]) == {"title", "type", "properties", "enum", "items", "pattern", "uniqueItems", "allOf",
                                  "minLength", "oneOf", "const", "required", "additionalProperties", "x-internal"}
    assert "format" not in set(df["keyword"])  # the property called format is not the keyword
    used = dict(zip(df["keyword"], df["used at"], strict=True))
    assert used["uniqueItems"] == "/properties/tags"
    assert used["pattern"] == "/properties/tags/items"
    assert used["type"].endswith("more")  # 5 places, 3 shown
    assert df.loc[df["keyword"] == "x-internal", "applies to"].iloc[0] == UNKNOWN_GROUP


def test_dashscope_column_is_what_the_reference_says_and_nothing_more() -> None:
    df = keyword_table(SCHEMA)
    for keyword in ("type", "enum", "properties", "required", "additionalProperties"):
        assert _status(df, keyword, DS) == "✓ decoding", keyword
    for keyword in ("uniqueItems", "pattern", "allOf", "oneOf", "minLength", "const", "items", "title"):
        assert _status(df, keyword, DS) == "? not documented", keyword


def test_dashscope_citations_quote_the_reference() -> None:
    if not REFERENCE.exists():
        pytest.skip("the shared reference is not on this machine")
    text = re.sub(r"[*`]", "", REFERENCE.read_text(encoding="utf-8"))  # the words, not the markdown
    target = next(t for t in load_rules().targets if t.id == "dashscope")
    quotes = [q for rule in {*target.rules.values(), target.default} for q in re.findall(r"'([^']+)'", rule.source)]
    assert len(quotes) >= 4
    for quote in quotes:
        for piece in quote.split("..."):
            assert piece.strip() in text, (quote, piece)


def test_openai_strict_column_follows_its_guide() -> None:
    df = keyword_table(SCHEMA)
    assert _status(df, "allOf", OA) == "✗ refused"
    for keyword in ("type", "enum", "pattern", "properties", "required", "additionalProperties"):
        assert _status(df, keyword, OA) == "✓ decoding", keyword
    for keyword in ("minLength", "uniqueItems", "oneOf", "const"):
        assert _status(df, keyword, OA) == "? not documented", keyword
    details = keyword_details(SCHEMA)
    row = details[(details["keyword"] == "required") & (details["target"] == OA)].iloc[0]
    assert row["status"] == "enforced while decoding"  # the long form has the full words
    assert "must be listed in required" in row["note"] and "All fields must be required" in row["source"]


def test_local_engine_column_says_what_llguidance_enforces() -> None:
    df = keyword_table(SCHEMA)
    for keyword in ("type", "enum", "const", "items", "minLength", "required", "additionalProperties"):
        assert _status(df, keyword, LOCAL) == "✓ decoding", keyword
    assert _status(df, "uniqueItems", LOCAL) == "○ afterwards only"
    assert _status(df, "oneOf", LOCAL) == "◐ in part"
    assert _status(df, "title", LOCAL) == "– annotation"
    assert _status(df, "x-internal", LOCAL) == "– annotation"


SAMPLES: dict[str, Any] = {
    "uniqueItems": True, "contains": {"type": "string"}, "minContains": 1, "maxContains": 2,
    "unevaluatedItems": False, "if": {"required": ["a"]}, "then": {"required": ["b"]}, "else": {"required": ["c"]},
    "dependentRequired": {"a": ["b"]}, "dependentSchemas": {"a": {"required": ["b"]}},
    "propertyNames": {"maxLength": 3}, "unevaluatedProperties": False, "not": {"required": ["a"]},
    "$dynamicRef": "#node", "$recursiveRef": "#",
}


def _warnings(schema: dict[str, Any]) -> tuple[bool, list[str]]:
    grammar = llguidance.LLMatcher.grammar_from_json_schema(schema, overrides={"lenient": True})
    failed, messages = llguidance.LLMatcher.validate_grammar_with_warnings(grammar, None)
    return failed, [m for m in messages if "tokenizer" not in m]


def test_local_rules_agree_with_llguidance() -> None:
    """What the data says the local engine ignores, llguidance's lenient compile does ignore (and warns of);
    what it says is enforced compiles without a warning."""
    local = next(t for t in load_rules().targets if t.id == "local")
    ignored = [k for k, r in local.rules.items() if r.status == "validation"]
    assert set(ignored) == set(SAMPLES)
    for keyword in ignored:
        failed, messages = _warnings({"type": "object", keyword: SAMPLES[keyword]})
        assert not failed and any(keyword in m for m in messages), (keyword, messages)
    enforced = {"minLength": 2, "maxLength": 4, "pattern": "^a+$", "minimum": 1, "multipleOf": 2, "minItems": 1,
                "const": "x", "enum": ["x"], "additionalProperties": False, "required": ["a"]}
    for keyword, value in enforced.items():
        assert local.rule(keyword).status in ("decoding", "partial"), keyword
        assert _warnings({keyword: value}) == (False, []), keyword


def test_every_rule_names_a_known_keyword_and_every_status_has_words() -> None:
    rules = load_rules()
    assert "○ afterwards only = not enforced while decoding; checked afterwards" in legend(rules)
    for t in rules.targets:
        assert set(t.rules) <= set(rules.groups), (t.id, set(t.rules) - set(rules.groups))
        assert t.default.source and all(r.source and r.note for r in t.rules.values())
    assert rules.target_for("intl") is not None and rules.target_for("intl").id == "dashscope"  # type: ignore[union-attr]
    assert rules.target_for("custom").id == "openai_strict"  # type: ignore[union-attr]
    assert rules.target_for("local").id == "local"  # type: ignore[union-attr]


def test_keyword_uses_walks_schema_positions_only() -> None:
    schema = {"$defs": {"required": {"type": "string"}}, "properties": {"items": {"$ref": "#/$defs/required"}},
              "default": {"type": "not a keyword here"}}
    uses = keyword_uses(schema)
    assert uses["type"] == ["/$defs/required"]
    assert uses["$ref"] == ["/properties/items"]
    assert "items" not in uses and "required" not in uses


ITEMS = [{"keyword": "uniqueItems", "path": "/properties/tags", "reason": "llguidance does not implement it"}]


@pytest.mark.parametrize("raw", [
    {"choices": [], UNENFORCED_FIELD: ITEMS},  # compatible body
    {"output": {"choices": [], UNENFORCED_FIELD: ITEMS}, "request_id": "x"},  # native body
    [{"choices": [{"delta": {}}]}, {"choices": [{"finish_reason": "stop"}], UNENFORCED_FIELD: ITEMS}, {"usage": {}}],
    [{"output": {"text": "{"}}, {"output": {"text": "}", UNENFORCED_FIELD: ITEMS}}],  # native stream
])
def test_unenforced_list_is_read_from_every_response_shape(raw: Any) -> None:
    items = unenforced_in(raw)
    assert items == [UnenforcedKeyword("uniqueItems", "/properties/tags", "llguidance does not implement it")]
    assert unenforced_line(items) == "not enforced while decoding: uniqueItems at /properties/tags"


def test_no_list_when_the_server_sends_none() -> None:
    assert unenforced_in({"choices": []}) is None
    assert unenforced_in(None) is None
    assert unenforced_in({"output": {UNENFORCED_FIELD: []}}) == []
    assert unenforced_line([UnenforcedKeyword("not", "")]) == "not enforced while decoding: not at / (the root)"


def test_wire_names_match_the_engine() -> None:
    assert UNENFORCED_FIELD == enforcement.RESPONSE_FIELD
    assert ENFORCEMENT_PARAM == enforcement.ENFORCEMENT_PARAM


def test_satisfied_reads_validation_at_the_keywords_place() -> None:
    from structured_output.result import ValidationOutcome, ValidationRow

    item = UnenforcedKeyword("uniqueItems", "/properties/tags")
    assert satisfied(item, None) is None
    assert satisfied(item, ValidationOutcome(checked=False)) is None
    assert satisfied(item, ValidationOutcome(checked=True)) is True
    broken = ValidationRow("$.tags", "has non-unique elements", "uniqueItems", "properties/tags/uniqueItems")
    assert satisfied(item, ValidationOutcome(checked=True, errors=[broken])) is False
    elsewhere = ValidationRow("$.other", "has non-unique elements", "uniqueItems", "properties/other/uniqueItems")
    other_kind = ValidationRow("$.tags", "is too long", "maxItems", "properties/tags/maxItems")
    assert satisfied(item, ValidationOutcome(checked=True, errors=[elsewhere, other_kind])) is True
    via_ref = ValidationRow("$.tags", "has non-unique elements", "uniqueItems", "properties/tags/$ref/uniqueItems")
    assert satisfied(item, ValidationOutcome(checked=True, errors=[via_ref])) is False


def test_attention_names_what_a_target_does_not_simply_enforce() -> None:
    rules = load_rules()
    by_id = {t.id: t for t in rules.targets}
    local = attention(SCHEMA, by_id["local"], rules)
    assert local["not enforced while decoding; checked afterwards"] == ["uniqueItems"]
    assert local["enforced while decoding, in part"] == ["pattern", "allOf", "oneOf"]
    openai_words = attention(SCHEMA, by_id["openai_strict"], rules)
    assert openai_words["refused (the request fails)"] == ["allOf"]
    assert "enforced while decoding" not in attention({"type": "object"}, by_id["dashscope"], rules)


# ---------------------------------------------------------------- custom servers, where their docs say

LLAMA = "llama.cpp llama-server"


def test_every_known_server_has_a_target_and_only_the_picked_one_gets_a_column() -> None:
    from structured_output.servers import known_servers

    rules = load_rules()
    server_targets = {t.server: t for t in rules.targets if t.server}
    assert set(server_targets) == {s.id for s in known_servers()}
    assert all(not t.endpoints for t in server_targets.values())  # shown only when picked
    base = [t.id for t in rules.shown("local")]
    assert base == ["dashscope", "openai_strict", "local"] and [t.id for t in rules.shown("custom")] == base
    assert [t.id for t in rules.shown("custom", "llama-server")] == ["llama-server", *base]
    assert [t.id for t in rules.shown("local", "llama-server")] == base  # a server matters on a custom URL only
    assert rules.target_for("custom", "vllm").id == "vllm"  # type: ignore[union-attr]
    assert rules.target_for("custom", "no-such-server").id == "openai_strict"  # type: ignore[union-attr]
    df = keyword_table(SCHEMA, rules, rules.shown("custom", "llama-server"))
    assert LLAMA in df.columns and "vLLM" not in df.columns and df.attrs["targets"][LLAMA] == "llama-server"


def test_llama_server_column_follows_llama_cpps_converter_readme() -> None:
    df = keyword_table(SCHEMA)
    for keyword in ("type", "properties", "required", "items", "additionalProperties"):
        assert _status(df, keyword, LLAMA) == "✓ decoding", keyword
    assert _status(df, "pattern", LLAMA) == "◐ in part"  # must start with ^ and end with $
    assert _status(df, "oneOf", LLAMA) == "◐ in part"  # not mixed with properties
    assert _status(df, "uniqueItems", LLAMA) == "○ afterwards only"  # skipped silently
    for keyword in ("allOf", "const", "enum", "title"):  # the README neither shows nor lists them
        assert _status(df, keyword, LLAMA) == "? not documented", keyword
    row = keyword_details(SCHEMA).query("keyword == 'uniqueItems' and target == @LLAMA").iloc[0]
    assert "skipped silently" in row["note"] and "grammars/README.md" in row["source"]


def test_what_each_other_server_documents() -> None:
    df = keyword_table(SCHEMA)
    assert {_status(df, k, "llama-cpp-python server") for k in keyword_uses(SCHEMA)} == {"✗ refused"}
    assert {_status(df, k, "Ollama") for k in keyword_uses(SCHEMA)} == {"? not documented"}
    assert _status(df, "pattern", "SGLang") == "✓ decoding"
    assert _status(df, "uniqueItems", "SGLang") == "? not documented"
    assert _status(df, "enum", "vLLM") == "✓ decoding" and _status(df, "uniqueItems", "vLLM") == "? not documented"
    vllm = load_rules().target_for("custom", "vllm")
    assert vllm is not None and "guidance instead of xgrammar" in vllm.rule("uniqueItems").note
    assert _status(df, "type", "LM Studio") == "✓ decoding"
    assert _status(df, "pattern", "LM Studio") == "? not documented"
    refused = attention(SCHEMA, load_rules().target_for("custom", "llama-cpp-python"))  # type: ignore[arg-type]
    assert list(refused) == ["refused (the request fails)"]


def test_every_server_rule_cites_a_page() -> None:
    for t in load_rules().targets:
        if not t.server:
            continue
        for rule in {*t.rules.values(), t.default}:
            assert re.search(r"[a-z0-9-]+\.(?:ai|com|io|org)/", rule.source), (t.id, rule.source)
