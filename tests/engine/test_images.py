"""Images: the engine reads their text by OCR (offline) and says so; it never fetches a URL."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from typing import Any

import openai
import pytest

from tests.engine.conftest import data_url, lower

pytestmark = pytest.mark.engine
ASK = "Extract the name and age from the image. Output a JSON object."


def image_messages(url: str) -> list[dict[str, Any]]:
    return [{"role": "system", "content": [{"type": "text", "text": "You are a helpful assistant."}]},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}},
                                         {"type": "text", "text": ASK}]}]


def test_image_compatible(oai: openai.OpenAI, card_url: str) -> None:
    raw = oai.chat.completions.with_raw_response.create(
        model="qwen3-vl-plus", messages=image_messages(card_url), response_format={"type": "json_object"})
    completion = raw.parse()
    assert "tesseract" in raw.headers["x-local-engine-ocr"]
    assert "reads no pixels" in raw.headers["x-local-engine-ocr"]
    ocr_text = urllib.parse.unquote(raw.headers["x-local-engine-ocr-text"])
    assert "Alex Brown" in ocr_text and "34" in ocr_text
    answer = json.loads(completion.choices[0].message.content)
    assert isinstance(answer, dict)
    assert "Alex Brown" in json.dumps(answer)


def test_image_native_multimodal(ds: Any, card_url: str) -> None:
    messages = [{"role": "system", "content": [{"text": "You are a helpful assistant."}]},
                {"role": "user", "content": [{"image": card_url}, {"text": ASK}]}]
    r = ds.MultiModalConversation.call(api_key="sk-local", model="qwen3-vl-plus", messages=messages,
                                       response_format={"type": "json_object"})
    assert r.status_code == 200, r.message
    assert "tesseract" in lower(r.headers)["x-local-engine-ocr"]
    text = r.output.choices[0].message.content[0]["text"]
    assert "Alex Brown" in json.dumps(json.loads(text))


def test_image_stream_native(ds: Any, make_png: Callable[[list[str]], bytes]) -> None:
    url = data_url(make_png(["Invoice number 10283819"]))
    messages = [{"role": "user", "content": [{"image": url}, {"text": "Return the invoice number as JSON."}]}]
    responses = list(ds.MultiModalConversation.call(api_key="sk-local", model="qwen-vl-max", messages=messages,
                                                    response_format={"type": "json_object"}, stream=True,
                                                    incremental_output=True))
    assert all(r.status_code == 200 for r in responses), responses[-1].message
    text = "".join(r.output.choices[0].message.content[0]["text"] for r in responses if
                   r.output.choices[0].message.content)
    assert isinstance(json.loads(text), dict)


def test_http_image_url_is_refused_offline(oai: openai.OpenAI, ds: Any) -> None:
    url = "http://duguang-labelling.oss-cn-shanghai.aliyuncs.com/demo_ocr/receipt_zh_demo.jpg"
    with pytest.raises(openai.BadRequestError, match="works offline") as info:
        oai.chat.completions.create(model="qwen3-vl-plus", messages=image_messages(url),
                                    response_format={"type": "json_object"})
    assert "upload the image" in str(info.value).lower()
    assert info.value.body["param"] == "messages[1].content[0].image_url.url"
    messages = [{"role": "user", "content": [{"image": url}, {"text": ASK}]}]
    r = ds.MultiModalConversation.call(api_key="sk-local", model="qwen3-vl-plus", messages=messages)
    assert r.status_code == 400 and "offline" in r.message


@pytest.mark.parametrize(("url", "expected"), [
    ("data:image/png;base64,AAAA", "not an image"),
    ("data:text/plain;base64,aGVsbG8=", "images only"),
    ("file:///etc/passwd", "must be a data: URL"),
    ("data:image/png;base64,", "holds no bytes"),
])
def test_bad_image_data(oai: openai.OpenAI, url: str, expected: str) -> None:
    with pytest.raises(openai.BadRequestError, match=expected):
        oai.chat.completions.create(model="qwen3-vl-plus", messages=image_messages(url),
                                    response_format={"type": "json_object"})


def test_image_on_text_only_model(oai: openai.OpenAI, card_url: str) -> None:
    with pytest.raises(openai.BadRequestError, match="does not take images"):
        oai.chat.completions.create(model="qwen-plus", messages=image_messages(card_url),
                                    response_format={"type": "json_object"})
