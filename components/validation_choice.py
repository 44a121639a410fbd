""""Validate against": in the modes that do not send the schema, whether the answer is checked against the
editor's schema is a visible choice, with where the schema came from. The decision rules live in
``structured_output.schema_origin``; this is the widget."""

from __future__ import annotations

import streamlit as st

from components import state
from structured_output.display import md_escape
from structured_output.schema_origin import describe, followed_name

CHOICES = ("none", "schema")
LABELS = {"none": "nothing", "schema": "the editor's schema"}


def follow_schema_name() -> None:
    """Before the schema name widget renders: the name follows the schema (the example's name for the
    example's schema, the schema's own title otherwise) unless the user typed one."""
    ss = st.session_state
    name = followed_name(ss[state.SCHEMA_ORIGIN], ss[state.SCHEMA_TEXT], ss[state.SCHEMA_NAME],
                         ss[state.SCHEMA_NAME_FOLLOWED])
    if name != ss[state.SCHEMA_NAME]:
        ss[state.SCHEMA_NAME] = name
        ss[state.SCHEMA_NAME_FOLLOWED] = name


def _picked() -> None:
    ss = st.session_state
    ss[state.VALIDATE_PICK] = (ss[state.VALIDATE_RADIO], state.validate_default())


def validate_against(mode: str) -> None:
    """The choice (JSON Object and plain mode) or, in JSON Schema mode, the line saying the sent schema
    is the one checked; under it, the schema's origin."""
    ss = st.session_state
    origin_line = describe(ss[state.SCHEMA_ORIGIN], ss[state.SYSTEM_PROMPT], ss[state.USER_TEXT],
                           ss[state.SCHEMA_TEXT])
    if mode == "json_schema":
        st.caption(f"Sent as `response_format`, and the answer is validated against it. {md_escape(origin_line)}")
        return
    if not ss[state.SCHEMA_TEXT].strip():
        return  # nothing to choose: the schema lint says the answer is parsed, not validated
    ss[state.VALIDATE_RADIO] = state.validate_choice()
    st.radio("Validate the answer against", CHOICES, key=state.VALIDATE_RADIO, format_func=LABELS.get,
             horizontal=True, on_change=_picked,
             help="This mode does not send the schema. The reference's *Going live* advice: validate the "
                  "output against the schema you expect before using it.")
    st.caption(md_escape(origin_line))
