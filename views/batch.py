"""Batch: many inputs through one template (the playground's state or a preset), run live (a progress bar
and Cancel) or as one job of the service's Batch API (found again from the service after a reload), then a
filterable table, a summary by model and mode, and downloads. Widgets and layout only."""

import streamlit as st

from components import batch_panel, connection, results, state
from structured_output.display import md_escape
from structured_output.lint import lint
from structured_output.request import MODE_LABELS, MODES
from structured_output.runs.batch import (
    LIVE_MAX_RUNS,
    BatchError,
    BatchJob,
    build_grid,
    expected_fields,
    template_fields,
)
from structured_output.runs.batch_api import job_file
from structured_output.runs.batch_limits import LIMITS

REMOTE_MAX_CONCURRENCY = 8

ss = st.session_state
st.markdown("### :material/table_rows: Batch")
st.caption("Many inputs through one template: how often does the output parse and validate, in which mode, "
           "on which model? Repeat one input to expose flaky output.")

col_rows, col_template = st.columns(2, gap="large")
with col_rows, st.container(border=True):
    rows = batch_panel.rows_input()
with col_template, st.container(border=True):
    base, _ = batch_panel.template_input()
    column, template = batch_panel.fill_input(rows)
    modes = st.pills("Modes", MODES, selection_mode="multi", key=state.BATCH_MODES, persist_state="session",
                     format_func=MODE_LABELS.get,
                     help=f"Every row runs in each mode picked. None picked: the template's mode "
                          f"({MODE_LABELS.get(base.mode, base.mode)}).") or []
    col_repeat, col_concurrency = st.columns([1, 2], vertical_alignment="bottom")
    repeat = col_repeat.number_input("Repeat each row", 1, 100, key=state.BATCH_REPEAT, persist_state="session",
                                     help="Run every row this many times, to see how often the output breaks.")
    run_as = batch_panel.run_as_input(base.endpoint)
    with col_concurrency:
        if run_as == "job":
            concurrency = 1
            st.caption(":material/cloud_upload: One file, one job: the service runs the rows at its own pace.")
        elif base.endpoint == "local":
            concurrency = 1
            st.caption(":material/memory: One row at a time: the local engine serves one request at a time.")
        else:
            concurrency = st.slider("Requests at once", 1, REMOTE_MAX_CONCURRENCY, key=state.BATCH_CONCURRENCY,
                                    persist_state="session",
                                    help="Bounded so a remote endpoint is not flooded (429).")

items, problem = [], ""
if not rows:
    problem = "No inputs yet: paste lines or upload a file."
else:
    try:
        items = build_grid(base, rows, modes=[m for m in MODES if m in modes], column=column, template=template,
                           repeat=int(repeat))
    except BatchError as e:
        problem = str(e)
if run_as == "job" and (note := LIMITS.model_note(base.endpoint, base.model)):
    st.warning(md_escape(note), icon=":material/warning:")
if template is not None and not problem and not template_fields(template):
    st.warning("The template has no `{placeholder}`: every row sends the same message.", icon=":material/warning:")
blocking = [f for f in lint(items[0].request) if f.blocking] if items else []
problem = problem or (blocking[0].message if blocking else "")
fields: list[str] = []
if rows and not problem:
    try:
        fields = expected_fields(rows)
    except BatchError as e:
        problem = str(e)
if run_as == "live" and len(items) > LIVE_MAX_RUNS and not problem:
    problem = (f"{len(items)} runs is more than {LIVE_MAX_RUNS} live requests; run them as a batch job (Run as) "
               "or split the rows.")
if run_as == "job" and items and not problem:
    try:
        job_file(items)  # the service's limits, checked before anything is sent
    except BatchError as e:
        problem = str(e)

job: BatchJob | None = ss[state.BATCH_JOB]
running = job is not None and job.running
col_run, col_why = st.columns([1.6, 4.4] if run_as == "job" else [1, 5], vertical_alignment="center")
run_label = f"Run {len(items)} row{'s' if len(items) != 1 else ''}" if items else "Run"
if run_as == "job":
    run_label = f"Start a job of {len(items)} row{'s' if len(items) != 1 else ''}" if items else "Start a job"
clicked = col_run.button(run_label, type="primary", icon=":material/play_arrow:", key=state.BATCH_RUN_BUTTON,
                         disabled=bool(problem) or running, width="stretch")
if problem:
    col_why.caption(f":red[Run is disabled:] {md_escape(problem)}")
elif items:
    n_modes = len({i.request.mode for i in items})
    col_why.caption(f"{len(rows)} input{'s' if len(rows) != 1 else ''} × {n_modes} mode{'s' if n_modes != 1 else ''}"
                    f" × {repeat} repeat{'s' if repeat != 1 else ''} · {md_escape(base.model)} · "
                    + ("as one batch job (OpenAI-compatible)" if run_as == "job" else f"{concurrency} at a time")
                    + (f" · correctness scored on {', '.join(f'`{md_escape(f)}`' for f in fields)}" if fields else ""))

if clicked:
    err = results.wait_for_local_engine() if base.endpoint == "local" else None
    if err is not None:
        results.error_box(err)
    elif run_as == "job":
        batch_panel.start_remote(base, items)
        st.rerun()  # the job shows in the list and its progress below
    else:
        batch_panel.start(BatchJob(items, state.api_key_for(base.endpoint), concurrency=concurrency,
                                   engine=connection.local_engine()))
        st.rerun()  # draw the page with the job running (Run disabled, progress polling)

if run_as == "job":
    with st.container(border=True):
        batch_panel.remote_jobs(base)
        batch_panel.remote_progress(base)
    batch_panel.remote_results()
else:
    batch_panel.job_progress()
    job = ss[state.BATCH_JOB]
    if job is not None and job.finished:
        st.markdown("#### Results")
        batch_panel.job_status_line(job)
        batch_panel.results(batch_panel.outcomes_of(job))
