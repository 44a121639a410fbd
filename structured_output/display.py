"""Text for the result panels, prepared without Streamlit so it can be tested.

Model output and server messages are untrusted text: they are shown in code blocks, or escaped
here before they go into anything Streamlit renders as Markdown, so a reply holding ``<script>``
or ``[a link](x)`` shows those characters instead of rendering them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from structured_output.result import RunResult

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")
WORD_JOINER = "\u2060"  # invisible, zero width
# GFM turns bare URLs and e-mail addresses into links *after* escapes are resolved (a find-and-replace
# on the rendered text), so no escape stops it; an invisible word joiner inside "http://", "www." and
# before "@" does.
_AUTOLINK = re.compile(r"(?i)(https?|ftp|www)(?=\\[:.])")


def md_escape(text: Any) -> str:
    """``text`` made inert for Streamlit Markdown: every Markdown, HTML, LaTeX and directive character
    escaped, and what GFM would auto-link (URLs, ``www.``, e-mail addresses) broken with a word joiner."""
    escaped = _MD_SPECIAL.sub(r"\\\1", str(text))
    escaped = _AUTOLINK.sub(lambda m: m.group(1) + WORD_JOINER, escaped).replace("@", WORD_JOINER + "@")
    return escaped.replace("\n", "  \n")


def pretty_raw(raw: Any) -> str:
    """The raw response: a body as indented JSON; a streamed answer one chunk a line, as the events came."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    try:
        if isinstance(raw, list):
            return "\n".join(json.dumps(chunk, ensure_ascii=False, default=str) for chunk in raw)
        return json.dumps(raw, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(raw)


MARK_OPEN, MARK_CLOSE = "▶", "◀"


def error_excerpt(content: str, line: int | None, column: int | None, context: int = 2, width: int = 60) -> str:
    """The lines around a parse error, numbered, with the offending character marked ``▶x◀`` in place.

    The mark sits inside the line rather than on a caret line below it, so it stays next to the
    character however narrow the panel is and however the line wraps. A position past the end of a
    line is marked as the end of the line (or of the output). Long lines (minified JSON is one line)
    are cut to a window around the mark.
    """
    lines = content.split("\n")
    if line is None or not 1 <= line <= len(lines):
        line, column = len(lines), len(lines[-1]) + 1
    column = max(1, column or 1)
    first, last = max(1, line - context), min(len(lines), line + context)
    num_width = len(str(last))
    out: list[str] = []
    for n in range(first, last + 1):
        text = lines[n - 1]
        if n != line:
            out.append(f"{n:>{num_width}} │ {text if len(text) <= width * 2 else text[: width * 2] + '…'}")
            continue
        i = column - 1
        if i < len(text):
            marked = f"{text[:i]}{MARK_OPEN}{text[i]}{MARK_CLOSE}"
            rest = text[i + 1:]
        else:
            what = "end of output" if n == len(lines) else "end of line"
            marked = f"{text}{MARK_OPEN}{what}{MARK_CLOSE}"
            rest = ""
        head = marked[: -width - 2] if len(marked) > width + 2 else ""
        shown = ("…" if head else "") + marked[len(head):] + (rest[:width] + ("…" if len(rest) > width else ""))
        out.append(f"{n:>{num_width}} │ {shown}")
    return "\n".join(out)


def _fmt_s(seconds: float | None) -> str:
    return "–" if seconds is None else (f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s")


def run_facts(result: RunResult) -> list[tuple[str, str]]:
    """The figures under the panels, in reading order; missing values show as a dash."""
    u = result.usage
    tokens = "–"
    if u.total_tokens is not None:
        tokens = f"{u.input_tokens or 0} in · {u.output_tokens or 0} out · {u.total_tokens}"
    return [
        ("Finish", result.finish_reason or "–"),
        ("Tokens", tokens),
        ("Latency", _fmt_s(result.latency_s)),
        ("First token", _fmt_s(result.ttft_s)),
        ("Served by", result.served_by or "–"),
        ("Retries", str(result.retries)),
    ]


def dash_or_text(value: object) -> str:
    """A table cell as text: a missing value as a dash, a whole float without its ".0"."""
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
