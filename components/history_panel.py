"""The session's runs: a table, reopen one into the editors, compare the outputs of two."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import state
from structured_output.diff import diff_table, json_diff, text_diff
from structured_output.display import dash_or_text
from structured_output.runs.history import History, HistoryEntry


def _reopen(entry_id: int) -> None:
    entry = state.history().get(entry_id)
    if entry is not None:
        state.load_request(entry.request, origin=f"run #{entry.id}")
        st.session_state[state.CURRENT] = entry_id


def _show(entry_id: int) -> None:
    st.session_state[state.CURRENT] = entry_id


def _pick(label: str, key: str, h: History, default_index: int) -> HistoryEntry:
    ids = [e.id for e in h.entries]
    if st.session_state.get(key) not in ids:
        st.session_state[key] = ids[min(default_index, len(ids) - 1)]
    labels = {e.id: e.label for e in h.entries}
    entry_id = st.selectbox(label, ids, key=key, format_func=labels.get)
    entry = h.get(entry_id)
    assert entry is not None
    return entry


def _clear() -> None:
    state.clear_saved()


def history_panel() -> None:
    h = state.history()
    if h.store_error:
        st.warning(f"Runs are kept for this session only: {h.store_error}", icon=":material/database:")
    if not len(h):
        st.caption("Every run is listed here, to reopen or compare. Runs and the editors are kept on this "
                   "machine (SQLite in your data folder, never the API key) and come back after a reload.")
        return
    table = pd.DataFrame(h.rows())
    for col in table.columns[table.isna().any()]:  # a failed run has no tokens: a dash, not "None"; one type a
        table[col] = [dash_or_text(v) for v in table[col]]  # column, as Arrow (st.dataframe) needs
    st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * len(h), 250))
    col1, col2, col3 = st.columns([4, 2, 2], vertical_alignment="bottom")
    with col1:
        entry = _pick("Run", state.HISTORY_PICK, h, 0)
    col2.button("Reopen in the editors", key="run.reopen", on_click=_reopen, args=(entry.id,),
                icon=":material/edit_note:", width="stretch",
                help="Load this run's model, mode, prompts, schema, images and parameters back into the editors.")
    col3.button("Show its result", key="run.show", on_click=_show, args=(entry.id,), icon=":material/visibility:",
                width="stretch")
    where = f" ({h.store.path})" if h.store is not None else ""
    st.button("Clear the history", key=state.HISTORY_CLEAR, on_click=_clear, icon=":material/delete_sweep:",
              type="tertiary", help=f"Delete every kept run and the kept editors from this machine{where}. "
                                    "The editors on the page stay as they are.")
    if len(h) >= 2:
        with st.expander("Compare two runs", icon=":material/compare_arrows:"):
            compare_runs(h)


def compare_runs(h: History) -> None:
    """Two outputs side by side, then what differs: key by key when both parsed, line by line otherwise."""
    col_a, col_b = st.columns(2)
    with col_a:
        a = _pick("Run A", state.COMPARE_A, h, 1)
        st.code(a.output_text(), language=None, wrap_lines=True)
    with col_b:
        b = _pick("Run B", state.COMPARE_B, h, 0)
        st.code(b.output_text(), language=None, wrap_lines=True)
    pa, pb = a.result.parse, b.result.parse
    if pa is not None and pa.ok and pb is not None and pb.ok:
        rows = json_diff(pa.value, pb.value)
        if not rows:
            st.success("The two parsed results are identical.", icon=":material/check:")
        else:
            st.markdown(f"**{len(rows)} difference{'s' if len(rows) != 1 else ''}** (A → B)")
            st.dataframe(pd.DataFrame(diff_table(rows)), hide_index=True, width="stretch")
        return
    diff = text_diff(a.output_text(), b.output_text(), f"run {a.id}", f"run {b.id}")
    if diff:
        st.code(diff, language="diff")
    else:
        st.success("The two outputs are identical.", icon=":material/check:")
