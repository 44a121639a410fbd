"""Fixtures for driving the real local engine through the real SDKs."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator, Mapping

import dashscope
import openai
import pytest
from PIL import Image, ImageDraw, ImageFont

ALEX_SYSTEM = "Extract the name and age and return the information in JSON format."
ALEX_USER = ("Hello everyone, my name is Alex Brown. I am 34 years old. My email is alexbrown@example.com. "
             "I enjoy playing basketball and traveling.")
ALEX_MESSAGES = [{"role": "system", "content": ALEX_SYSTEM}, {"role": "user", "content": ALEX_USER}]
USER_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
# A schema whose answer cannot be short: used to keep the engine busy (queue, disconnects).
LONG_SCHEMA = {
    "type": "object",
    "properties": {"numbers": {"type": "array", "items": {"type": "integer"}, "minItems": 400}},
    "required": ["numbers"],
}


@pytest.fixture(scope="session")
def compat_url(local_engine_url: str) -> str:
    return f"{local_engine_url}/compatible-mode/v1"


@pytest.fixture(scope="session")
def oai(compat_url: str) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(base_url=compat_url, api_key="sk-local", max_retries=0, timeout=120)
    yield client
    client.close()


@pytest.fixture()
def ds(local_engine_url: str) -> Iterator[object]:
    """The ``dashscope`` module pointed at the engine (restored afterwards)."""
    before = dashscope.base_http_api_url
    dashscope.base_http_api_url = f"{local_engine_url}/api/v1"
    yield dashscope
    dashscope.base_http_api_url = before


def lower(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with lower-case names (the dashscope SDK hands them over as a plain dict)."""
    return {k.lower(): v for k, v in headers.items()}


def text_png(lines: list[str], size: tuple[int, int] = (520, 60)) -> bytes:
    """A white PNG with black text, one line per 44 pixels."""
    img = Image.new("RGB", (size[0], size[1] * len(lines)), "white")
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 30)
    except OSError:
        font = ImageFont.load_default(size=30)
    for i, line in enumerate(lines):
        draw.text((12, 10 + i * size[1]), line, fill="black", font=font)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def data_url(png: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(png).decode()


@pytest.fixture(scope="session")
def card_url() -> str:
    """A data: URL of a small 'ID card' image whose text OCR can read."""
    return data_url(text_png(["Name: Alex Brown", "Age: 34"]))


@pytest.fixture(scope="session")
def make_png() -> Callable[[list[str]], bytes]:
    return text_png
