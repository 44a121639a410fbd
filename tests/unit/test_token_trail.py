"""``TokenTrail``: the tokens' texts join up to the content the stop scanner lets out (leading and
trailing white space trimmed, cut at a stop string, a UTF-8 character split over two tokens), and
every streamed piece carries exactly its own tokens."""

from __future__ import annotations

import pytest

from local_engine.logprobs import Candidate, MaskInfo, TokenLogprob, TokenTrail
from local_engine.stops import StopScanner


def _entry(text: str) -> TokenLogprob:
    return TokenLogprob(text, list(text.encode()), -0.1, [Candidate(text, None, -0.1)],
                        MaskInfo(False, 9, 0.0, -0.1, False, False))


def _run(pieces: list[str], stops: list[str], trim: bool, stream_check: bool = True) -> tuple[str, list[str]]:
    """Feed decoded pieces through the scanner and the trail as the decode loop does."""
    scanner, trail = StopScanner(stops, trim=trim), TokenTrail(trim=trim)
    out: list[str] = []
    given_text: list[str] = []
    for p in pieces:
        trail.add(_entry(p), p)
        text = scanner.feed(p)
        if text:
            out.append(text)
            shown, toks = trail.release("".join(out))
            if stream_check:
                assert "".join(t.token for t in toks) == shown
            given_text.append(shown)
        if scanner.hit:
            break
    if not scanner.hit:
        tail = scanner.flush()
        if tail:
            out.append(tail)
    shown, toks = trail.release("".join(out), final=True)
    given_text.append(shown)
    assert "".join(given_text) == "".join(out)
    return "".join(out), [t.token for t in trail.given]


@pytest.mark.parametrize(("pieces", "stops", "trim", "tokens"), [
    (["\n", " Hello", " world", "\n\n"], [], True, ["Hello", " world"]),
    (["Sure", ":", "\nInput", ": x"], ["\nInput:"], False, ["Sure", ":"]),
    (["ab", "c\nIn", "put:", " more"], ["\nInput:"], False, ["ab", "c"]),
    (["名", "", "字", " ok"], [], True, ["名", "", "字", " ok"]),
    (["  ", "\n"], [], True, []),
])
def test_trail_lines_tokens_up_with_the_content(pieces: list[str], stops: list[str], trim: bool,
                                                tokens: list[str]) -> None:
    content, got = _run(pieces, stops, trim)
    assert got == tokens
    assert "".join(got) == content

