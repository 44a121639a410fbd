"""The catalog holds every model the reference names, with its documented capabilities."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from structured_output.catalog import load_catalog

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
