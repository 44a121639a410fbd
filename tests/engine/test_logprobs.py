"""Token log probabilities: the standard OpenAI fields as the real ``openai`` and ``dashscope`` SDKs
read them, plain and streamed, in every mode, and the ``grammar`` extension that says what the mask
did to each token.
(tests/unit/test_token_trail.py lines tokens up with the content without the model.)"""

from __future__ import annotations

import math
from typing import Any

import httpx
import openai
import pytest

from tests.engine.conftest import ALEX_MESSAGES, USER_SCHEMA

USER_FORMAT = {"type": "json_schema", "json_schema": {"name": "user_info", "strict": True, "schema": USER_SCHEMA}}
MODES: dict[str, dict[str, Any] | None] = {"plain": None, "json_object": {"type": "json_object"},
                                           "json_schema": USER_FORMAT}


def _create(oai: openai.OpenAI, mode: str, max_tokens: int = 12, **kw: Any) -> Any:
    """A short answer (the length does not matter here); a generous timeout for a loaded machine."""
    extra = {"response_format": MODES[mode]} if MODES[mode] else {}
    return oai.with_options(timeout=600).chat.completions.create(
        model="qwen-plus", messages=ALEX_MESSAGES, max_tokens=max_tokens, **extra, **kw)


def _grammar(entry: Any) -> dict[str, Any] | None:
    return (entry.model_extra or {}).get("grammar")


def _check_entries(entries: list[Any], content: str, mode: str, top: int) -> None:
    """What holds for every token, in every mode."""
    assert entries, "logprobs.content is empty"
    assert "".join(e.token for e in entries) == content
    for e in entries:
        assert e.logprob <= 1e-9 and math.isfinite(e.logprob)
        assert len(e.top_logprobs) <= top
        lps = [a.logprob for a in e.top_logprobs]
        assert lps == sorted(lps, reverse=True)
        assert sum(math.exp(lp) for lp in lps) <= 1 + 1e-6
        if e.top_logprobs and e.bytes is not None and bytes(e.bytes).decode("utf-8", "replace") == e.token:
            # the chosen token is among the alternatives unless something likelier was passed over
            assert e.logprob <= e.top_logprobs[0].logprob + 1e-6
        g = _grammar(e)
        if mode == "plain":
            assert g is None
            continue
        assert g is not None and g["allowed"] >= 1 and g["forced"] == (g["allowed"] == 1)
        forbidden = {f["token"] for f in g["forbidden"]}
        allowed_texts = {a.token for a in e.top_logprobs}
        if not forbidden & allowed_texts:  # texts can repeat across token ids; when they do not:
            assert all(f["logprob"] <= 0 for f in g["forbidden"])
        if g["removed"] is not None:
            assert 0.0 <= g["removed"] <= 1.0
            assert g["model_logprob"] <= 0


pytestmark = pytest.mark.engine


@pytest.mark.parametrize("mode", list(MODES))
def test_compatible_logprobs_plain_response(oai: openai.OpenAI, mode: str) -> None:
    completion = _create(oai, mode, logprobs=True, top_logprobs=3)
    choice = completion.choices[0]
    entries = choice.logprobs.content
    _check_entries(entries, choice.message.content, mode, 3)
    if mode == "json_object":
        # The model's own first choice was not a bare '{': the grammar took that probability away.
        first = _grammar(entries[0])
        assert first is not None and first["removed"] > 0.5 and first["overrode"] and first["forbidden"]
    if mode == "json_schema":
        # '{"name": "' is the grammar's, written without a choice; the model was still asked about '{'.
        first = _grammar(entries[0])
        assert first is not None and first["forced"] and entries[0].logprob == 0.0
        assert first["model_logprob"] is not None and first["removed"] is not None
        assert any(not _grammar(e)["forced"] for e in entries)  # the values were chosen


@pytest.mark.parametrize("mode", list(MODES))
def test_compatible_logprobs_streamed(oai: openai.OpenAI, mode: str) -> None:
    stream = _create(oai, mode, logprobs=True, top_logprobs=2, stream=True)
    text, entries = "", []
    for chunk in stream:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta.content
        lp = chunk.choices[0].logprobs
        if delta:
            assert lp is not None, "a content chunk without its tokens"
            assert "".join(e.token for e in lp.content) == delta  # each chunk carries its own tokens
        if lp is not None:
            entries += lp.content
        text += delta or ""
    _check_entries(entries, text, mode, 2)


def test_logprobs_off_by_default(oai: openai.OpenAI) -> None:
    completion = _create(oai, "json_object", max_tokens=4)
    assert completion.choices[0].logprobs is None


def test_top_logprobs_zero_gives_the_chosen_token_only(oai: openai.OpenAI) -> None:
    completion = _create(oai, "json_object", logprobs=True, max_tokens=4)
    entries = completion.choices[0].logprobs.content
    assert entries and all(e.top_logprobs == [] for e in entries)
    assert all(_grammar(e) is not None for e in entries)


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"logprobs": True, "top_logprobs": 21}, "top_logprobs", "at most 20"),
    ({"top_logprobs": 2}, "top_logprobs", "logprobs: true"),
    ({"logprobs": "yes"}, "logprobs", "true or false"),
])
def test_compatible_logprobs_bad_values(compat_url: str, body: dict[str, Any], field: str, words: str) -> None:
    r = httpx.post(f"{compat_url}/chat/completions", timeout=60,
                   json={"model": "qwen-plus", "messages": ALEX_MESSAGES, **body})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["param"] == field and words in err["message"]


def test_native_logprobs(ds: Any) -> None:
    """DashScope's native parameters (``logprobs``, ``top_logprobs`` 0..5); the answer in
    ``output.choices[0].logprobs.content``, as DashScope's SDKs read it."""
    r = ds.Generation.call(api_key="sk-local", model="qwen-plus", messages=ALEX_MESSAGES, result_format="message",
                           response_format={"type": "json_object"}, logprobs=True, top_logprobs=5, max_tokens=12)
    assert r.status_code == 200, r.message
    choice = r.output.choices[0]
    entries = choice["logprobs"]["content"]
    assert "".join(e["token"] for e in entries) == choice.message.content
    assert all(len(e["top_logprobs"]) <= 5 and "grammar" in e for e in entries)


def test_native_logprobs_streamed_incremental(ds: Any) -> None:
    responses = ds.Generation.call(api_key="sk-local", model="qwen-plus", messages=ALEX_MESSAGES,
                                   result_format="message", stream=True, incremental_output=True,
                                   logprobs=True, top_logprobs=1, max_tokens=12)
    text, tokens = "", []
    for r in responses:
        assert r.status_code == 200, r.message
        choice = r.output.choices[0]
        piece = choice.message.content or ""
        got = (choice.get("logprobs") or {}).get("content") or []
        assert "".join(e["token"] for e in got) == piece
        text += piece
        tokens += got
    assert text and "".join(e["token"] for e in tokens) == text
    assert all("grammar" not in e for e in tokens)  # plain mode: no mask


@pytest.mark.parametrize(("params", "field"), [
    ({"logprobs": True, "top_logprobs": 6, "result_format": "message"}, "parameters.top_logprobs"),
    ({"logprobs": True, "result_format": "text"}, "parameters.result_format"),
])
def test_native_logprobs_bad_values(local_engine_url: str, params: dict[str, Any], field: str) -> None:
    r = httpx.post(f"{local_engine_url}/api/v1/services/aigc/text-generation/generation", timeout=60,
                   json={"model": "qwen-plus", "input": {"messages": ALEX_MESSAGES}, "parameters": params})
    assert r.status_code == 400
    assert field in r.json()["message"]
