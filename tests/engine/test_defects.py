"""Issue 21 (and the image leak of issue 12): no answer is the prompt's worked example, a schema that
allows no document that ends is refused with a reason, and an answer that "stopped" in a JSON mode is
JSON or an honest error. The engine's own pieces are tested without the model; the behaviour through
the real engine on both protocols, every mode and the image routes."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from local_engine import echo
from local_engine.chat import ChatRequest, Message, Part
from local_engine.engine import Engine, Job
from local_engine.errors import UnfinishedJson
from local_engine.finite import unending
from local_engine.generate import Settings, Stats
from local_engine.prompting import JSON_EXAMPLE, JSON_EXAMPLE_TELLS, TEXT_EXAMPLE, TEXT_EXAMPLE_TELLS
from local_engine.rules import check_model
from structured_output.presets import get_preset
from tests.engine.conftest import lower

ROOT = Path(__file__).resolve().parents[2]
COMPAT = "/compatible-mode/v1/chat/completions"
NATIVE_TEXT = "/api/v1/services/aigc/text-generation/generation"
NATIVE_MM = "/api/v1/services/aigc/multimodal-generation/generation"
# What the worked examples answer: the words no answer may write unless the request holds them.
EXAMPLE_WORDS = JSON_EXAMPLE_TELLS + TEXT_EXAMPLE_TELLS
CAP = 12  # tokens: the example's answer is 8; enough to copy it, short enough to keep the test fast


def leaked(answer: str, request_text: str) -> list[str]:
    """The example's words in ``answer`` that ``request_text`` does not hold."""
    said = request_text.lower()
    return [w for w in EXAMPLE_WORDS if w in answer.lower() and w not in said]


# ---------------------------------------------------------------- without the model

def test_the_tells_are_words_of_their_examples() -> None:
    for example, tells in ((JSON_EXAMPLE, JSON_EXAMPLE_TELLS), (TEXT_EXAMPLE, TEXT_EXAMPLE_TELLS)):
        answers = " ".join(part.split("\n\nInstruction:")[0] for part in example.split("Output:")[1:]).lower()
        assert tells and all(t in example.lower() for t in tells), tells
        assert sum(t in answers for t in tells) >= len(tells) // 2  # mostly what its answers say
    # the common words a long plain answer needs are no tells
    assert not {"because", "that", "here", "information", "json"} & set(TEXT_EXAMPLE_TELLS)


def test_plain_mode_bans_the_tells_but_not_words_begun_like_them() -> None:
    req = ChatRequest("compatible", "m", [Message("user", [Part(text="hello")])])
    plain = echo.for_request(TEXT_EXAMPLE_TELLS, req, cut_prefixes=False)
    assert "autumn" in plain.words and {"aut", "autu", "pla", "plan"} <= plain.allowed
    tokens = echo.EchoBan([b"aut", b"hor", b"autumn", b"pla", b"ce"])
    logits = np.zeros(5, dtype=np.float32)
    tokens.apply(logits, plain, "")
    assert np.isinf(logits[2]) and np.isfinite(logits[[0, 1, 3, 4]]).all()


def test_words_the_request_holds_are_not_banned() -> None:
    req = ChatRequest("compatible", "qwen-plus", [Message("user", [Part(text="The probe reached SATURN.")])],
                      mode="json_schema", schema={"properties": {"planet": {"type": "string"}}})
    assert echo.for_request(JSON_EXAMPLE_TELLS, req).words == ()
    saturday = ChatRequest("compatible", "m", [Message("user", [Part(text="on Saturday")])])
    said = echo.for_request(JSON_EXAMPLE_TELLS, saturday)
    assert said.words == ("planet", "saturn")
    assert {"sat", "satu", "satur"} <= said.allowed and "saturn" not in said.allowed


VOCAB = [b"S", b"s", b"Sat", b"sat", b"urn", b"ur", b"n", b"at", b"t", b"a", b"r", b"u", b"Saturn", b" Saturn",
         b'"Sat', b"Saturday", b"day", b"p", b"pl", b"plan", b"et", b"e", b"planet", b"PLANET", b"x", b" ", b'"', b"}",
         b"{", b":", b",", b"Jupiter", b"ne", b"la"]
