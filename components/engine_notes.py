"""What the local engine did beyond the model, said beside the result: the keys it steered a JSON Object
answer towards (read from the instruction, so a misread such as "unit price" → ``unit`` is visible as the
engine's, not the model's) and the text its OCR read from the images (the small model reads no pixels).
Nothing is shown for other servers: only the local engine sends these headers."""

from __future__ import annotations

import streamlit as st

from structured_output.display import md_escape
from structured_output.result import EngineNotes, RunResult


def engine_notes(result: RunResult, key: str = "result", compact: bool = False) -> None:
    """``compact``: folded in one expander, for a narrow Compare column."""
    notes = result.engine
    if not notes:
        return
    with st.container(key=f"{key}_engine_notes"):
        if compact:
            with st.expander("What the local engine did", icon=":material/alt_route:"):
                _notes(notes, inside_expander=True)
            return
        _notes(notes)


def _notes(notes: EngineNotes, inside_expander: bool = False) -> None:
    if notes.steered_keys:
        keys = ", ".join(f"`{k}`" for k in notes.steered_keys if "`" not in k)
        st.info(f"**The local engine steered the keys**: {keys}. It read these field names from the "
                "instruction and nudged the model towards them; a key your instruction meant differently "
                "is the engine's reading, not the model's. A hosted model reads the instruction itself.",
                icon=":material/alt_route:")
    if notes.ocr_note or notes.ocr_text:
        label = "The local engine read the image text by OCR: the model was given this text"
        if inside_expander:  # Streamlit does not nest expanders
            st.markdown(f":material/document_scanner: **{label}**")
            _ocr(notes)
        else:
            with st.expander(label, icon=":material/document_scanner:"):
                _ocr(notes)


def _ocr(notes: EngineNotes) -> None:
    if notes.ocr_note:
        st.caption(md_escape(notes.ocr_note[0].upper() + notes.ocr_note[1:]) + ".")
    st.code(notes.ocr_text or "(no text found)", language=None, wrap_lines=True)
