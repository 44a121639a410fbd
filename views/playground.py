"""The playground: pick a model and a mode, edit prompts and schema, add images, run, and read the
raw response, the parsed result and the validation side by side. Widgets and layout only: every
decision is made in ``structured_output``."""

import streamlit as st

from components import (
    code_export,
    connection,
    editors,
    error_pointer,
    field_table_editor,
    findings,
    history_panel,
    images,
    keyword_table,
    params,
    picker,
    results,
    retry_panel,
    run_bar,
    schema_example,
    share_panel,
    state,
    validation_choice,
    video_input,
)
from structured_output.catalog import load_catalog
from structured_output.display import md_escape
from structured_output.lint import lint
from structured_output.request import MODE_LABELS

ss = st.session_state
for text_key in state.EDITOR_KEYS:
    editors.sync(text_key)  # lint below must see what was just typed

validation_choice.follow_schema_name()  # before the schema name widget: the name follows the schema
run_bar.install()

st.markdown("### :material/data_object: Structured output playground")

col_model, col_mode = st.columns(2, gap="large")
with col_model:
    model = picker.model_picker(ss[state.ENDPOINT])
with col_mode:
    mode = picker.mode_picker()

col_prompts, col_schema = st.columns(2, gap="large")
with col_prompts:
    st.markdown("**System prompt**")
    editors.ace_editor(state.SYSTEM_PROMPT, placeholder="Instructions for the model, e.g. …return it in JSON format.",
                       min_lines=3, max_lines=8)
    st.markdown("**User message**")
    editors.ace_editor(state.USER_TEXT, placeholder="The text the model works on.", min_lines=4, max_lines=10)
with col_schema:
    st.markdown("**JSON Schema**")
    schema_example.schema_from_example()
    schema_lint = findings.editor_schema_lint(ss[state.SCHEMA_TEXT], mode, ss[state.STRICT])
    pointed = error_pointer.schema_marks(ss[state.SCHEMA_TEXT])  # the validation error picked below the result
    editors.ace_editor(state.SCHEMA_TEXT, language="json", min_lines=10, max_lines=16,
                       annotations=editors.annotations_for(schema_lint) + pointed)
    validation_choice.validate_against(mode)
    findings.schema_findings(schema_lint, ss[state.SCHEMA_TEXT], mode)
    field_table_editor.field_table()
    keyword_table.keyword_caption(ss[state.SCHEMA_TEXT], ss[state.ENDPOINT], ss[state.CUSTOM_SERVER] or "")
keyword_table.keyword_table(ss[state.SCHEMA_TEXT], ss[state.ENDPOINT], ss[state.CUSTOM_SERVER] or "")

col_images, col_params = st.columns(2, gap="large")
with col_images, st.container(border=True):
    st.markdown("**Images**")
    images.image_input()
    if model.vision or ss[state.VIDEO] is not None:  # video is for multimodal models
        st.markdown("**Video**")
        video_input.video_input()
    images.media_note()
with col_params, st.container(border=True):
    st.markdown("**Parameters**")
    params.parameters(model, mode)
    retry_panel.retry_controls()

request = state.current_request()
state.save_draft()  # the editors survive a reload and a restart
found = lint(request)
findings.findings_list(findings.not_about_the_schema(found))
connection.server_mode_note(request.mode)
blocking = [f for f in found if f.blocking]

with run_bar.bar():
    col_run, col_why = st.columns([1, 5], vertical_alignment="center")
    clicked = col_run.button("Run", type="primary", icon=":material/play_arrow:", key=state.RUN_BUTTON,
                             disabled=bool(blocking), width="stretch", help=run_bar.SHORTCUT_HINT)
    if blocking:
        col_why.caption(f":red[Run is disabled:] {md_escape(blocking[0].message)}")
    else:
        endpoint = load_catalog().endpoint(request.endpoint)
        checked = ("not validated" if request.validation_schema() is None else
                   "validated against the sent schema" if request.mode == "json_schema" else
                   "validated against the editor's schema")
        col_why.caption(f"{md_escape(request.model)} · {endpoint.label} · {request.protocol} · "
                        f"{MODE_LABELS[request.mode]} · {checked} · :gray[{run_bar.SHORTCUT_HINT}]")

with st.expander("Code for this request", icon=":material/code:"):
    code_export.code_export(request)

if clicked:
    run_bar.anchor(run_bar.RUN_ANCHOR)
    run_bar.bring_into_view(state.history().next_id, run_bar.RUN_ANCHOR)  # the stages, while it runs
    entry = retry_panel.run(request, state.api_key())  # once, or with retries when that is on
    if entry is not None:
        ss[state.CURRENT] = entry.id
        ss[state.HISTORY_PICK] = entry.id

current = state.history().get(ss[state.CURRENT])
if current is not None:
    run_bar.anchor()
    col_head, col_layout = st.columns([3, 1], vertical_alignment="bottom")
    col_head.markdown("#### Result")
    with col_layout:
        results.layout_toggle()
    keyword_table.unenforced_notice(current.result)
    retry_panel.attempts_view(current)
    results.result_view(current)
    if clicked:
        run_bar.bring_into_view(current.id)
share_panel.share_panel(current)

st.markdown("#### History")
history_panel.history_panel()
