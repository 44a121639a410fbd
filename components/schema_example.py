""""Schema from example": paste an example answer (or take the last parsed one), get its JSON Schema in
the editor, tightened for structured output, with each change listed and a tick box to undo it.

The inference and the tightening are ``structured_output.workbench.schema_from_example``; this widget
only moves text between the example box, the change boxes and the schema editor. Every move into the
editor happens in a callback, before the editor renders, and remounts it (``state.EDITOR_VERSION``).
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from components import state
from structured_output.display import md_escape
from structured_output.workbench.schema_from_example import ExampleError, Inferred, from_text, infer

ss = st.session_state


def last_parsed_answer() -> Any:
    """The parsed answer of the run the result panels show, or None (also when it did not parse)."""
    entry = state.history().get(ss[state.CURRENT])
    if entry is None or entry.result.parse is None or not entry.result.parse.ok:
        return None
    value = entry.result.parse.value
    return value if isinstance(value, dict) else None


def _into_editor(inferred: Inferred) -> None:
    ss[state.SCHEMA_TEXT] = inferred.text()
    ss[state.EDITOR_VERSION] = ss[state.EDITOR_VERSION] + 1


def _make() -> None:
    """Callback of "Make schema": read the example, infer, tighten, replace the editor's schema."""
    try:
        inferred = from_text(ss[state.WB_EXAMPLE])
    except ExampleError as e:
        ss[state.WB_ERROR] = e
        return
    ss[state.WB_ERROR] = None
    if ss[state.WB_INFERRED] is None or ss[state.WB_BEFORE] is None:
        ss[state.WB_BEFORE] = ss[state.SCHEMA_TEXT]  # the user's own schema, before the first example
    ss[state.WB_INFERRED] = inferred
    ss[state.WB_GENERATION] = ss[state.WB_GENERATION] + 1
    _into_editor(inferred)


def _take_last_answer() -> None:
    value = last_parsed_answer()
    if value is None:  # the button cannot know at render time: a run below it may have just finished
        ss[state.WB_ERROR] = ExampleError(
            "There is no parsed answer to take: the result panels show no run, or its answer is not a JSON object.",
            "Run first (or pick a run in the history whose answer parsed), or paste an example.")
        return
    ss[state.WB_EXAMPLE] = json.dumps(value, indent=2, ensure_ascii=False)
    _make()


def _toggle() -> None:
    """A change box was ticked or unticked: tighten again without the unticked changes."""
    inferred: Inferred | None = ss[state.WB_INFERRED]
    if inferred is None:
        return
    gen = ss[state.WB_GENERATION]
    choices = {c.id: bool(ss.get(state.wb_change_key(gen, c.id), inferred.is_applied(c))) for c in inferred.changes}
    again = infer(inferred.example, choices)
    ss[state.WB_INFERRED] = again
    _into_editor(again)


def _put_back() -> None:
    if ss[state.WB_BEFORE] is not None:
        ss[state.SCHEMA_TEXT] = ss[state.WB_BEFORE]
        ss[state.EDITOR_VERSION] = ss[state.EDITOR_VERSION] + 1
    ss[state.WB_BEFORE] = None
    ss[state.WB_INFERRED] = None


def schema_from_example() -> None:
    """The expander under the schema editor's caption."""
    inferred: Inferred | None = ss[state.WB_INFERRED]
    with st.expander("Schema from example", icon=":material/auto_fix_high:",
                     expanded=inferred is not None or ss[state.WB_ERROR] is not None):
        st.caption("Paste an answer you would like to get: genson writes its JSON Schema into the editor, "
                   "then it is tightened for structured output. Untick a change to undo it, tick one to apply it.")
        st.text_area("Example answer (JSON)", key=state.WB_EXAMPLE, height=100, persist_state="session",
                     placeholder='{"name": "Alex Brown", "age": 34, "hobbies": ["basketball"]}')
        with st.container(horizontal=True, gap="small"):
            st.button("Make schema", key="wb_make", icon=":material/auto_fix_high:", on_click=_make, type="primary")
            st.button("Last answer", key="wb_last", icon=":material/history:", on_click=_take_last_answer,
                      help="Take the answer the result panels show (when it parsed as a JSON object) as the example.")
            st.button("My schema back", key="wb_back", icon=":material/undo:", on_click=_put_back,
                      disabled=ss[state.WB_BEFORE] is None,
                      help="Put back the schema the editor held before the first example replaced it.")
        err: ExampleError | None = ss[state.WB_ERROR]
        if err is not None:
            st.error(md_escape(err.message), icon=":material/data_object:")
            st.caption(md_escape(err.hint))
            return
        if inferred is None:
            return
        st.markdown(f"**{len(inferred.applied())} of {len(inferred.changes)} changes applied** to genson's schema")
        gen = ss[state.WB_GENERATION]
        for c in inferred.changes:
            key = state.wb_change_key(gen, c.id)
            if key not in ss:
                ss[key] = inferred.is_applied(c)
            st.checkbox(md_escape(c.what), key=key, on_change=_toggle)
            st.caption(md_escape(c.why))
        with st.popover("genson's schema, untightened", icon=":material/visibility:"):
            st.code(json.dumps(inferred.genson_schema, indent=2, ensure_ascii=False), language="json")
