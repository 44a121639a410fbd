"""Running a request with live output, and the three result panels: raw, parsed, validation.

Model output is untrusted text: it only ever appears in code blocks, ``st.json`` or tables, and
anything that goes into Markdown passes through ``md_escape`` first.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import streamlit as st

from components import connection, state, token_view
from structured_output.display import MARK_CLOSE, MARK_OPEN, error_excerpt, md_escape, pretty_raw, run_facts
from structured_output.errors import CallError
from structured_output.local import EngineStatus
from structured_output.output_notes import describe_output
from structured_output.request import MODE_LABELS, Request
from structured_output.result import RunResult
from structured_output.runs.history import HistoryEntry
from structured_output.runs.service import Run, RunService, RunWatcher

PANEL_HEIGHT = 430
STREAM_REFRESH_S = 0.05  # at most 20 screen updates a second, however fast the tokens come


# ---------------------------------------------------------------- running (the one road, with progress)

def road(*, record: bool = True) -> RunService:
    """The domain's one road for this session: this app server's local engine, this session's history
    (``record=False``: not recorded, as for batch rows)."""
    return RunService(engine=connection.local_engine(), history=state.history() if record else None)


class PageWatcher(RunWatcher):
    """Shows a run on the page: a status box while the local engine starts, a spinner during the call,
    the output as it streams (``live``) and a line per retry."""

    def __init__(self, spinner: str, *, live: bool = True) -> None:
        self.spinner = spinner
        self.live = live
        self._box: Any = None
        self._tail: Any = None
        self._out: Any = None
        self._notes: Any = None
        self._parts: list[str] = []
        self._last_paint = 0.0

    def engine_waiting(self, status: EngineStatus) -> None:
        if self._box is None:
            self._box = st.status("Waiting for the local engine…", expanded=True)
            self._tail = self._box.empty()
        took = f" {status.elapsed_s:.0f} s" if status.elapsed_s is not None else ""
        self._box.update(label=f"Waiting for the local engine…{took}")
        self._tail.caption(md_escape(status.reason))

    def engine_waited(self, status: EngineStatus) -> None:
        if self._box is not None:
            self._box.update(label="Local engine ready" if status.ready else "Local engine not ready",
                             state="complete" if status.ready else "error", expanded=not status.ready)

    @contextlib.contextmanager
    def running(self, req: Request) -> Iterator[None]:
        self._out = st.empty()
        self._notes = st.empty()
        try:
            with st.spinner(self.spinner, show_time=True):
                yield
        finally:
            self._out.empty()
            self._notes.empty()

    def delta(self, text: str) -> None:
        if not self.live or self._out is None:
            return
        self._parts.append(text)
        now = time.monotonic()
        if now - self._last_paint >= STREAM_REFRESH_S:
            self._out.code("".join(self._parts), language=None, wrap_lines=True)
            self._last_paint = now

    def retry(self, attempt: int, delay_s: float, err: CallError) -> None:
        if self._notes is not None:
            wait = f" in {delay_s:.1f} s" if delay_s else ""
            self._notes.caption(f":material/replay: Retry {attempt}{wait} ({md_escape(err.kind)})")


def wait_for_local_engine(service: RunService | None = None) -> CallError | None:
    """Start the local engine if needed and wait for it with visible progress (the batch page waits once
    before its job starts); an error if it never gets ready."""
    return (service or road()).wait_for_engine(PageWatcher(""))


def run_with_progress(req: Request, api_key: str | None, service: RunService | None = None) -> Run:
    """Run ``req`` on the one road, recorded in the history; the output streams into the page."""
    watcher = PageWatcher(f"Running {md_escape(req.model)} · {MODE_LABELS[req.mode]}…")
    run = (service or road()).run(req, api_key, watcher)
    err = run.result.error
    if req.endpoint == "custom" and (err is None or err.kind not in ("connection", "timeout")):
        connection.note_custom_url_used(req.custom_base_url)  # it answered: worth offering again
    return run


# ---------------------------------------------------------------- showing

def error_box(err: CallError) -> None:
    """The failure in plain words, the server's own message, and what to do."""
    head = f"HTTP {err.status}" if err.status else err.kind.replace("_", " ").capitalize()
    if err.kind == "unsupported":
        head += " · not supported by this server"
    code = f" · {md_escape(err.code)}" if err.code else ""
    st.error(f"**{head}{code}**: {md_escape(err.message)}", icon=":material/error:")
    st.info(md_escape(err.hint), icon=":material/lightbulb:")
    extra = []
    if err.request_id:
        extra.append(f"request id {md_escape(err.request_id)}")
    if err.retries:
        extra.append(f"after {err.retries} retr{'y' if err.retries == 1 else 'ies'}")
    if extra:
        st.caption(" · ".join(extra))


def raw_panel(result: RunResult) -> None:
    st.markdown("**Raw response**")
    what = f"{len(result.raw)} stream chunks, as received" if isinstance(result.raw, list) else "as received"
    rid = f" · request id `{result.request_id}`" if result.request_id and "`" not in result.request_id else ""
    st.caption(what + rid)
    if result.raw is None:
        st.caption("Nothing was received.")
    else:
        st.code(pretty_raw(result.raw), language="json", wrap_lines=True)