BAN = echo.EchoBan(VOCAB)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, len(VOCAB) - 1), max_size=12), st.text(alphabet="Sat urn pl", max_size=6))
def test_a_decoder_under_the_ban_never_spells_an_example_word(scores: list[int], start: str) -> None:
    """Whatever the model prefers (a random preference order each step), the text the ban lets through
    never holds a banned word, across token boundaries and in any letter case."""
    text = start if "saturn" not in start.lower() and "planet" not in start.lower() else ""
    rng = np.random.default_rng(len(scores) * 7919 + sum(scores))
    for step in range(14):
        logits = rng.normal(size=len(VOCAB))
        if scores:
            logits[scores[step % len(scores)]] += 5.0  # a strong wish for one token, as a copying model has
        BAN.apply(logits, echo.Echo(("saturn", "planet")), text)
        text += VOCAB[int(np.argmax(logits))].decode()
    assert "saturn" not in text.lower() and "planet" not in text.lower(), text


def test_the_ban_stops_a_begun_word_unless_the_request_begins_one_so() -> None:
    names = lambda ids: {VOCAB[i] for i in ids}  # noqa: E731
    assert b"urn" in names(BAN.banned(("saturn",), '{"x": "Sat'))
    assert b"Sat" in names(BAN.banned(("saturn",), '{"x": "'))  # "Sat" is where the copy begins
    assert b"Saturday" not in names(BAN.banned(("saturn",), '{"x": "'))
    allowed = echo.open_prefixes(("saturn",), "meet on Saturday")
    assert b"Sat" not in names(BAN.banned(("saturn",), '{"x": "', allowed))
    logits = np.full(len(VOCAB), -np.inf)
    logits[VOCAB.index(b"Saturn")] = 1.0  # the only token the grammar allows: it goes through
    BAN.apply(logits, echo.Echo(("saturn",)), "")
    assert np.isfinite(logits).sum() == 1


ENDLESS = {
    "refers only to itself": {"$ref": "#"},
    "a $ref cycle": {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"},
    "allOf itself": {"allOf": [{"$ref": "#"}]},
    "anyOf only itself": {"anyOf": [{"$ref": "#"}]},
    "a required property that is the whole schema": {"type": "object", "properties": {"a": {"$ref": "#"}},
                                                     "required": ["a"]},
    "minItems of itself": {"type": "array", "items": {"$ref": "#"}, "minItems": 1},
    "every branch recurses": {"anyOf": [{"type": "array", "items": {"$ref": "#"}, "minItems": 1},
                                        {"type": "object", "properties": {"x": {"$ref": "#"}}, "required": ["x"]}]},
    "a tuple item": {"type": "array", "prefixItems": [{"type": "string"}, {"$ref": "#"}], "minItems": 2},
    "via $defs and additionalProperties": {"$defs": {"n": {"type": "object", "required": ["k"],
                                                           "additionalProperties": {"$ref": "#/$defs/n"}}},
                                           "$ref": "#/$defs/n"},
}
FINITE = {
    "optional recursion": {"type": "object", "properties": {"a": {"$ref": "#"}}},
    "a tree": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#"}}},
               "required": ["children"]},
    "a way out in anyOf": {"anyOf": [{"$ref": "#"}, {"type": "string"}]},
    "a linked list ending in null": {"$defs": {"node": {"type": "object", "required": ["next"], "properties": {
        "next": {"anyOf": [{"$ref": "#/$defs/node"}, {"type": "null"}]}}}}, "$ref": "#/$defs/node"},
    "no recursion": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
    "a remote $ref": {"$ref": "https://example.com/schema.json"},
}


@pytest.mark.parametrize("schema", ENDLESS.values(), ids=ENDLESS.keys())
def test_schemas_without_a_document_that_ends(schema: dict[str, Any]) -> None:
    why = unending(schema)
    assert why is not None and "way out" in why


@pytest.mark.parametrize("schema", FINITE.values(), ids=FINITE.keys())
def test_recursive_schemas_with_a_way_out_are_kept(schema: dict[str, Any]) -> None:
    assert unending(schema) is None


def test_no_jsonschemabench_schema_counts_as_endless() -> None:
    """The check refuses only what cannot end: none of the benchmark's real-world schemas."""
    files = sorted((ROOT.parent / "shared" / "jsonschemabench-sample").glob("*/*.json"))
    if not files:
        pytest.skip("no JSONSchemaBench sample on this machine")
    assert [f.name for f in files if unending(json.loads(f.read_text()))] == []


