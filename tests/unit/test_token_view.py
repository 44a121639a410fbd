"""The Tokens view's data and HTML without a server: token data read from either protocol's body and
from stream chunks, what the summary counts, that model text is always escaped, and that the
request sends logprobs only when the view is on."""

from __future__ import annotations

import re
from typing import Any

from components.token_view import strip_html, summary_line
from structured_output.request import Request
from structured_output.tokens import TOP_LOGPROBS, strip_of
from structured_output.wire.compatible import openai_kwargs
from structured_output.wire.native import dashscope_kwargs


def entry(token: str, logprob: float, grammar: dict[str, Any] | None = None,
          top: list[tuple[str, float]] | None = None) -> dict[str, Any]:
    e: dict[str, Any] = {"token": token, "logprob": logprob, "bytes": list(token.encode()),
                         "top_logprobs": [{"token": t, "logprob": lp, "bytes": None} for t, lp in (top or [])]}
    if grammar is not None:
        e["grammar"] = grammar
    return e


def grammar(forced: bool = False, allowed: int = 5, removed: float | None = 0.1, overrode: bool | None = False,
            forbidden: list[tuple[str, float]] | None = None) -> dict[str, Any]:
    return {"forced": forced, "allowed": allowed, "removed": removed, "model_logprob": -0.5 if removed else None,
            "overrode": overrode, "steered": False,
            "forbidden": [{"token": t, "logprob": lp, "bytes": None} for t, lp in (forbidden or [])]}


FENCE = [entry('{"', -0.02, grammar(allowed=3, removed=0.99, overrode=True, forbidden=[("```", -0.01)]),
               top=[('{"', -0.02)]),
         entry("name", 0.0, grammar(forced=True, allowed=1, removed=None, overrode=None)),
         entry('":', -0.1, grammar(removed=0.2))]


def test_compatible_body_and_summary() -> None:
    body = {"choices": [{"message": {"content": '{"name":'}, "logprobs": {"content": FENCE}}]}
    strip = strip_of(body, "json_object")
    assert strip is not None and strip.has_mask and strip.text == '{"name":'
    assert [t.kind for t in strip.tokens] == ["chosen", "forced", "chosen"]
    s = strip.summary()
    assert (s.tokens, s.forced, s.chosen, s.overrode) == (3, 1, 2, 1)
    assert s.mean_removed is not None and abs(s.mean_removed - (0.99 + 0.2) / 2) < 1e-9  # the forced one: not asked
    assert strip.tokens[0].forbidden[0].token == "```" and strip.tokens[0].forbidden[0].forbidden
    line = summary_line(strip)
    assert "**1** forced by the grammar" in line and "overrode the model's first choice **1** time" in line


def test_native_stream_chunks_are_joined() -> None:
    chunks = [{"output": {"choices": [{"message": {"content": "Hi"}, "logprobs": {"content": [entry("Hi", -0.3)]}}]}},
              {"output": {"choices": [{"message": {"content": " there"},
                                       "logprobs": {"content": [entry(" there", -1.2)]}}]}},
              {"output": {"choices": [{"message": {"content": ""}, "finish_reason": "stop"}]}}]
    strip = strip_of(chunks, "none")
    assert strip is not None and not strip.has_mask and strip.text == "Hi there"
    assert {t.kind for t in strip.tokens} == {"free"}


def test_a_server_without_mask_details_is_not_guessed() -> None:
    body = {"choices": [{"logprobs": {"content": [entry("{", -0.01, top=[("{", -0.01), ("```", -4.0)])]}}]}
    strip = strip_of(body, "json_object")
    assert strip is not None and not strip.has_mask
    assert strip.tokens[0].kind == "unknown" and strip.tokens[0].forbidden == []
    assert "forced" not in summary_line(strip)


def test_no_logprobs_at_all() -> None:
    assert strip_of({"choices": [{"message": {"content": "x"}, "logprobs": None}]}, "none") is None
    assert strip_of(None, "none") is None


def test_model_text_is_escaped_never_live_html() -> None:
    evil = '<img src=x onerror=alert(1)><script>alert(2)</script>'
    body = {"choices": [{"logprobs": {"content": [
        entry(evil, -0.5, grammar(forbidden=[("</table><b>x", -1.0)]), top=[(evil, -0.5), ("<i>", -2.0)])]}}]}
    strip = strip_of(body, "json_object")
    assert strip is not None
    out = strip_html(strip, key="t")
    assert "<img" not in out and "<script" not in out and "<i>" not in out and "</table><b>" not in out
    assert "&lt;img src=x onerror=alert(1)&gt;" in out
    tags = set(re.findall(r"</?([a-z]+)", out))
    assert tags <= {"style", "div", "span", "table", "tr", "td"}


def test_logprobs_are_sent_only_when_the_view_is_on() -> None:
    off = Request(user_text="hi JSON", mode="json_object")
    on = Request(user_text="hi JSON", mode="json_object", logprobs=True)
    assert "logprobs" not in openai_kwargs(off) and "logprobs" not in dashscope_kwargs(off)
    assert openai_kwargs(on)["logprobs"] is True and openai_kwargs(on)["top_logprobs"] == TOP_LOGPROBS
    native = dashscope_kwargs(on)
    assert native["logprobs"] is True and native["top_logprobs"] == TOP_LOGPROBS <= 5  # DashScope's native range
    assert Request.from_dict(on.to_dict()) == on
