"""The batch page's widgets: where the rows come from, the template, the running job (progress and
Cancel, polled by a fragment), and the results (filters, table, summary charts, downloads).

A live batch runs in a background thread (``structured_output.runs.batch.BatchJob``) held in the session:
a click on Cancel reruns only the polling fragment, which sets the job's cancel event; rows already
done are kept and shown. A batch job (``structured_output.runs.batch_api``) runs on the service: the
page keeps only its id, lists the service's jobs so a reloaded page finds it again, polls its status,
and reads its output and error files into the same table.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from components import state
from structured_output.display import md_escape
from structured_output.errors import CallError
from structured_output.presets import Preset, load_presets, preset_to_request
from structured_output.request import MODE_LABELS, Request
from structured_output.runs import batch_api
from structured_output.runs.batch import (
    CORRECT_PREFIX,
    TEXT_COLUMN,
    BatchError,
    BatchItem,
    BatchJob,
    BatchOutcome,
    outcome_table,
    read_lines,
    read_rows,
    summary_table,
    to_csv,
    to_jsonl,
)
from structured_output.runs.batch_api import JobClient, JobInfo, JobResults
from structured_output.runs.batch_limits import LIMITS

POLL_S = 0.5
# what a reader scans first (did it work, why not), then the texts, then the figures; the downloads keep
# outcome_table's own order
# outcome_table's own order; the mode comes early so it is seen without scrolling sideways
TABLE_ORDER = ["row", "repeat", "mode", "verdict", "parsed_ok", "valid", "first_error", "input", "output",
               "latency_s", "input_tokens", "output_tokens", "model"]
LOCAL_JOB_POLL_S = 1.0
REMOTE_JOB_POLL_S = 30.0  # the reference suggests every 1-2 minutes; a remote list is cheap, not free
UPLOAD_TYPES = ["csv", "jsonl", "ndjson", "txt"]
PREVIEW_ROWS = 5


# ---------------------------------------------------------------- inputs

def rows_input() -> list[dict[str, str]]:
    """Pasted lines or an uploaded CSV/JSONL/text file. A bad file shows its ``BatchError`` and the rows
    read before stay; the rows in use are previewed."""
    ss = st.session_state
    source = st.radio("Inputs", ["paste", "upload"], key=state.BATCH_SOURCE, horizontal=True,
                      persist_state="session", format_func={"paste": "Paste lines", "upload": "Upload a file"}.get)
    if source == "paste":
        st.text_area("One input a line", key=state.BATCH_PASTE, height=140, persist_state="session",
                     placeholder="I am Alex Brown, 34 years old.\nMy name is Li Wei and I turned 20 last week.",
                     help=f"Each non-empty line is one row, in a column named `{TEXT_COLUMN}`.")
        rows = read_lines(ss[state.BATCH_PASTE])
        from_what = "pasted lines"
    else:
        upload = st.file_uploader("CSV (with a header), JSONL (one object a line) or text (one input a line)",
                                  type=UPLOAD_TYPES, key=state.BATCH_UPLOAD)
        if upload is not None and upload.file_id != ss[state.BATCH_FILE_SEEN]:
            ss[state.BATCH_FILE_SEEN] = upload.file_id
            try:
                ss[state.BATCH_ROWS] = read_rows(upload.getvalue(), upload.name)
                ss[state.BATCH_ROWS_FROM] = upload.name
                ss[state.BATCH_FILE_ERROR] = ""
            except BatchError as e:
                ss[state.BATCH_FILE_ERROR] = str(e)
        if ss[state.BATCH_FILE_ERROR]:
            kept = (f" The {len(ss[state.BATCH_ROWS])} rows of {md_escape(ss[state.BATCH_ROWS_FROM])} are kept."
                    if ss[state.BATCH_ROWS] else "")
            st.error(f"{md_escape(ss[state.BATCH_FILE_ERROR])}{kept}", icon=":material/error:")
        rows = ss[state.BATCH_ROWS]
        from_what = ss[state.BATCH_ROWS_FROM]
    if rows:
        columns = list(rows[0])
        st.caption(f"**{len(rows)} row{'s' if len(rows) != 1 else ''}** from {md_escape(from_what)} · columns: "
                   + ", ".join(f"`{md_escape(c)}`" for c in columns))
        st.dataframe(pd.DataFrame(rows[:PREVIEW_ROWS]), hide_index=True, width="stretch",
                     height=min(38 + 35 * min(len(rows), PREVIEW_ROWS), 215))
    return rows


@st.cache_resource(show_spinner=False)
def _presets() -> list[Preset]:
    return load_presets()


def template_input() -> tuple[Request | None, str]:
    """The request every row starts from: the playground's current state or a preset, at the sidebar's
    endpoint. Returns it and a one-line description."""
    ss = st.session_state
    src = st.radio("Template", ["playground", "preset"], key=state.BATCH_TEMPLATE_FROM, horizontal=True,
                   persist_state="session",
                   format_func={"playground": "The playground's current state", "preset": "A preset"}.get)
    if src == "playground":
        req = state.current_request()
    else:
        presets = {p.id: p for p in _presets()}
        if ss[state.BATCH_PRESET] not in presets:
            ss[state.BATCH_PRESET] = next(iter(presets))
        pid = st.selectbox("Preset", list(presets), key=state.BATCH_PRESET, persist_state="session",
                           format_func=lambda i: f"{presets[i].title} · {presets[i].section}")
        live = state.current_request()
        req = preset_to_request(presets[pid], live.endpoint, live.custom_base_url)
        req.protocol = live.protocol if live.endpoint == req.endpoint else req.protocol
    system = req.system_prompt.strip().splitlines()[0] if req.system_prompt.strip() else "(no system prompt)"
    st.caption(f"{md_escape(req.model)} · {MODE_LABELS.get(req.mode, req.mode)} · {md_escape(req.endpoint)}/"
               f"{md_escape(req.protocol)} · system: {md_escape(system[:90])}")
    return req, src


def fill_input(rows: list[dict[str, str]]) -> tuple[str | None, str | None]:
    """Which column fills the user message, or a ``{placeholder}`` template. Returns (column, template)."""
    ss = st.session_state
    how = st.radio("User message", ["column", "template"], key=state.BATCH_FILL, horizontal=True,
                   persist_state="session", format_func={"column": "A column", "template": "A template"}.get)
    columns = list(rows[0]) if rows else [TEXT_COLUMN]
    if how == "column":
        if ss[state.BATCH_COLUMN] not in columns:
            ss[state.BATCH_COLUMN] = columns[0]
        return st.selectbox("Column", columns, key=state.BATCH_COLUMN, persist_state="session"), None
    st.text_area("Template", key=state.BATCH_TEMPLATE, height=80, persist_state="session",
                 help="{column} is the row's value, put in as it is (no format specs); {{ and }} are literal braces.")
    return None, ss[state.BATCH_TEMPLATE]


# ---------------------------------------------------------------- the running job

def start(job: BatchJob) -> None:
    ss = st.session_state
    old: BatchJob | None = ss[state.BATCH_JOB]
    if old is not None and old.running:
        old.cancel()
    ss[state.BATCH_JOB] = job.start()


def _cancel() -> None:
    job: BatchJob | None = st.session_state[state.BATCH_JOB]
    if job is not None:
        job.cancel()


def job_progress() -> None:
    """Progress of the job, polled every half second while it runs; when it ends, the whole page reruns
    once to draw the results."""
    ss = st.session_state
    job: BatchJob | None = ss[state.BATCH_JOB]
    if job is None:
        return
    if job.finished:
        ss[state.BATCH_SHOWN] = job.id  # this full run draws the results below

    @st.fragment(run_every=POLL_S if job.running else None)
    def panel() -> None:
        if job.finished and ss[state.BATCH_SHOWN] != job.id:
            st.rerun(scope="app")
        done, total = job.progress()
        if job.running:
            what = "Cancelling: waiting for the rows in flight" if job.cancelled else "Running"
            col_bar, col_cancel = st.columns([5, 1], vertical_alignment="center")
            col_bar.progress(done / total if total else 1.0,
                             text=f"{what} · {done} of {total} rows done · {job.elapsed_s:.0f} s")
            col_cancel.button("Cancel", key=state.BATCH_CANCEL_BUTTON, icon=":material/stop:", on_click=_cancel,
                              disabled=job.cancelled, width="stretch")
            outs = job.outcomes()
            if outs:
                recent = outcome_table(outs[-3:])[["row", "repeat", "mode", "verdict", "latency_s", "first_error"]]
                st.dataframe(recent, hide_index=True, width="stretch")

    panel()


def outcomes_of(job: BatchJob) -> list[BatchOutcome]:
    return job.outcomes()


def job_status_line(job: BatchJob) -> None:
    """How the last batch ended."""
    done, total = job.progress()
    if job.error:
        st.error(f"The batch stopped after {done} of {total} rows: {md_escape(job.error)}. The rows done are "
                 "kept below.", icon=":material/error:")
    elif job.cancelled and done < total:
        st.warning(f"Cancelled after {done} of {total} rows ({job.elapsed_s:.0f} s). The rows done are kept.",
                   icon=":material/stop_circle:")
    else:
        st.success(f"{done} rows done in {job.elapsed_s:.0f} s.", icon=":material/check_circle:")


# ---------------------------------------------------------------- results

def _filtered(table: pd.DataFrame) -> pd.DataFrame:
    c1, c2, c3 = st.columns(3)
    verdicts = sorted(table["verdict"].unique())
    modes = sorted(table["mode"].unique())
    with c1:
        pick_v = st.multiselect("Verdict", verdicts, key=state.BATCH_FILTER_VERDICT, placeholder="all")
    with c2:
        pick_m = st.multiselect("Mode", modes, key=state.BATCH_FILTER_MODE, format_func=MODE_LABELS.get,
                                placeholder="all")
    with c3:
        pick_valid = st.segmented_control("Valid", ["yes", "no", "not checked"], key=state.BATCH_FILTER_VALID,
                                          selection_mode="multi")
    out = table
    if pick_v:
        out = out[out["verdict"].isin(pick_v)]
    if pick_m:
        out = out[out["mode"].isin(pick_m)]
    if pick_valid:
        label = out["valid"].map(lambda v: "not checked" if v is None or pd.isna(v) else ("yes" if v else "no"))
        out = out[label.isin(pick_valid)]
    return out


def _mode_label(mode: str) -> str:
    return MODE_LABELS.get(mode, mode)


def results(outs: list[BatchOutcome]) -> None:
    """Filters, the table of rows, the summary by model and mode with charts, and the downloads."""
    if not outs:
        st.caption("No row finished.")
        return
    table = outcome_table(outs)
    scored = [c for c in table.columns if c.startswith(CORRECT_PREFIX)]
    shown = _filtered(table)
    st.caption(f"{len(shown)} of {len(table)} rows shown."
               + (" **valid** says the output fits the schema; **correct** compares it with the rows' expected "
                  "values (same JSON type and value; text ignoring case and surrounding spaces)." if scored else ""))
    order = TABLE_ORDER[:6] + (["correct", *scored] if scored else []) + TABLE_ORDER[6:]
    st.dataframe(shown.assign(mode=shown["mode"].map(_mode_label))[order], hide_index=True, width="stretch",
                 height=min(38 + 35 * max(len(shown), 1), 420),
                 column_config={
                     "mode": st.column_config.TextColumn(pinned=True),  # its own width: "JSON Schema" whole
                     "row": st.column_config.NumberColumn(width="small", pinned=True),
                     "repeat": st.column_config.NumberColumn(width="small"),
                     "correct": st.column_config.CheckboxColumn("correct", width="small",
                                                                help="Every expected field right"),
                     **{c: st.column_config.CheckboxColumn(f"✓ {c.removeprefix(CORRECT_PREFIX)}", width="small",
                                                           help=f"{c.removeprefix(CORRECT_PREFIX)} as expected")
                        for c in scored},
                     "verdict": st.column_config.TextColumn(width="small"),
                     "first_error": st.column_config.TextColumn("first error", width="medium"),
                     "input": st.column_config.TextColumn(width="medium"),
                     "output": st.column_config.TextColumn(width="medium"),
                     "parsed_ok": st.column_config.CheckboxColumn("parsed", width="small"),
                     "valid": st.column_config.CheckboxColumn("valid", width="small"),
                     "latency_s": st.column_config.NumberColumn("latency (s)", format="%.2f"),
                     "input_tokens": st.column_config.NumberColumn("tokens in"),
                     "output_tokens": st.column_config.NumberColumn("tokens out"),
                 })
    col_csv, col_jsonl, _ = st.columns([1, 1, 3])
    col_csv.download_button("Download CSV", to_csv(table), "batch.csv", "text/csv", key="batch.download_csv",
                            icon=":material/download:", width="stretch", on_click="ignore")
    col_jsonl.download_button("Download JSONL", to_jsonl(table), "batch.jsonl", "application/jsonl",
                              key="batch.download_jsonl", icon=":material/download:", width="stretch",
                              on_click="ignore")
    summary(table)


def summary(table: pd.DataFrame) -> None:
    """Parse and validity rate by model and mode, and the latency distribution, as charts."""
    st.markdown("#### Summary by model and mode")
    s = summary_table(table)
    s["mode"] = s["mode"].map(_mode_label)
    s["group"] = s["model"] + " · " + s["mode"]
    correct = [c for c in s.columns if c.startswith("correct_rate")]
    percent = {c: st.column_config.ProgressColumn(
        "correct (all fields)" if c == "correct_rate" else f"✓ {c.removeprefix('correct_rate.')}",
        min_value=0.0, max_value=1.0, format="percent") for c in correct}
    st.dataframe(s[["model", "mode", "runs", "parsed_rate", "valid_rate", *correct, "median_latency_s"]],
                 hide_index=True, width="stretch", column_config={
                     "parsed_rate": st.column_config.ProgressColumn("parsed", min_value=0.0, max_value=1.0,
                                                                    format="percent"),
                     "valid_rate": st.column_config.ProgressColumn("valid", min_value=0.0, max_value=1.0,
                                                                   format="percent"),
                     **percent,
                     "median_latency_s": st.column_config.NumberColumn("median latency (s)", format="%.2f"),
                 })
    # "fit-x": the height is the plot's own, axes and legend come on top (Streamlit's default "fit"
    # squeezes them into it, which flattens a one-group chart to nothing)
    size = {"height": 30 + 44 * len(s), "autosize": alt.AutoSizeParams(type="fit-x", contains="padding")}
    col_rate, col_latency = st.columns(2, gap="large")
    with col_rate:
        st.markdown("**Parse, validity and correctness rate**" if "correct_rate" in s else
                    "**Parse and validity rate**")
        rated = ["parsed_rate", "valid_rate"] + (["correct_rate"] if "correct_rate" in s else [])
        rates = s.melt(id_vars="group", value_vars=rated, var_name="rate", value_name="share")
        rates["rate"] = rates["rate"].map({"parsed_rate": "parsed", "valid_rate": "valid", "correct_rate": "correct"})
        chart = alt.Chart(rates.dropna()).mark_bar().encode(
            x=alt.X("share:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"), title="share of rows"),
            y=alt.Y("group:N", title=None, axis=alt.Axis(labelLimit=260)),
            yOffset=alt.YOffset("rate:N"),
            color=alt.Color("rate:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=["group", "rate", alt.Tooltip("share:Q", format=".0%")])
        st.altair_chart(chart.properties(**size), width="stretch")
    with col_latency:
        st.markdown("**Latency distribution**")
        lat = table.assign(group=table["model"] + " · " + table["mode"].map(_mode_label)).dropna(subset=["latency_s"])
        if lat.empty:
            st.caption("No latency per row: a batch job's files do not time each request.")
            return
        y = alt.Y("group:N", title=None, axis=alt.Axis(labelLimit=260))
        box = alt.Chart(lat).mark_boxplot(extent="min-max", size=18, opacity=0.6).encode(
            x=alt.X("latency_s:Q", title="latency (s): min, quartiles, max; a tick per row"), y=y)
        ticks = alt.Chart(lat).mark_tick(thickness=1.5, size=22, color="#808080").encode(
            x="latency_s:Q", y=y, tooltip=["row", "repeat", "group", alt.Tooltip("latency_s:Q", format=".2f")])
        st.altair_chart((box + ticks).properties(**size), width="stretch")


# ---------------------------------------------------------------- a batch job on the service

def run_as_input(endpoint: str) -> str:
    """Live requests, or one job of the service's Batch API (offered where the endpoint has one)."""
    ss = st.session_state
    if not LIMITS.supports(endpoint):
        ss[state.BATCH_RUN_AS] = "live"
        st.caption(f":material/info: Live requests only: {md_escape(LIMITS.note(endpoint))}")
        return "live"
    return st.radio("Run as", ["live", "job"], key=state.BATCH_RUN_AS, horizontal=True, persist_state="session",
                    format_func={"live": "Live requests", "job": "A batch job"}.get,
                    help="Live: each row is a request now (tens of rows). A batch job: the rows go to the service "
                         "as one JSONL file and run there (thousands of rows; on DashScope at half the price, "
                         "within 24 h). The job keeps running when this page is closed.")


