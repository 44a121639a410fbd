"""What the server returned, described: the things a strict parse lets pass or trips over without
saying why. Seen against llama-cpp-python's server in JSON Object mode: ``{}`` followed by runs of
spaces and tabs (llama.cpp's JSON grammar lets white space run on after the object closes); it parses,
and nothing pointed out that it was empty and padded. Each note is one line in the Parsed panel."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from structured_output.result import ParseOutcome

NoteKind = Literal["empty_object", "empty_array", "leading_whitespace", "trailing_whitespace", "fence"]

_FENCE_OPEN = re.compile(r"^\s*```[A-Za-z]*[ \t]*\r?\n")
_FENCE_CLOSE = re.compile(r"\n[ \t]*```\s*$")
_WHITESPACE_NAMES = (("\n", "newline"), (" ", "space"), ("\t", "tab"), ("\r", "carriage return"))


@dataclass(frozen=True)
class OutputNote:
    kind: NoteKind
    text: str  # plain text (the page escapes it)


def describe_output(content: str | None, parse: ParseOutcome | None) -> list[OutputNote]:
    """The notes for one answer, in reading order; empty when there is nothing to point out."""
    if not content:
        return []
    notes: list[OutputNote] = []
    fenced = bool(_FENCE_OPEN.match(content)) and bool(_FENCE_CLOSE.search(content))
    if fenced:
        notes.append(OutputNote("fence", "The JSON is wrapped in a Markdown code fence (```): strict json.loads "
                                "fails on the fence; a reader has to strip it first."))
    value = _value(parse)
    if value == {}:
        notes.append(OutputNote("empty_object", "The server returned an empty object {}: valid JSON with nothing "
                                "in it. JSON Object mode guarantees JSON, not the keys you asked for."))
    elif value == []:
        notes.append(OutputNote("empty_array", "The server returned an empty array []: valid JSON with nothing "
                                "in it."))
    body = content.strip()
    if body:
        lead = content[: len(content) - len(content.lstrip())]
        trail = content[len(content.rstrip()):]
        if lead and not fenced:
            notes.append(OutputNote("leading_whitespace", f"{_whitespace(lead)} before the JSON."))
        if trail:
            notes.append(OutputNote("trailing_whitespace",
                                    f"{_whitespace(trail)} after the JSON (json.loads ignores it; the tokens were "
                                    "still generated and paid for)."))
    return notes


def _value(parse: ParseOutcome | None) -> Any:
    if parse is None:
        return None
    if parse.ok:
        return parse.value
    return parse.lenient_value if parse.lenient_ok else None


def _whitespace(run: str) -> str:
    """'14 characters of white space (2 newlines, 8 spaces, 4 tabs)'."""
    parts = []
    for ch, name in _WHITESPACE_NAMES:
        n = run.count(ch)
        if n:
            parts.append(f"{n} {name}{'s' if n != 1 else ''}")
    other = len(run) - sum(run.count(ch) for ch, _ in _WHITESPACE_NAMES)
    if other:
        parts.append(f"{other} other")
    chars = f"{len(run)} character{'s' if len(run) != 1 else ''} of white space"
    return f"{chars} ({', '.join(parts)})"