def parsed_panel(result: RunResult) -> None:
    st.markdown("**Parsed result**")
    p = result.parse
    if p is None:
        st.caption("No output to parse.")
        return
    if p.ok:
        st.caption(":green[:material/check_circle:] Strict `json.loads` succeeded.")
        output_notes(result)
        st.json(p.value, expanded=True)
        return
    if result.content is None:
        st.error("The response has no content.", icon=":material/block:")
        return
    output_notes(result)
    where = f" at line {p.line}, column {p.column}" if p.line else ""
    st.error(f"Not valid JSON{where}: {md_escape(p.error)}", icon=":material/data_object:")
    st.code(error_excerpt(result.content, p.line, p.column, width=48), language=None, wrap_lines=True)
    st.caption(f"{MARK_OPEN}…{MARK_CLOSE} marks where the parser stopped.")
    if p.lenient_ok:
        st.info(f"A lenient reader would have found JSON ({md_escape(p.lenient_method)}):",
                icon=":material/healing:")
        st.json(p.lenient_value, expanded=True)
    else:
        st.caption("A lenient reader finds no JSON in it either.")
    with st.expander("The whole output, as text"):
        st.code(result.content, language=None, line_numbers=True, wrap_lines=True)


def output_notes(result: RunResult) -> None:
    """What the answer holds besides the JSON (empty, padded, fenced): one line each."""
    for note in describe_output(result.content, result.parse):
        st.caption(f":orange[:material/info:] {md_escape(note.text)}")


def validation_panel(result: RunResult, request: Request) -> None:
    st.markdown("**Validation**")
    v = result.validation
    if v is None:
        st.caption("Nothing to validate: the output did not parse." if result.parse is not None
                   else "Nothing to validate.")
        return
    if not v.checked:
        if request.schema_text.strip() and request.schema() is None:
            st.warning("The schema in the editor is not a JSON object, so the output was not validated.",
                       icon=":material/rule:")
        elif request.schema() is None:
            st.info("No schema in the editor, so nothing to validate against. In JSON Object mode, paste the "
                    "schema you expect: the reference advises validating the output before using it.",
                    icon=":material/rule:")
        else:
            st.warning(md_escape(v.note), icon=":material/rule:")
        return
    sent = "sent as response_format" if request.mode == "json_schema" else "from the editor, not sent in this mode"
    if v.valid:
        st.success("**Valid against the schema**", icon=":material/verified:")
        st.caption(f"jsonschema with format checks; schema {sent}.")
        return
    n = len(v.errors)
    st.error(f"**{n} validation error{'s' if n != 1 else ''}**", icon=":material/rule:")
    st.caption(f"jsonschema with format checks; schema {sent}. The full table is below the panels.")
    for row in v.errors:
        st.markdown(f"**{md_escape(row.path)}** {md_escape(row.message)}  \n"
                    f":gray[:small[{md_escape(row.keyword)} · {md_escape(row.schema_path)}]]")


def validation_table(result: RunResult) -> None:
    """Every validation error as a pandas table (path, message, keyword, schema path), full width."""
    v = result.validation
    if v is None or not v.errors:
        return
    table = pd.DataFrame([{"path": r.path, "message": r.message, "keyword": r.keyword, "schema path": r.schema_path}
                          for r in v.errors])
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"message": st.column_config.TextColumn(width="large")})


def facts_line(result: RunResult) -> None:
    """Usage, latency, TTFT, finish reason, served-by and retries in one row under the panels."""
    st.markdown(" &nbsp;·&nbsp; ".join(f":gray[{label}] **{md_escape(value)}**" for label, value in run_facts(result)))


def result_view(entry: HistoryEntry, key: str = "result") -> None:
    """One run in full: error or the three panels side by side, then the figures.

    ``key`` names the panel containers (``{key}_raw`` …) so several views can share a page.
    """
    r = entry.result
    st.caption(f"Run {md_escape(entry.label)}")
    if r.error is not None:
        error_box(r.error)
        if r.raw is not None:
            with st.expander("Raw response", expanded=True):
                st.code(pretty_raw(r.raw), language="json", wrap_lines=True)
        if r.content:
            with st.expander("Output received before the error", expanded=True):
                st.code(r.content, language=None, wrap_lines=True)
        facts_line(r)
        return
    if r.truncated:
        st.warning("**The output was cut off** (finish reason `length`): the token limit ended it before the "
                   "JSON closed. The reference's *Going live* advice: leave `max_tokens` unset with structured "
                   "output.", icon=":material/content_cut:")
    col_raw, col_parsed, col_valid = st.columns([5, 4, 4])  # raw JSON needs the width most
    with col_raw, st.container(height=PANEL_HEIGHT, border=True, key=f"{key}_raw"):
        raw_panel(r)
    with col_parsed, st.container(height=PANEL_HEIGHT, border=True, key=f"{key}_parsed"):
        parsed_panel(r)
    with col_valid, st.container(height=PANEL_HEIGHT, border=True, key=f"{key}_validation"):
        validation_panel(r, entry.request)
    facts_line(r)
    if entry.request.logprobs:
        with st.container(border=True, key=f"{key}_tokens"):
            st.markdown("**Tokens**")
            token_view.token_panel(r, entry.request, key)
    validation_table(r)
    if r.reasoning:
        with st.expander("Reasoning (thinking output)"):
            st.code(r.reasoning, language=None, wrap_lines=True)