class _Decoder:
    """Stands in for the model's decode loop: what it "wrote" is given."""

    def __init__(self, text: str, finish: str = "stop", hit_stop: bool = False) -> None:
        self.text, self.finish, self.hit_stop = text, finish, hit_stop

    def generate(self, *_args: Any, **_kw: Any) -> tuple[str, Stats]:
        return self.text, Stats(finish_reason=self.finish, hit_stop=self.hit_stop)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "finish", "hit_stop", "refused"), [
    ("", "stop", False, True),
    ('{"a": ', "stop", False, True),
    ('{"a": 1}', "stop", False, False),
    ('{"a": ', "length", False, False),  # cut by max_tokens: said by finish_reason "length"
    ('{"a": ', "stop", True, False),  # cut on the request's own stop string, as asked
])
def test_a_json_answer_that_stopped_unfinished_is_an_error(text: str, finish: str, hit_stop: bool,
                                                          refused: bool) -> None:
    engine = Engine()
    engine.decoder = _Decoder(text, finish, hit_stop)  # type: ignore[assignment]
    req = ChatRequest("compatible", "qwen-plus", [Message("user", [Part(text="x json")])], mode="json_object")
    job = Job(req, check_model("qwen-plus", engine.catalog), matcher=object(),  # type: ignore[arg-type]
              settings=Settings(max_tokens=8))
    if refused:
        with pytest.raises(UnfinishedJson) as e:
            engine.generate(job)
        assert e.value.status == 500 and "JSON Object mode without a complete JSON document" in e.value.message
    else:
        assert engine.generate(job)[0].text == text


# ---------------------------------------------------------------- through the engine

def _post(url: str, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(url + path, json=body, timeout=600)


def _answer(protocol: str, url: str, messages: list[dict[str, Any]], mode: str,
            schema: dict[str, Any] | None = None, max_tokens: int = CAP) -> tuple[str, str]:
    """(content, finish_reason) of one request over plain HTTP, as an outside client sends it."""
    rf: dict[str, Any] | None = None
    if mode == "json_object":
        rf = {"type": "json_object"}
    elif mode == "json_schema":
        rf = {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema or {"type": "object"}}}
    if protocol == "compatible":
        body: dict[str, Any] = {"model": "qwen-plus", "messages": messages, "max_tokens": max_tokens}
        if rf:
            body["response_format"] = rf
        r = _post(url, COMPAT, body)
        assert r.status_code == 200, r.text
        choice = r.json()["choices"][0]
        return choice["message"]["content"], choice["finish_reason"]
    params: dict[str, Any] = {"result_format": "message", "max_tokens": max_tokens}
    if rf:
        params["response_format"] = rf
    r = _post(url, NATIVE_TEXT, {"model": "qwen-plus", "input": {"messages": messages}, "parameters": params})
    assert r.status_code == 200, r.text
    choice = r.json()["output"]["choices"][0]
    return choice["message"]["content"], choice["finish_reason"]


ISSUE_CASES = [  # the probe's own requests (issue 21)
    ("compatible", "json_object", [{"role": "system", "content": "Return JSON."}, {"role": "user", "content": "hello"}],
     None, CAP),
    ("compatible", "json_schema", [{"role": "user", "content": "x"}], {"type": "object"}, CAP),
    ("native", "json_object", [{"role": "user", "content": "Give me a JSON object."}], None, CAP),
    ("compatible", "json_object", [{"role": "user", "content": "x json"}], None, 10**12),
]


@pytest.mark.engine
@pytest.mark.parametrize(("protocol", "mode", "messages", "schema", "max_tokens"), ISSUE_CASES)
def test_the_issues_requests_do_not_get_the_worked_example(local_engine_url: str, protocol: str, mode: str,
                                                           messages: list[dict[str, Any]],
                                                           schema: dict[str, Any] | None, max_tokens: int) -> None:
    content, finish = _answer(protocol, local_engine_url, messages, mode, schema, max_tokens)
    assert not leaked(content, json.dumps(messages)), content
    if finish == "stop":
        json.loads(content)


SHORT = st.one_of(
    st.sampled_from(["", " ", ".", "?", "x", "hi", "hello", "ok", "test", "1", "yes", "no", "thanks", "{}", "null",
                     "[]", "...", "-", "nothing", "Give me a JSON object.", "Return JSON.", "a b c"]),
    st.text(alphabet="abxyz .?!01", min_size=1, max_size=6),
)


@pytest.mark.engine
@pytest.mark.parametrize("mode", ["none", "json_object", "json_schema"])
@pytest.mark.parametrize("protocol", ["compatible", "native"])
@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(user=SHORT, with_system=st.booleans())
def test_short_inputs_never_get_the_worked_example(local_engine_url: str, protocol: str, mode: str, user: str,
                                                   with_system: bool) -> None:
    """The property behind the issue: whatever little the input holds, the answer is not the example
    (JSON Object mode needs the word JSON somewhere: the system message carries it when the input does not)."""
    messages: list[dict[str, Any]] = []
    if with_system or (mode == "json_object" and "json" not in user.lower()):
        messages.append({"role": "system", "content": "Return JSON." if mode != "none" else "Be brief."})
    messages.append({"role": "user", "content": user if user.strip() else "(empty)"})
    content, _finish = _answer(protocol, local_engine_url, messages, mode)
    assert not leaked(content, json.dumps(messages)), f"{messages} -> {content!r}"


