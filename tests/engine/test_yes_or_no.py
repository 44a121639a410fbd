"""Yes-or-no fields on the real local engine, through the playground's own client, on inputs written for this
test (not the benchmark's): a schema's booleans and, in JSON Object mode, keys the instruction declares
booleans come out as the input's clauses say, in English and Chinese."""

from __future__ import annotations

import json
from urllib.parse import urlparse

import pytest

from structured_output import clients
from structured_output.request import Request

pytestmark = pytest.mark.engine

CASES = [
    ("en", "Extract the product and whether it is in stock, ships free and can be returned. JSON: product, "
           "in_stock, free_shipping, returnable (true or false).",
     "The Aero 2 kettle is in stock. Shipping is not free. It can be returned within 30 days.",
     {"in_stock": True, "free_shipping": False, "returnable": True}),
    ("zh", "提取房源信息，输出JSON，字段：小区、有电梯、有车位、可养宠物（布尔值）。",
     "阳光小区三楼，有电梯，没有车位，可以养宠物。",
     {"有电梯": True, "有车位": False, "可养宠物": True}),
]


@pytest.fixture
def local_port(local_engine_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(urlparse(local_engine_url).port))


def _schema(expected: dict[str, bool], first: str) -> str:
    props = {first: {"type": "string"}} | {k: {"type": "boolean"} for k in expected}
    return json.dumps({"type": "object", "properties": props, "required": list(props), "additionalProperties": False})


@pytest.mark.parametrize("mode", ["json_schema", "json_object"])
@pytest.mark.parametrize(("lang", "system", "user", "expected"), CASES, ids=[c[0] for c in CASES])
def test_booleans_follow_the_clause_that_names_them(local_port: None, mode: str, lang: str, system: str, user: str,
                                                     expected: dict[str, bool]) -> None:
    first = "product" if lang == "en" else "小区"
    req = Request(model="qwen-flash", endpoint="local", mode=mode, system_prompt=system, user_text=user,
                  schema_name="listing", schema_text=_schema(expected, first), temperature=0, max_tokens=80)
    r = clients.run(req)
    assert r.error is None, r.error
    assert r.parse is not None and r.parse.ok, r.content
    got = {k: r.parse.value.get(k) for k in expected}
    assert got == expected, r.content
