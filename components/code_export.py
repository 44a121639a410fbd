"""Code export: the current request as the code the reference shows for it, one tab a language.

``st.code`` gives every snippet a copy button. The code itself comes from
``structured_output.export``: the key is always read from ``DASHSCOPE_API_KEY`` (never written
into the code), and for the local engine the base URL is the engine's own.
"""

from __future__ import annotations

import streamlit as st

from structured_output.display import md_escape
from structured_output.export import generate
from structured_output.export.shared import KEY_ENV, Snippet
from structured_output.request import Request

# Short tab titles: seven full labels ("Java · DashScope SDK (MultiModalConversation)") overflow the
# tab bar at 1280 px; the full label is repeated above the code.
TAB_TITLES = {
    "python-openai": "Python · openai",
    "python-openai-parse": "Python · Pydantic",
    "python-dashscope": "Python · dashscope",
    "node-openai": "Node.js",
    "node-openai-parse": "Node.js · zod",
    "curl-compatible": "curl · compatible",
    "curl-native": "curl · native",
    "java-dashscope": "Java",
}


def code_export(req: Request, key: str = "code") -> list[Snippet]:
    """Tabs of snippets for ``req``; returns them (tests and other pages may want the list)."""
    if not req.model.strip():
        st.caption("Pick a model to see the code.")
        return []
    snippets = generate(req)
    where = "the local engine (any key works)" if req.endpoint == "local" else "this endpoint"
    files = " Uploaded images are read from a file named like the upload." if any(
        i.data is not None for i in req.images) else ""
    st.caption(f"The same request in code, as the reference shows it. The key is read from `{KEY_ENV}` and is "
               f"never written into the code; the base URL points at {md_escape(where)}.{files}")
    tabs = st.tabs([TAB_TITLES.get(s.kind, s.label) for s in snippets])
    for tab, snippet in zip(tabs, snippets, strict=True):
        with tab, st.container(key=f"{key}_{snippet.kind}"):
            where = f" · save as `{snippet.filename}`" if snippet.filename else ""
            note = "" if snippet.runnable else " · a note, not a program"
            st.caption(f"**{md_escape(snippet.label)}**{where}{note}")
            st.code(snippet.code, language=snippet.language, line_numbers=True)
    return snippets