@pytest.mark.engine
def test_the_example_words_still_come_back_when_the_input_holds_them(local_engine_url: str) -> None:
    """The ban is on copying the example, not on the words: an input about Saturn gets Saturn."""
    messages = [{"role": "system", "content": "Extract the planet and return it in JSON format."},
                {"role": "user", "content": "In 2004 the Cassini spacecraft reached Saturn."}]
    content, _ = _answer("native", local_engine_url, messages, "json_object", max_tokens=24)
    assert "Saturn" in content


def _blank_png() -> str:
    img = Image.new("RGB", (320, 120), "white")
    out = io.BytesIO()
    img.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.mark.engine
@pytest.mark.parametrize("route", ["compatible", "native"])
def test_an_image_with_nothing_to_read_does_not_get_the_worked_example(local_engine_url: str, route: str) -> None:
    """The image routes (issue 12's leak): OCR finds no text, and the answer is still not the example."""
    img, text = _blank_png(), "Describe this image in JSON."
    if route == "compatible":
        r = _post(local_engine_url, COMPAT, {
            "model": "qwen3-vl-plus", "max_tokens": CAP, "response_format": {"type": "json_object"},
            "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": img}},
                                                      {"type": "text", "text": text}]}]})
        assert r.status_code == 200, r.text
        content = r.json()["choices"][0]["message"]["content"]
    else:
        r = _post(local_engine_url, NATIVE_MM, {
            "model": "qwen3-vl-plus", "parameters": {"max_tokens": CAP, "response_format": {"type": "json_object"}},
            "input": {"messages": [{"role": "user", "content": [{"image": img}, {"text": text}]}]}})
        assert r.status_code == 200, r.text
        content = r.json()["output"]["choices"][0]["message"]["content"][0]["text"]
    assert not leaked(content, text), content


@pytest.mark.engine
@pytest.mark.parametrize("stream", [False, True])
def test_the_receipt_through_multimodal_conversation_is_read(ds: Any, stream: bool) -> None:
    """Issue 12's own case: the receipt through ``dashscope.MultiModalConversation`` in JSON Object mode,
    with the preset's prompts. Its OCR text reaches the model and the answer starts from it."""
    preset = get_preset("image-ticket-invoice-native")  # the Python dashscope form of the image example
    png = (ROOT / "presets" / "assets" / "receipt.png").read_bytes()
    img = "data:image/png;base64," + base64.b64encode(png).decode()
    messages = [{"role": "system", "content": [{"text": preset.system_prompt}]},
                {"role": "user", "content": [{"image": img}, {"text": preset.user_text}]}]
    r = ds.MultiModalConversation.call(api_key="sk-local", model="qwen3-vl-plus", messages=messages,
                                       response_format={"type": "json_object"}, max_tokens=24, stream=stream,
                                       incremental_output=stream)
    parts = list(r) if stream else [r]
    assert all(p.status_code == 200 for p in parts), parts[-1].message
    content = "".join(p.output.choices[0].message.content[0]["text"] for p in parts
                      if p.output.choices[0].message.content)
    assert not leaked(content, preset.user_text), content
    assert content.startswith('{"ticket": [{"travel_date": "2013-06-29"'), content
    assert "2013" in lower(parts[-1].headers).get("x-local-engine-ocr-text", "")


@pytest.mark.engine
@pytest.mark.parametrize("schema", ENDLESS.values(), ids=ENDLESS.keys())
@pytest.mark.parametrize("protocol", ["compatible", "native"])
def test_endless_schemas_are_refused_on_both_protocols(local_engine_url: str, protocol: str,
                                                       schema: dict[str, Any]) -> None:
    rf = {"type": "json_schema", "json_schema": {"name": "endless", "schema": schema}}
    if protocol == "compatible":
        r = _post(local_engine_url, COMPAT, {"model": "qwen-plus", "messages": [{"role": "user", "content": "x"}],
                                             "response_format": rf, "max_tokens": CAP})
        message, param = r.json()["error"]["message"], r.json()["error"]["param"]
        assert param == "response_format.json_schema.schema"
    else:
        r = _post(local_engine_url, NATIVE_TEXT, {"model": "qwen-plus",
                                                  "input": {"messages": [{"role": "user", "content": "x"}]},
                                                  "parameters": {"response_format": rf, "max_tokens": CAP}})
        message = r.json()["message"]
        assert r.json()["code"] == "InvalidParameter"
    assert r.status_code == 400, r.text
    assert re.search(r"cannot be answered: (no JSON document that ends|it allows no JSON value)", message), message
