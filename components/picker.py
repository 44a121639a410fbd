"""Model picker with capability badges, and the mode radio with the JSON Schema name and ``strict``.

Keys are parameters (defaulting to the playground's) so the compare page can put several pickers
side by side.
"""

from __future__ import annotations

import streamlit as st

from components import connection, state
from structured_output.catalog import ModelInfo, load_catalog
from structured_output.display import md_escape
from structured_output.request import MODE_LABELS, MODES
from structured_output.servers import ModelList


def model_options(current: str, endpoint_id: str) -> list[str]:
    """The catalog's models (the local engine's own model first when it is the target), plus ``current``."""
    catalog = load_catalog()
    names = ([catalog.local_model] if endpoint_id == "local" else []) + catalog.model_names
    if current and current not in names:
        names.append(current)
    return names


def model_picker(endpoint_id: str, key: str = state.MODEL, custom_key: str = state.CUSTOM_MODEL) -> ModelInfo:
    """A catalog select box (any name can be typed), or free text for a custom server; shows badges."""
    catalog = load_catalog()
    ss = st.session_state
    if endpoint_id == "custom" and custom_key == state.CUSTOM_MODEL:
        listed = connection.custom_models(ss[state.CUSTOM_URL])
        if listed is not None and listed.ids and not (ss.get(custom_key) or "").strip():
            ss[custom_key] = listed.ids[0]  # before the field is drawn: a server's first model, ready to run
    if endpoint_id == "custom":
        st.text_input("Model", key=custom_key, placeholder="e.g. llama3.2, gpt-4o-mini, Qwen/Qwen3-8B",
                      persist_state="session", help="The model name exactly as the custom server knows it.")
        name = ss[custom_key]
        if custom_key == state.CUSTOM_MODEL:
            listed_models(connection.custom_models(ss[state.CUSTOM_URL]))
    else:
        st.selectbox("Model", model_options(ss[key], endpoint_id), key=key, accept_new_options=True,
                     persist_state="session",
                     help="Models the structured-output reference names; type any other name to try it. "
                          "The local engine answers every name with its own small model and applies that "
                          "model's documented rules.")
        name = ss[key] or ""
    info = catalog.model(name)
    model_badges(info)
    return info


def listed_models(listed: ModelList | None) -> None:
    """The models the custom server lists (GET /models), to pick from; or why they could not be listed."""
    if listed is None:
        return
    col_pick, col_refresh = st.columns([5, 1], vertical_alignment="bottom")
    if listed.error is not None:
        col_pick.caption(f":orange[:material/list:] Could not list this server's models: "
                         f"{md_escape(listed.error.message)} {md_escape(listed.error.hint)}")
    elif listed.ids:
        col_pick.selectbox(f"Models this server lists ({len(listed.ids)})", listed.ids, index=None,
                           key=state.CUSTOM_MODEL_PICK, placeholder="Pick one to use it", on_change=_take_listed_model,
                           help="From the server's GET /models, through the openai SDK's client.models.list().")
    else:
        col_pick.caption("This server lists no models (GET /models is empty); type the name it expects.")
    col_refresh.button("", icon=":material/refresh:", key="req.custom_models_refresh", help="List the models again",
                       on_click=connection.refresh_custom_models)


def _take_listed_model() -> None:
    ss = st.session_state
    if ss.get(state.CUSTOM_MODEL_PICK):
        ss[state.CUSTOM_MODEL] = ss[state.CUSTOM_MODEL_PICK]
    ss[state.CUSTOM_MODEL_PICK] = None


_BADGE = {  # status → icon, colour
    "listed": (":material/check:", "green"),
    "refused": (":material/close:", "gray"),
    "not_listed": (":material/help:", "gray"),
}


def model_badges(info: ModelInfo) -> None:
    """What the reference says the model can do, at a glance (green listed, grey refused, ? not listed),
    and under it the catalog rule the name matched and why."""
    with st.container(horizontal=True, gap="small"):
        for mode, label in (("json_object", "JSON Object"), ("json_schema", "JSON Schema")):
            support = info.support(mode)
            icon, color = _BADGE[support.status]
            st.badge(label, icon=icon, color=color, help=support.reason + (f' — the reference: "{support.quote}"'
                                                                           if support.quote else ""))
        if info.vision:
            st.badge("vision", icon=":material/image:", color="blue")
        if info.thinking == "optional":
            st.badge("thinking switch", icon=":material/psychology:", color="violet",
                     help=f"Listed for structured output in {info.condition}." if info.condition else None)
        elif info.thinking == "always":
            st.badge("thinking only", icon=":material/psychology:", color="orange",
                     help="Always thinks: structured output is not available in thinking mode.")
        if not info.covered:
            st.badge("not in the reference", icon=":material/help:", color="gray", help=info.note or None)
    if info.covered and info.name:
        rule = md_escape(info.explain())
        condition = (f" The reference lists it for structured output in {md_escape(info.condition)}."
                     if info.condition and info.thinking == "optional" else "")
        st.caption(f":material/route: {rule}.{condition}")
    if info.note and info.known:
        st.caption(md_escape(info.note))


def mode_picker(key: str = state.MODE, name_key: str = state.SCHEMA_NAME, strict_key: str = state.STRICT) -> str:
    """None / JSON Object / JSON Schema; the schema name and ``strict`` appear for JSON Schema."""
    st.radio("Mode", MODES, key=key, horizontal=True, format_func=MODE_LABELS.get, persist_state="session",
             help='JSON Object: any valid JSON (the prompt must say "JSON"). JSON Schema: output that follows '
                  "the schema in the editor.")
    mode = st.session_state[key]
    if mode == "json_schema":
        col1, col2 = st.columns([3, 2], vertical_alignment="bottom")
        col1.text_input("Schema name", key=name_key, persist_state="session", help="json_schema.name")
        col2.toggle("strict", key=strict_key, persist_state="session",
                    help="json_schema.strict: ask the server to follow the schema exactly.")
    return mode
