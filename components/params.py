"""Sampling and output parameters: temperature, max_tokens (with the "Going live" warning), thinking, stream."""

from __future__ import annotations

import streamlit as st

from components import state
from structured_output.catalog import ModelInfo
from structured_output.tokens import TOP_LOGPROBS

THINKING_LABELS = {"default": "server default", "on": "on", "off": "off"}
LOGPROBS_HELP = (f"Sends logprobs: true and top_logprobs: {TOP_LOGPROBS}, and shows the answer token by token with "
                 "its probability and alternatives. On the local engine it also shows what the grammar did to "
                 "each token. Not part of the exported code.")


def parameters(info: ModelInfo, mode: str) -> None:
    """Unset parameters are not sent, so the server's defaults apply (as in the reference's examples)."""
    col1, col2 = st.columns(2)
    with col1:
        st.checkbox("Set temperature", key=state.SET_TEMPERATURE, persist_state="session")
        if st.session_state[state.SET_TEMPERATURE]:
            st.slider("temperature", 0.0, 2.0, step=0.05, key=state.TEMPERATURE, persist_state="session",
                      label_visibility="collapsed")
    with col2:
        st.checkbox("Set max_tokens", key=state.SET_MAX_TOKENS, persist_state="session")
        if st.session_state[state.SET_MAX_TOKENS]:
            st.number_input("max_tokens", 1, 32768, step=16, key=state.MAX_TOKENS, persist_state="session",
                            label_visibility="collapsed")
    if st.session_state[state.SET_MAX_TOKENS] and mode != "none":
        st.warning("**Going live:** leave `max_tokens` unset with structured output. A limit can cut the JSON "
                   "off before it closes, and the output will not parse.", icon=":material/content_cut:")
    if info.thinking == "optional" or not info.known:
        st.radio("Thinking (enable_thinking)", state.THINKING_CHOICES, key=state.THINKING, horizontal=True,
                 format_func=THINKING_LABELS.get, persist_state="session",
                 help="Server default: the parameter is not sent. Structured output is not supported in "
                      "thinking mode.")
    elif info.thinking == "always":
        st.caption(":material/psychology: This model always thinks.")
    else:
        st.caption("This model has no thinking mode.")
    st.toggle("Stream the output", key=state.STREAM, persist_state="session",
              help="Show the answer as it arrives; also measures the time to the first token.")
    st.toggle("Token view (logprobs)", key=state.LOGPROBS, persist_state="session",
              help=LOGPROBS_HELP)
