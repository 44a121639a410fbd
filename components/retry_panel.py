"""Retry on validation failure in the playground: the switch (off by default) and the number of
attempts, running through ``structured_output.runs.retries`` on the one road, and the attempts listed
under the result with their verdicts and what the retries cost.

Model output is untrusted: it is shown in code blocks and tables only.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import results, state
from structured_output.display import md_escape
from structured_output.request import MODE_LABELS, Request
from structured_output.runs.history import HistoryEntry
from structured_output.runs.retries import DEFAULT_ATTEMPTS, MAX_ATTEMPTS, MIN_ATTEMPTS, RetryRun, run_with_retries

ss = st.session_state
HELP = ("When the answer does not parse or does not match the schema, send it back with the errors and ask "
        "again, as libraries such as Instructor do, up to this many calls in all. Each attempt is a run of its "
        "own in the history. JSON Schema mode constrains the answer instead, so it needs none.")


def retry_controls() -> None:
    """The switch and the number of attempts (in the Parameters box)."""
    st.toggle("Retry on validation failure", key=state.WB_RETRY, help=HELP, persist_state="session")
    if ss[state.WB_RETRY]:
        st.number_input("Attempts in all", min_value=MIN_ATTEMPTS, max_value=MAX_ATTEMPTS, step=1,
                        key=state.WB_RETRY_ATTEMPTS, persist_state="session")
        schema = state.current_request().schema()
        if schema is None:
            st.caption(":orange[:material/info:] No schema in the editor: only an answer that is not JSON is retried.")


def attempts_for(entry_id: int | None) -> RetryRun | None:
    return ss[state.WB_RETRIES].get(entry_id)


def run(req: Request, api_key: str | None) -> HistoryEntry | None:
    """Run ``req`` as the Run button does: once, or with retries when the switch is on; the final
    attempt's history entry (what the result panels show)."""
    if not ss[state.WB_RETRY]:
        return results.run_with_progress(req, api_key).entry
    n = int(ss[state.WB_RETRY_ATTEMPTS] or DEFAULT_ATTEMPTS)
    lines = st.empty()
    done: list[str] = []

    def watcher(i: int) -> results.PageWatcher:
        return results.PageWatcher(f"Attempt {i} of at most {n} · {md_escape(req.model)} · {MODE_LABELS[req.mode]}…")

    def heard(a: object) -> None:
        done.append(f"Attempt {a.number}: **{md_escape(a.verdict)}**")  # type: ignore[attr-defined]
        lines.caption(" · ".join(done))

    out = run_with_retries(results.road(), req, api_key, n, watcher, heard)
    lines.empty()
    final = out.final.entry
    if final is not None:
        ss[state.WB_RETRIES][final.id] = out
    return final


def attempts_view(entry: HistoryEntry) -> None:
    """The attempts behind this run (nothing when it was not retried)."""
    out = attempts_for(entry.id)
    if out is None:
        return
    with st.container(border=True, key="wb_attempts"):
        icon = ":green[:material/check_circle:]" if out.final.passed else ":red[:material/cancel:]"
        st.markdown(f"**Retry on validation failure** {icon} {md_escape(out.summary())}")
        rows = [{"attempt": a.number, "verdict": a.verdict,
                 "errors": len(a.result.validation.errors) if a.result.validation is not None else None,
                 "tokens in": a.result.usage.input_tokens, "tokens out": a.result.usage.output_tokens,
                 "latency (s)": round(a.result.latency_s, 2) if a.result.latency_s is not None else None,
                 "history run": a.entry.id if a.entry is not None else None} for a in out.attempts]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        for a, after in zip(out.attempts, [*out.attempts[1:], None], strict=True):
            with st.expander(f"Attempt {a.number}: {a.verdict}"):
                st.caption("The answer")
                st.code(a.result.content or "(no content)", language=None, wrap_lines=True)
                if after is not None:
                    st.caption("Sent back with it, as the next user turn")
                    st.code(after.request.followups[-1]["content"], language=None, wrap_lines=True)
        if out.calls > 1 and entry.request.mode != "json_schema":
            st.caption("JSON Schema mode constrains the answer as it is written, so it needs no retries: the "
                       "reference's opening claim. Compare puts the two side by side.")
