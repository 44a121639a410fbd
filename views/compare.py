"""Compare: one input run side by side in 2 to 4 columns, across modes (none / JSON Object / JSON
Schema) or across models and endpoints. The plain column shows why structured output exists; the
parsed results are compared field by field. Widgets and layout only."""

import streamlit as st

from components import compare_view, editors, findings, params, picker, retry_panel, state, validation_choice
from structured_output.display import md_escape
from structured_output.lint import lint
from structured_output.request import MODE_LABELS, MODES
from structured_output.runs.compare import (
    MAX_COLUMNS,
    MIN_COLUMNS,
    RETRIES_LABEL,
    across_modes,
    across_targets,
    letter,
)
from structured_output.runs.retries import MAX_ATTEMPTS, MIN_ATTEMPTS

ss = st.session_state
for text_key in state.EDITOR_KEYS:
    editors.sync(text_key)

st.markdown("### :material/compare_arrows: Compare")
st.caption("One input, run side by side: in each mode, or on several models and endpoints. The input is the "
           "playground's: edits here change it there too. Columns run one after another.")

across = st.radio("Compare across", ["modes", "targets"], key=state.CMP_ACROSS, horizontal=True,
                  persist_state="session", format_func={"modes": "Modes", "targets": "Models and endpoints"}.get)

col_prompts, col_schema = st.columns(2, gap="large")
for local_key, shared_key in state.CMP_MIRRORS:
    state.mirror_in(local_key, shared_key)
with col_prompts:
    if across == "modes":
        picker.model_picker(ss[state.ENDPOINT], key=state.CMP_MODEL, custom_key=state.CMP_CUSTOM_MODEL)
    else:
        picker.mode_picker(key=state.CMP_MODE, name_key=state.CMP_SCHEMA_NAME, strict_key=state.CMP_STRICT)
    st.markdown("**System prompt**")
    editors.ace_editor(state.SYSTEM_PROMPT, min_lines=2, max_lines=6)
    st.markdown("**User message**")
    editors.ace_editor(state.USER_TEXT, min_lines=3, max_lines=8)
with col_schema:
    st.markdown("**JSON Schema**")
    st.caption("Sent in JSON Schema mode and validated against there; in the other modes, the playground's "
               "*Validate against* choice (below) applies.")
    mode_for_lint = "json_schema" if across == "modes" else ss[state.MODE]
    schema_lint = findings.editor_schema_lint(ss[state.SCHEMA_TEXT], mode_for_lint, ss[state.STRICT])
    editors.ace_editor(state.SCHEMA_TEXT, language="json", min_lines=8, max_lines=14,
                       annotations=editors.annotations_for(schema_lint))
    findings.schema_findings(schema_lint, ss[state.SCHEMA_TEXT], mode_for_lint)
    validation_choice.validate_against("json_object")  # the playground's choice, shared
    st.toggle("Token view (logprobs)", key=state.CMP_LOGPROBS, help=params.LOGPROBS_HELP)

for local_key, shared_key in state.CMP_MIRRORS:
    state.mirror_out(local_key, shared_key)

base = state.current_request()
extras = [f"{len(base.images)} image{'s' if len(base.images) != 1 else ''}" if base.images else "",
          f"temperature {base.temperature}" if base.temperature is not None else "",
          f"max_tokens {base.max_tokens}" if base.max_tokens is not None else "",
          f"schema name {md_escape(base.schema_name)}, strict {'on' if base.strict else 'off'}"]
st.caption("Also from the playground: " + " · ".join(e for e in extras if e) + ". Streaming is off here.")

columns, problem = [], ""
if across == "modes":
    modes = st.pills("Modes to run", MODES, selection_mode="multi", key=state.CMP_MODES, persist_state="session",
                     format_func=MODE_LABELS.get) or []
    col_toggle, col_attempts = st.columns([2, 1], vertical_alignment="center")
    col_toggle.toggle(f"Add a “{RETRIES_LABEL}” column", key=state.CMP_RETRIES, help=retry_panel.HELP,
                      persist_state="session")
    retries = 0
    if ss[state.CMP_RETRIES]:
        retries = int(col_attempts.number_input("Attempts in all", min_value=MIN_ATTEMPTS, max_value=MAX_ATTEMPTS,
                                                key=state.CMP_RETRY_ATTEMPTS, persist_state="session"))
    chosen = [m for m in MODES if m in modes]
    n_cols = len(chosen) + (1 if retries else 0)
    if n_cols < MIN_COLUMNS:
        problem = "Pick a mode to set beside the retries column." if retries else "Pick at least two modes."
    elif n_cols > MAX_COLUMNS:
        problem = f"At most {MAX_COLUMNS} columns: drop a mode or the retries column."
    else:
        columns = across_modes(base, chosen, retries)
else:
    n = st.radio("Columns", range(MIN_COLUMNS, MAX_COLUMNS + 1), key=state.CMP_N_TARGETS, horizontal=True,
                 persist_state="session")
    st.caption("API keys come from the sidebar: the DashScope key for every DashScope region, the typed custom "
               "key for a custom URL.")
    targets = []
    for i, slot in enumerate(st.columns(n, border=True)):
        with slot:
            targets.append(compare_view.target_picker(i))
    columns = across_targets(base, targets)

for i, column in enumerate(columns):
    blocking = [f for f in lint(column.request) if f.blocking]
    if blocking and not problem:
        problem = f"Column {letter(i)}: {blocking[0].message}"

col_run, col_why = st.columns([1, 5], vertical_alignment="center")
clicked = col_run.button(f"Run {len(columns) or ''} columns", type="primary", icon=":material/play_arrow:",
                         key=state.CMP_RUN_BUTTON, disabled=bool(problem), width="stretch")
col_why.caption(f":red[Run is disabled:] {md_escape(problem)}" if problem
                else " · ".join(f"{letter(i)} {md_escape(c.label)}" for i, c in enumerate(columns)))

if clicked:
    ss[state.CMP_RESULTS] = compare_view.run_columns(columns)

if ss[state.CMP_RESULTS]:
    st.markdown("#### Results")
    compare_view.columns_view(ss[state.CMP_RESULTS])
