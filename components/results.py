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

from components import connection, engine_notes, error_pointer, live_parsed, state, token_view
from structured_output.clients import NOT_CHOSEN
from structured_output.display import MARK_CLOSE, MARK_OPEN, error_excerpt, md_escape, pretty_raw, run_facts
from structured_output.errors import CallError
from structured_output.local import EngineStatus
from structured_output.output_notes import describe_output
from structured_output.request import MODE_LABELS, Request
from structured_output.result import RunResult
from structured_output.runs.history import HistoryEntry
from structured_output.runs.service import Run, RunService, RunWatcher

LAYOUTS = {"side": "Side by side", "tabs": "Tabs"}
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
        self._live: live_parsed.LiveParsed | None = None  # the partial object beside the streamed text
        self._parts: list[str] = []
        self._last_paint = 0.0
        self._started = 0.0
        self._stage: Any = None
        self._stage_line: Any = None

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
        """The stages of the call in a status box: sent (and, for images on the local engine, read by OCR
        first), then decoding with the tokens so far, so a 30 s run is never a bare spinner. A streamed
        answer shows beside its text the partial object read so far (``live_parsed``)."""
        self._started = time.monotonic()
        self._stage = st.status(self.spinner, expanded=self.live)
        first = ("Sent; waiting for the first token" +
                 (" (the local engine reads the images by OCR and builds the prompt first)"
                  if req.endpoint == "local" and (req.images or req.video is not None) else "") + "…")
        with self._stage:
            self._stage_line = st.empty()
            self._stage_line.caption(first if req.stream else
                                     "Sent without streaming: the whole answer comes at the end.")
            if self.live and req.stream:
                col_text, col_parsed = st.columns([5, 4])
                self._out = col_text.empty()
                self._live = live_parsed.LiveParsed(col_parsed.empty())
            else:
                self._out = st.empty()
            self._notes = st.empty()
            try:
                with st.spinner("Running…", show_time=True):
                    yield
            finally:
                self._out.empty()
                if self._live is not None:
                    self._live.clear()
                self._notes.empty()
        self._stage.empty()

    def delta(self, text: str) -> None:
        if not self.live or self._out is None:
            return
        self._parts.append(text)
        now = time.monotonic()
        if now - self._last_paint >= STREAM_REFRESH_S:
            self._out.code("".join(self._parts), language=None, wrap_lines=True)
            took = now - self._started
            n = len(self._parts)
            self._stage_line.caption(f"Decoding: {n} piece{'s' if n != 1 else ''} so far (about a token each on "
                                     f"the local engine) · {took:.0f} s")
            if self._live is not None:
                self._live.paint("".join(self._parts))
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
    """The answer's exact text first (what the code will read), the raw response under it, collapsed."""
    st.markdown("**Output**")
    rid = f" · request id `{result.request_id}`" if result.request_id and "`" not in result.request_id else ""
    if result.content is None:
        st.caption("No answer text." + rid)
    else:
        st.caption(f"The answer's text exactly as received ({len(result.content)} characters){rid}")
        st.code(result.content or " ", language=None, wrap_lines=True)
    what = f"{len(result.raw)} stream chunks, as received" if isinstance(result.raw, list) else "as received"
    if result.raw is None:
        st.caption("Nothing was received.")
        return
    with st.expander(f"Raw response: {what}", icon=":material/data_array:"):
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


def validation_panel(result: RunResult, request: Request, *, table_below: bool = True) -> None:
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
        elif v.note == NOT_CHOSEN:
            st.info(md_escape(v.note) + " Pick *the editor's schema* above Run to check it.",
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
    st.caption(f"jsonschema with format checks; schema {sent}."
               + (" The full table is below the panels." if table_below else ""))
    for row in v.errors:
        st.markdown(f"**{md_escape(row.path)}** {md_escape(row.message)}  \n"
                    f":gray[:small[{md_escape(where_in_schema(row.keyword, row.schema_path))}]]")


def where_in_schema(keyword: str, schema_path: str) -> str:
    """``keyword · schema path``, the keyword once when the path is only that keyword (at the root)."""
    return schema_path if schema_path == keyword or schema_path.endswith("/" + keyword) else \
        f"{keyword} · {schema_path}"


def validation_table(result: RunResult, key: str | None = None) -> None:
    """Every validation error as a pandas table (path, message, keyword, schema path), full width; with a
    ``key`` a row can be selected, which points at that error (``components.error_pointer``)."""
    v = result.validation
    if v is None or not v.errors:
        return
    table = pd.DataFrame([{"path": r.path, "message": r.message, "keyword": r.keyword, "schema path": r.schema_path}
                          for r in v.errors])
    st.dataframe(table, hide_index=True, width="stretch", key=key, on_select="rerun" if key else "ignore",
                 selection_mode="single-row",
                 column_config={"message": st.column_config.TextColumn(width="large")})


def facts_line(result: RunResult) -> None:
    """Usage, latency, TTFT, finish reason, served-by and retries in one row under the panels."""
    st.markdown(" &nbsp;·&nbsp; ".join(f":gray[{label}] **{md_escape(value)}**" for label, value in run_facts(result)))


def layout_toggle() -> None:
    """Side by side (the lesson: raw, parsed and validation at a glance) or tabs (long answers)."""
    st.segmented_control("Panels", list(LAYOUTS), key=state.RESULT_LAYOUT, format_func=LAYOUTS.get,
                         label_visibility="collapsed", width="content")


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
    engine_notes.engine_notes(r, key)
    # No fixed-height boxes: a scroll box inside the page's scroll hides half a tree. Side by side, or one
    # panel a tab at full width when the answer is long.
    if st.session_state.get(state.RESULT_LAYOUT, "side") == "tabs":
        tab_out, tab_parsed, tab_valid = st.tabs(["Output", "Parsed result", "Validation"])
        places = (tab_out, tab_parsed, tab_valid)
    else:
        places = tuple(st.columns([4, 5, 4]))  # the tree needs the width most (keys and emails whole)
    with places[0], st.container(border=True, key=f"{key}_raw"):
        raw_panel(r)
    with places[1], st.container(border=True, key=f"{key}_parsed"):
        parsed_panel(r)
    with places[2], st.container(border=True, key=f"{key}_validation"):
        validation_panel(r, entry.request)
    facts_line(r)
    if entry.request.logprobs:
        with st.container(border=True, key=f"{key}_tokens"):
            st.markdown("**Tokens**")
            token_view.token_panel(r, entry.request, key)
    validation_table(r, state.errors_table_key(key, entry.id))
    error_pointer.pointed_view(entry, key)
    if r.reasoning:
        with st.expander("Reasoning (thinking output)"):
            st.code(r.reasoning, language=None, wrap_lines=True)
