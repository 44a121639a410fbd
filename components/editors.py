"""Ace editors (streamlit-ace) whose text lives in ``st.session_state``, not in the widget.

Why the indirection: the Ace component only takes its text when it mounts, AppTest cannot type into
it, and a page switch unmounts it. So each editor is backed by a plain session key (``state.SCHEMA_TEXT``
…) that tests and ``state.load_request`` set directly; the Ace widget is keyed by
``state.EDITOR_VERSION`` so loading new text remounts it with that text, and a value coming back from
the browser only counts when it differs from the last one the widget sent.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit_ace import st_ace

from components import state
from structured_output.lint import Finding

_SEED = "{}.__seed"  # the text the mounted editor instance started with
_LAST = "{}.__last"  # the last value the mounted editor sent back


def _keys(text_key: str) -> tuple[str, str, str]:
    ss = st.session_state
    return f"{text_key}.__ace{ss[state.EDITOR_VERSION]}", _SEED.format(text_key), _LAST.format(text_key)


def _take(text_key: str, value: Any) -> None:
    """Accept a value from the browser only when it is new, so text set from outside is not overwritten."""
    ss = st.session_state
    _, _, last_key = _keys(text_key)
    if isinstance(value, str) and value != ss.get(last_key):
        ss[text_key] = value
        ss[last_key] = value


def sync(text_key: str) -> str:
    """Bring the editor's latest text from the browser into the state before anything reads it.

    Called before the widgets render so lint (and its gutter marks) use what was just typed, not the
    text of the previous rerun.
    """
    ss = st.session_state
    widget_key, seed_key, last_key = _keys(text_key)
    if widget_key not in ss:  # a new mount: first run, text loaded from outside, or back from another page
        ss[seed_key] = ss[text_key]
        ss[last_key] = ss[text_key]
    else:
        _take(text_key, ss[widget_key])
    return ss[text_key]


def ace_editor(text_key: str, *, language: str = "plain_text", placeholder: str = "", min_lines: int = 4,
               max_lines: int = 18, annotations: list[dict[str, Any]] | None = None, wrap: bool = True) -> str:
    """An Ace editor bound to ``st.session_state[text_key]``; returns the current text."""
    sync(text_key)
    widget_key, seed_key, _ = _keys(text_key)
    value = st_ace(
        value=st.session_state[seed_key], placeholder=placeholder, language=language, theme=theme(),
        keybinding="vscode", min_lines=min_lines, max_lines=max_lines, font_size=13, tab_size=2, wrap=wrap,
        show_gutter=True, annotations=annotations or [], auto_update=True, key=widget_key,
    )
    _take(text_key, value)
    return st.session_state[text_key]


LIGHT_THEME, DARK_THEME = "chrome", "tomorrow_night"


def theme() -> str:
    """The Ace theme that matches Streamlit's light or dark theme (``st.context.theme``, read each rerun)."""
    current = getattr(st.context, "theme", None)
    return DARK_THEME if getattr(current, "type", None) == "dark" else LIGHT_THEME


def annotations_for(findings: list[Finding]) -> list[dict[str, Any]]:
    """Gutter marks for findings that know their line (parse errors); Ace counts rows from 0."""
    kinds = {"error": "error", "warning": "warning", "info": "info"}
    return [{"row": f.line - 1, "column": max(0, (f.column or 1) - 1), "type": kinds[f.level], "text": f.message}
            for f in findings if f.line is not None]
