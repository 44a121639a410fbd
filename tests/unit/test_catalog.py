"""The catalog holds every model the reference names, with its documented capabilities."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

import pytest

from structured_output.catalog import load_catalog, rule_table

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "model-studio-structured-output.md"
JSON_SCHEMA_MODELS = {"qwen3-max", "qwen3-max-2025-09-23", "qwen3-max-2026-01-23", "qwen-plus", "qwen-plus-latest",
                      "qwen-plus-2025-07-28", "qwen-flash", "qwen-flash-2025-07-28", "deepseek-v3.2"}


def test_json_schema_models_are_exactly_the_documented_ones() -> None:
    cat = load_catalog()
    assert {m.name for m in cat.models if m.json_schema} == JSON_SCHEMA_MODELS


@pytest.mark.skipif(not REFERENCE.exists(), reason="the reference lives in ../shared, only where developed")
def test_every_model_named_in_the_reference_is_in_the_catalog() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    supported = text.split("## **Supported models**", 1)[1].split("## **Getting started**", 1)[0]
    named = set(re.findall(r"\b((?:qwen|kimi|glm|deepseek)[\w.\-]*\d[\w.\-]*|qwen-(?:max|plus|flash|turbo)"
                           r"(?:-latest)?|qwen-vl-(?:max|plus))\b", supported))
    named |= set(re.findall(r'model="([\w.\-]+)"', text))
    cat = load_catalog()
    missing = sorted(n for n in named if n not in cat.model_names)
    assert not missing, f"models named in the reference but not in the catalog: {missing}"


def test_capabilities() -> None:
    cat = load_catalog()
    assert cat.model("qwen3-vl-plus").vision and not cat.model("qwen3-vl-plus").json_schema
    assert cat.model("qwen-vl-max").vision and cat.model("qwen-vl-max").thinking == "none"
    assert cat.model("qwen-plus").thinking == "optional"
    assert cat.model("kimi-k2-thinking").thinking == "always"
    assert cat.model("kimi-k2-thinking").structured_in_thinking
    assert not cat.model("deepseek-v3.2").json_object and cat.model("deepseek-v3.2").json_schema
    assert cat.model("qwen-max").supports("json_object") and not cat.model("qwen-max").supports("json_schema")


def test_families_and_unknown_models() -> None:
    cat = load_catalog()
    qwen3 = cat.model("qwen3-32b")
    assert qwen3.json_object and not qwen3.known and qwen3.series.startswith("Qwen3")
    assert cat.model("qwen3-vl-8b-instruct").vision
    assert not cat.model("qwen2.5-math-7b-instruct").json_object
    assert cat.model("qwen2.5-14b-instruct").json_object
    unknown = cat.model("gpt-4o")
    assert not unknown.json_object and not unknown.known


def test_endpoints() -> None:
    cat = load_catalog()
    assert cat.endpoint("intl").base_url("compatible") == "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
    assert cat.endpoint("intl").base_url("native") == "https://dashscope-intl.aliyuncs.com/api/v1"
    assert cat.endpoint("us").base_url("native") == "https://dashscope-us.aliyuncs.com/api/v1"
    assert cat.endpoint("cn").base_url("compatible") == "https://dashscope.aliyuncs.com/compatible-mode/v1"
    assert cat.endpoint("local").base_url("native", port=9999) == "http://127.0.0.1:9999/api/v1"
    assert cat.endpoint("custom").protocols == ["compatible"]
    assert all(cat.endpoint(e).needs_key for e in ("intl", "us", "cn"))
    with pytest.raises(KeyError, match="unknown endpoint"):
        cat.endpoint("mars")


# ---------------------------------------------------------------- names resolved by rule

# name → (matched rule, JSON Object status, JSON Schema status, thinking): every name form the reference
# describes, and the issue's examples.
RESOLVES = {
    # series base names, -latest, -preview
    "qwen-plus": ("qwen-plus (Qwen-Plus series)", "listed", "listed", "optional"),
    "qwen-plus-latest": ("qwen-plus-latest (the newest qwen-plus snapshot)", "listed", "listed", "optional"),
    "qwen3-max-preview": ("qwen3-max-preview", "listed", "refused", "optional"),
    "qwen3-max-latest": ("qwen3-max-latest (the newest qwen3-max snapshot)", "listed", "listed", "optional"),
    # dated snapshots after, on and before each mode's date
    "qwen-plus-2025-09-11": ("qwen-plus snapshot from 2025-09-11", "listed", "listed", "optional"),
    "qwen-plus-2025-07-28": ("qwen-plus snapshot from 2025-07-28", "listed", "listed", "optional"),
    "qwen-plus-2025-01-25": ("qwen-plus snapshot from 2025-01-25", "listed", "refused", "optional"),
    "qwen-plus-2024-09-19": ("qwen-plus snapshot from 2024-09-19", "refused", "refused", "optional"),
    "qwen3-max-2025-12-01": ("qwen3-max snapshot from 2025-12-01", "listed", "listed", "optional"),
    "qwen-flash-2025-09-11": ("qwen-flash snapshot from 2025-09-11", "listed", "listed", "optional"),
    "qwen-turbo-2025-04-28": ("qwen-turbo snapshot from 2025-04-28", "listed", "refused", "optional"),
    "qwen-max-2024-09-19": ("qwen-max snapshot from 2024-09-19", "refused", "refused", "none"),
    "qwen3.5-plus-2026-03-01": ("qwen3.5-plus snapshot from 2026-03-01", "listed", "refused", "optional"),
    "qwen3-vl-plus-2025-12-19": ("qwen3-vl-plus snapshot from 2025-12-19", "listed", "refused", "optional"),
    "qwen3-vl-flash-2025-09-01": ("qwen3-vl-flash snapshot from 2025-09-01", "refused", "refused", "optional"),
    # a series whose snapshots are spelled out without "and later": other snapshots are not listed
    "qwen3-coder-plus-2025-09-23": ("qwen3-coder-plus snapshot from 2025-09-23", "not_listed", "refused", "none"),
    "qwen-long": ("qwen-long (Qwen-Long series)", "not_listed", "refused", "none"),
    # exclusions
    "qwen-vl-max-latest": ("qwen-vl-max-latest (the newest qwen-vl-max snapshot)", "refused", "refused", "none"),
    "qwen-vl-max-2025-08-13": ("qwen-vl-max snapshot from 2025-08-13", "refused", "refused", "none"),
    "qwen-vl-plus-latest": ("qwen-vl-plus-latest (the newest qwen-vl-plus snapshot)", "refused", "refused", "none"),
    "qwen-vl-plus-2025-05-07": ("qwen-vl-plus snapshot from 2025-05-07", "refused", "refused", "none"),
    "qwen-vl-max": ("qwen-vl-max (QwenVL-Max series)", "listed", "refused", "none"),
    # open-source families and their variants
    "qwen3-32b": ("Qwen3 (open source) family (qwen3-*)", "listed", "refused", "optional"),
    "qwen3-235b-a22b-thinking-2507": ("Qwen3 (open source) family (qwen3-*), thinking-only variant (*-thinking*)",
                                      "refused", "refused", "always"),
    "qwen3-30b-a3b-thinking-2507": ("Qwen3 (open source) family (qwen3-*), thinking-only variant (*-thinking*)",
                                    "refused", "refused", "always"),
    "qwen3-235b-a22b-instruct-2507": ("Qwen3 (open source) family (qwen3-*), instruct (non-thinking) variant "
                                      "(*-instruct*)", "listed", "refused", "none"),
    "qwen3-vl-235b-a22b-thinking": ("Qwen3-VL (open source) family (qwen3-vl-*), thinking-only variant "
                                    "(*-thinking*)", "refused", "refused", "always"),
    "qwen3-vl-8b-instruct": ("Qwen3-VL (open source) family (qwen3-vl-*), instruct (non-thinking) variant "
                             "(*-instruct*)", "listed", "refused", "none"),
    "qwen3-coder-480b-a35b-instruct": ("Qwen3-Coder (open source) family (qwen3-coder-*)", "listed", "refused",
                                       "none"),
    "qwen2.5-14b-instruct": ("Qwen2.5 (open source) family (qwen2.5-*)", "listed", "refused", "none"),
    "qwen2.5-math-7b-instruct": ("Qwen2.5 math (open source) family (qwen2.5-math-*)", "refused", "refused", "none"),
    "qwen2.5-coder-32b-instruct": ("Qwen2.5 coder (open source) family (qwen2.5-coder-*)", "refused", "refused",
                                   "none"),
    "qwen2.5-vl-72b-instruct": ("Qwen2.5-VL (open source) family (qwen2.5-vl-*)", "not_listed", "refused", "none"),
    # third parties
    "deepseek-v3.2": ("deepseek-v3.2 (Third-party series)", "not_listed", "listed", "optional"),
    "kimi-k2-thinking": ("kimi-k2-thinking (Kimi series)", "listed", "refused", "always"),
    "glm-4.7": ("glm-4.7 (GLM series)", "listed", "refused", "optional"),
}


@pytest.mark.parametrize("name", sorted(RESOLVES))
def test_every_name_form_resolves_by_rule(name: str) -> None:
    rule, json_object, json_schema, thinking = RESOLVES[name]
    info = load_catalog().model(name)
    assert info.covered and info.rule == rule
    assert (info.support("json_object").status, info.support("json_schema").status) == (json_object, json_schema)
    assert info.thinking == thinking
    assert info.supports("json_object") == (json_object == "listed")  # the old API agrees
    assert info.supports("json_schema") == (json_schema == "listed")


def test_issue_examples_say_why() -> None:
    cat = load_catalog()
    assert cat.model("qwen-plus-2025-09-11").explain("json_schema") == (
        "qwen-plus snapshot from 2025-09-11: JSON Schema since 2025-07-28")
    early = cat.model("qwen-plus-2025-01-25").support("json_schema")
    assert early.since == "2025-07-28" and "(2025-01-25) is earlier" in early.reason
    assert cat.model("qwen3-max-2025-12-01").series == "Qwen-Max"  # not the open-source qwen3-* family
    excluded = cat.model("qwen-vl-max-latest").support("json_object")
    assert "excludes the latest and snapshot versions of qwen-vl-max" in excluded.reason
    assert excluded.quote == "QwenVL-Max series: qwen-vl-max (excluding the latest and snapshot versions)"
    thinking = cat.model("qwen3-235b-a22b-thinking-2507").support("json_object")
    assert thinking.quote == "Models in thinking mode do not currently support structured output."
    unlisted = cat.model("deepseek-v3.2").support("json_object")
    assert unlisted.reason == "JSON Object not listed in the reference"
    assert cat.model("qwen-plus").condition == "non-thinking mode" and cat.model("qwen-vl-max").condition == ""


@pytest.mark.parametrize("name", ["gpt-4o", "qwen-plus-0919", "qwen-plus-character", "llama3.2", "",
                                  "qwen-plus-2025-9-11"])
def test_only_a_name_no_rule_covers_is_unknown(name: str) -> None:
    info = load_catalog().model(name)
    assert not info.covered and not load_catalog().is_known(name)
    assert info.support("json_object").status == "refused" and not info.json_schema


def test_names_the_reference_spells_out_resolve_to_their_documented_modes() -> None:
    """The verbatim list is resolved by the same rules as any other name (no per-name capabilities)."""
    cat = load_catalog()
    for m in cat.models:
        assert m.known and m.covered, m.name
        assert m.support("json_object").status == ("not_listed" if m.name == "deepseek-v3.2" else "listed"), m.name
    assert cat.model("qwen3-max-2025-09-23").thinking == "none"  # listed without "(non-thinking mode)"


@pytest.mark.skipif(not REFERENCE.exists(), reason="the reference lives in ../shared, only where developed")
def test_every_rule_quotes_the_reference_word_for_word() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    raw = json.loads(files("structured_output").joinpath("data/catalog.json").read_text(encoding="utf-8"))
    quotes = [spec["quote"] for rule in raw["series"] + raw["families"] for mode in ("json_object", "json_schema")
              if (spec := rule.get(mode))]
    quotes += [d["quote"] for d in raw["mode_defaults"].values()] + list(raw["thinking_quote"].values())
    missing = [q for q in quotes if q not in text]
    assert not missing, f"catalog quotes not in the reference: {missing}"


@pytest.mark.skipif(not REFERENCE.exists(), reason="the reference lives in ../shared, only where developed")
def test_every_and_later_date_of_the_reference_is_a_rule() -> None:
    """Each "<name>-YYYY-MM-DD and later snapshot(s)" of the Supported models section is a series rule whose
    mode starts on that date (and the rule's quote is the sentence that says so)."""
    text = REFERENCE.read_text(encoding="utf-8")
    supported = text.split("## **Supported models**", 1)[1].split("For more information about context", 1)[0]
    json_object, json_schema = supported.split("## JSON Schema", 1)
    cat = load_catalog()
    by_base = {r.base: r for r in cat.series}
    for mode, section in (("json_object", json_object), ("json_schema", json_schema)):
        found = re.findall(r"([a-z][\w.\-]*?)-(\d{4}-\d{2}-\d{2}),? and later snapshot", section)
        assert found, mode
        for base, date in found:
            spec = getattr(by_base[base], mode)
            assert spec is not None and spec.since == date, (mode, base, date)
            assert f"{base}-{date}" in spec.quote
    for base in re.findall(r"(qwen[\w.\-]+) \(excluding the latest and snapshot versions\)", json_object):
        spec = by_base[base].json_object
        assert spec is not None and spec.others == "refused" and spec.names == ("",)


def test_readme_name_rule_table_is_what_the_code_prints() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    after = readme.split("| Name | Matched rule |", 1)[1].splitlines()[2:]
    lines = after[:next(i for i, line in enumerate(after) if not line.startswith("|"))]
    names = [line.split("`")[1] for line in lines]
    assert "qwen-plus-2025-09-11" in names and "qwen3-max-2025-12-01" in names
    table = rule_table(names).splitlines()[2:]
    assert lines == table, "README's name rule table is stale: python scripts/name_rules.py prints it"
