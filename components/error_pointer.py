"""Errors pointed at: a validation error picked in the result's error table is marked where it is, in
the answer as the model wrote it, in the parsed result as shown, and (its schema path) in the schema
editor's gutter; a parse error is marked at its line and column in the answer's text.

Model output is untrusted: it is HTML-escaped before the ``<mark>`` is put around the place.
"""

from __future__ import annotations

import html
import json
from typing import Any

import streamlit as st

from components import state
from structured_output.display import md_escape
from structured_output.result import ValidationRow
from structured_output.runs.history import HistoryEntry
from structured_output.workbench.locate import Span, find, line_col, offset_of

ss = st.session_state
VIEW_KEY = "result"  # the playground's result view (components.results.result_view's default key)
MARK_STYLE = ("background: rgba(255, 164, 33, 0.45); color: inherit; border-radius: 3px; "
              "outline: 2px solid rgba(255, 164, 33, 0.9)")
PRE_STYLE = ("white-space: pre-wrap; word-break: break-word; font-size: 13px; line-height: 1.45; margin: 0; "
             "padding: 10px 12px; border-radius: 6px; background: rgba(128, 128, 128, 0.12); color: inherit; "
             "max-height: 320px; overflow: auto")


def pointed_row(entry: HistoryEntry, view_key: str = VIEW_KEY) -> ValidationRow | None:
    """The validation error whose table row is selected in this run's result view, if any."""
    v = entry.result.validation
    picked = ss.get(state.errors_table_key(view_key, entry.id))
    rows = getattr(getattr(picked, "selection", None), "rows", None) or (
        picked.get("selection", {}).get("rows") if isinstance(picked, dict) else None)
    if v is None or not rows or not 0 <= rows[0] < len(v.errors):
        return None
    return v.errors[rows[0]]


def schema_marks(schema_text: str) -> list[dict[str, Any]]:
    """Ace gutter annotations for the error pointed at in the run the playground shows: its schema path in
    the schema editor's text (nothing when no error is pointed at or the path is not in this text)."""
    entry = state.history().get(ss.get(state.CURRENT))
    row = pointed_row(entry) if entry is not None else None
    if row is None or entry.request.schema_text != schema_text:  # another schema: its lines mean nothing here
        return []
    span = schema_span(schema_text, row)
    if span is None:
        return []
    line, col = span.line_col(schema_text)
    return [{"row": line - 1, "column": col - 1, "type": "warning",
             "text": f"Pointed at: {row.path} {row.message} (schema path {row.schema_path})"}]


def schema_span(schema_text: str, row: ValidationRow) -> Span | None:
    """The keyword that failed (``"type": "integer"``), else the subschema that holds it."""
    return find(schema_text, row.schema_parts) or find(schema_text, row.schema_parts[:-1])


def marked(text: str, span: Span) -> str:
    """``text`` as escaped HTML with ``span`` marked (an empty span marks the character at its start)."""
    end = span.end if span.end > span.start else min(len(text), span.start + 1)
    inside = html.escape(text[span.start:end]) or "&#8203;⟨end⟩"
    return (f'<pre style="{PRE_STYLE}">{html.escape(text[:span.start])}'
            f'<mark class="wb-mark" style="{MARK_STYLE}">{inside}</mark>{html.escape(text[end:])}</pre>')


def _block(title: str, text: str, span: Span, key: str) -> None:
    line, col = span.line_col(text)
    with st.container(border=True, key=key):
        st.markdown(f"**{title}**")
        st.caption(f"line {line}, column {col}")
        st.html(marked(text, span))


def pointed_view(entry: HistoryEntry, view_key: str = VIEW_KEY) -> None:
    """Below the error table: the picked error marked in the answer and the parsed result, or the parse
    error's place in the answer; a hint to pick one otherwise."""
    r = entry.result
    p = r.parse
    if p is not None and not p.ok and r.content and p.line:
        at = offset_of(r.content, p.line, p.column or 1)
        st.markdown(f"**Where the parse stopped** :gray[line {p.line}, column {p.column}: {md_escape(p.error)}]")
        st.html(marked(r.content, Span(at, at)))
        return
    if r.validation is None or not r.validation.errors:
        return
    row = pointed_row(entry, view_key)
    if row is None:
        st.caption(":material/ads_click: Select an error's row to mark its place in the answer, the parsed result "
                   "and the schema editor's gutter.")
        return
    st.markdown(f"**Pointed at** {md_escape(row.path)}: {md_escape(row.message)}")
    col_raw, col_parsed = st.columns(2)
    content = r.content or ""
    pretty = json.dumps(p.value, indent=2, ensure_ascii=False) if p is not None and p.ok else ""
    with col_raw:
        span = find(content, row.parts)
        if span is not None:
            _block("In the answer as written", content, span, f"{view_key}_pointed_raw")
    with col_parsed:
        span = find(pretty, row.parts)
        if span is not None:
            _block("In the parsed result", pretty, span, f"{view_key}_pointed_parsed")
    if entry.request.schema_text == ss.get(state.SCHEMA_TEXT):
        where = schema_span(entry.request.schema_text, row)
        line = line_col(entry.request.schema_text, where.start)[0] if where is not None else None
        st.caption(f":material/flag: Schema path {md_escape(row.schema_path)}"
                   + (f": marked in the schema editor's gutter, line {line}." if line else "."))
    else:
        st.caption(f"Schema path {md_escape(row.schema_path)} (the editor's schema has changed since this run, so "
                   "its gutter is not marked).")
