"""What the local engine did beyond the model reaches the playground's result on both wires: the keys it
steered a JSON Object answer towards (read from the instruction) and the text its OCR read."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlparse

import pytest

from structured_output import clients
from structured_output.request import ImageInput, Request

pytestmark = pytest.mark.engine


@pytest.fixture
def local_port(local_engine_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(urlparse(local_engine_url).port))


@pytest.mark.parametrize("protocol", ["compatible", "native"])
@pytest.mark.parametrize("stream", [False, True])
def test_steered_keys_are_reported(local_port: None, protocol: str, stream: bool) -> None:
    req = Request(model="qwen-flash", endpoint="local", protocol=protocol, mode="json_object", stream=stream,
                  system_prompt="Extract the product name, unit price and quantity. Return JSON.",
                  user_text="I bought 3 widgets at $4.50 each.", max_tokens=60)
    r = clients.run(req)
    assert r.error is None, r.error
    # "unit price" is read as one key, not as `unit`: the page shows these, so a misread is visible.
    assert r.engine.steered_keys == ["product_name", "unit_price", "quantity"]
    assert not r.engine.ocr_text


def test_no_steered_keys_in_json_schema_mode(local_port: None) -> None:
    req = Request(model="qwen-flash", endpoint="local", mode="json_schema", system_prompt="Extract the name. JSON.",
                  user_text="I am Alex.", schema_text='{"type":"object","properties":{"name":{"type":"string"}}}')
    r = clients.run(req)
    assert r.error is None, r.error
    assert r.engine.steered_keys == []


@pytest.mark.parametrize("protocol", ["compatible", "native"])
def test_ocr_text_is_reported(local_port: None, make_png: Callable[[list[str]], bytes], protocol: str) -> None:
    req = Request(model="qwen3-vl-plus", endpoint="local", protocol=protocol, mode="json_object", stream=True,
                  system_prompt="Return the invoice number as JSON.", user_text="The invoice:",
                  images=[ImageInput("image/png", make_png(["Invoice number 10283819"]))], max_tokens=40)
    r = clients.run(req)
    assert r.error is None, r.error
    assert "10283819" in r.engine.ocr_text
    assert "reads no pixels" in r.engine.ocr_note
