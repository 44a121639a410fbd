"""The field table beside the schema's JSON text, two-way: the table is read from the JSON on every
rerun (its key follows the text, so an edit of the JSON remounts it), and an edit in the table writes the
JSON again and remounts the Ace editor. A schema the table cannot show keeps the JSON editor the only one;
rows that make no schema are said and the JSON is left as it was (the table keeps what was typed).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict
from typing import Any

import pandas as pd
import streamlit as st

from components import state
from structured_output import jsontext
from structured_output.display import md_escape
from structured_output.workbench.field_table import TYPES, FieldRow, TableError, to_rows, to_schema

ss = st.session_state
COLUMNS = ["field", "type", "required", "description", "enum"]


def _text(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def table_key(schema_text: str) -> str:
    return "wb_table_" + hashlib.sha1(schema_text.encode("utf-8")).hexdigest()[:12]


def _write(schema: dict[str, Any]) -> None:
    ss[state.SCHEMA_TEXT] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    ss[state.EDITOR_VERSION] = ss[state.EDITOR_VERSION] + 1


def field_table() -> None:
    """The expander under the schema editor."""
    text = ss[state.SCHEMA_TEXT]
    with st.expander("Field table", icon=":material/table_rows:"):
        try:
            schema = jsontext.loads(text) if text.strip() else {"type": "object", "properties": {}}
        except jsontext.JSONTextError as e:
            st.caption(f"The JSON has an error at line {e.line}, column {e.column}: fix it in the editor and the "
                       "table follows.")
            return
        try:
            rows, closed = to_rows(schema)
        except TableError as e:
            st.info(f"{md_escape(e.message)} {md_escape(e.hint)}", icon=":material/table_rows:")
            return
        st.caption("Edit either side: the table writes the JSON, the JSON fills the table. A nested field is "
                   "named by its path: `address.city`, `tags[]` (an array's items), `orders[].sku`.")
        key = table_key(text)
        frame = pd.DataFrame([asdict(r) for r in rows], columns=COLUMNS)
        edited = st.data_editor(
            frame, key=key, num_rows="dynamic", hide_index=True, width="stretch",
            column_config={
                "field": st.column_config.TextColumn("field", required=True, width=110),
                "type": st.column_config.SelectboxColumn("type", options=list(TYPES), required=True,
                                                         default="string", width=76),
                "required": st.column_config.CheckboxColumn("required", default=True, width=70),
                "description": st.column_config.TextColumn("description", width=140),
                "enum": st.column_config.TextColumn("enum", help="Values for a string field, separated by commas."),
            })
        closed_now = st.checkbox('"additionalProperties": false on every object', value=closed,
                                 key=f"{key}_closed")
        new_rows = [FieldRow(_text(r["field"]).strip(), _text(r["type"]) or "string",
                             bool(r["required"]) if r["required"] is not None else True,
                             _text(r["description"]), _text(r["enum"]))
                    for r in edited.to_dict("records")]
        try:
            new = to_schema(new_rows, closed_now)
        except TableError as e:
            st.error(f"{md_escape(e.message)} {md_escape(e.hint)} The JSON is unchanged until the table makes a "
                     "schema.", icon=":material/table_rows:")
            return
        if new != schema:
            _write(new)
            st.rerun()