def _client(base: Request) -> JobClient:
    return JobClient(base, state.api_key_for(base.endpoint))


def start_remote(base: Request, items: list[BatchItem]) -> None:
    """Write, upload and create the job; the page then shows it (its id is all the session keeps)."""
    ss = st.session_state
    try:
        with _client(base) as client:
            info = batch_api.submit(client, items)
    except (BatchError, CallError) as e:
        ss[state.BATCH_REMOTE_ERROR] = _error_text(e)
        return
    ss[state.BATCH_REMOTE_ERROR] = ""
    ss[state.BATCH_REMOTE_ID] = ss[state.BATCH_REMOTE_PICK] = info.id
    ss[state.BATCH_REMOTE_RESULTS] = None


def _error_text(e: Exception) -> str:
    if isinstance(e, CallError):
        return f"{e.message} {e.hint}".strip()
    return str(e)


def _when(ts: int | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%m-%d %H:%M") if ts else "–"


def remote_jobs(base: Request) -> None:
    """The service's jobs (newest first): pick one to show it. A reloaded page finds its job here."""
    ss = st.session_state
    if ss[state.BATCH_REMOTE_ERROR]:
        st.error(md_escape(ss[state.BATCH_REMOTE_ERROR]), icon=":material/error:")
    try:
        with _client(base) as client:
            jobs = client.list()
    except CallError as e:
        st.caption(f":material/cloud_off: The service's jobs could not be listed: {md_escape(_error_text(e))}")
        return
    if not jobs:
        st.caption("No batch jobs on this service yet.")
        return
    by_id = {j.id: j for j in jobs}
    if ss[state.BATCH_REMOTE_PICK] not in by_id:
        ss[state.BATCH_REMOTE_PICK] = ss[state.BATCH_REMOTE_ID] if ss[state.BATCH_REMOTE_ID] in by_id else jobs[0].id
    col_pick, col_open, col_refresh = st.columns([4, 1, 1], vertical_alignment="bottom")
    # the label stays the same while a job runs (a changing label is not redrawn for the picked option);
    # its status is the line under the list
    pick = col_pick.selectbox(
        f"Batch jobs on this service ({len(jobs)} newest)", list(by_id), key=state.BATCH_REMOTE_PICK,
        format_func=lambda i: " · ".join(x for x in (i, by_id[i].metadata.get("model", ""),
                                                     f"created {_when(by_id[i].created_at)}") if x))
    if col_open.button("Open", key=state.BATCH_REMOTE_OPEN_BUTTON, icon=":material/open_in_new:", width="stretch",
                       disabled=pick == ss[state.BATCH_REMOTE_ID]):
        ss[state.BATCH_REMOTE_ID] = pick
        ss[state.BATCH_REMOTE_RESULTS] = None
        st.rerun()
    col_refresh.button("Refresh", key=state.BATCH_REMOTE_REFRESH_BUTTON, icon=":material/refresh:", width="stretch")
    picked = by_id[pick]
    others = sum(1 for j in jobs if not j.finished)
    st.caption(f"{md_escape(pick)}: {picked.status.replace('_', ' ')} · {picked.done} of {picked.total} rows done"
               + (f" · {picked.failed} refused or failed" if picked.failed else "")
               + (f" · {others} job{'s' if others != 1 else ''} of this list still running" if others else "")
               + (" · shown below" if pick == ss[state.BATCH_REMOTE_ID] else " · Open shows it"))


def remote_progress(base: Request) -> None:
    """The shown job's status, polled while it runs (Cancel beside it); once it ends, its files are read
    and the whole page reruns once to draw the results."""
    ss = st.session_state
    job_id = ss[state.BATCH_REMOTE_ID]
    if job_id is None:
        return
    done_id = (ss[state.BATCH_REMOTE_RESULTS] or (None,))[0]
    every = LOCAL_JOB_POLL_S if base.endpoint == "local" else REMOTE_JOB_POLL_S

    @st.fragment(run_every=every if done_id != job_id else None)
    def panel() -> None:
        try:
            with _client(base) as client:
                info = client.retrieve(job_id)
                if info.finished and done_id != job_id:
                    ss[state.BATCH_REMOTE_RESULTS] = (job_id, info, _read(client, info, base))
                    st.rerun(scope="app")
        except (CallError, BatchError) as e:
            st.error(f"Job {md_escape(job_id)}: {md_escape(_error_text(e))}", icon=":material/error:")
            return
        if info.finished:
            return
        _level, text = batch_api.status_line(info)
        col_bar, col_cancel = st.columns([5, 1], vertical_alignment="center")
        col_bar.progress(info.done / info.total if info.total else 0.0, text=md_escape(text))
        if col_cancel.button("Cancel job", key=state.BATCH_REMOTE_CANCEL_BUTTON, icon=":material/stop:",
                             disabled=info.status == "cancelling", width="stretch"):
            try:
                with _client(base) as client:
                    client.cancel(job_id)
            except CallError as e:
                st.error(md_escape(_error_text(e)), icon=":material/error:")

    panel()


def _read(client: JobClient, info: JobInfo, base: Request) -> JobResults:
    """The job's rows from its input file, and their answers from its output and error files."""
    items = batch_api.items_from_input(client.content(info.input_file_id), base,
                                       batch_api.load_sidecar(info.id))
    output = client.content(info.output_file_id) if info.output_file_id else None
    errors = client.content(info.error_file_id) if info.error_file_id else None
    return batch_api.read_results(items, output, errors, state.api_key_for(base.endpoint))


def remote_results() -> None:
    """How the shown job ended, and its rows in the same table, summary and charts as a live batch."""
    ss = st.session_state
    shown = ss[state.BATCH_REMOTE_RESULTS]
    if shown is None or shown[0] != ss[state.BATCH_REMOTE_ID]:
        return
    _id, info, res = shown
    st.markdown("#### Results")
    level, text = batch_api.status_line(info)
    extra = ""
    if res.not_run:
        extra += f" {len(res.not_run)} row{'s' if len(res.not_run) != 1 else ''} did not run."
    if res.problems:
        extra += f" {len(res.problems)} result line(s) could not be read: {'; '.join(res.problems[:3])}."
    box = {"success": st.success, "warning": st.warning, "error": st.error, "info": st.info}[level]
    box(md_escape(text + extra), icon={"success": ":material/check_circle:", "warning": ":material/warning:",
                                       "error": ":material/error:", "info": ":material/info:"}[level])
    results(res.outcomes)
