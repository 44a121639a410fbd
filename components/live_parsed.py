"""The Parsed panel while an answer streams: the partial object as it grows, keys appearing as the
model writes them. Validation waits for the end (``structured_output.workbench.partial`` says why)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from structured_output.workbench.partial import read_partial

LIVE_TITLE = "Parsed so far"


class LiveParsed:
    """A slot on the page that shows the partial value of the text streamed so far."""

    def __init__(self, slot: Any) -> None:
        self._slot = slot
        self.paints = 0

    def paint(self, text: str) -> None:
        partial = read_partial(text)
        with self._slot.container(border=True):
            st.markdown(f"**{LIVE_TITLE}**")
            if partial is None:
                st.caption("Not JSON so far: the answer does not start with `{` or `[`.")
                return
            n = partial.keys
            st.caption(f":blue[:material/stream:] {n} key{'s' if n != 1 else ''} so far; the answer is still "
                       "streaming. Validation runs once it is complete.")
            st.json(partial.value, expanded=True)
        self.paints += 1

    def clear(self) -> None:
        self._slot.empty()
