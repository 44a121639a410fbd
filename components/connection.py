"""The sidebar: where requests go (endpoint, protocol, key) and how the local engine is doing."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import streamlit as st

from components import state
from structured_output.catalog import load_catalog, local_engine_port
from structured_output.display import md_escape
from structured_output.local import EngineStatus, LocalEngine, autostart_enabled, progress_line, shared_engine
from structured_output.network import is_loopback
from structured_output.servers import (
    KnownServer,
    ModelList,
    guess_server,
    known_server,
    known_servers,
    list_models,
    remember_url,
)

PROTOCOL_LABELS = {"compatible": "OpenAI-compatible", "native": "DashScope native"}


@st.cache_resource(show_spinner=False)
def _engine_for_port(port: int) -> LocalEngine:
    return shared_engine(port)


def local_engine() -> LocalEngine:
    """The one engine supervisor of this app server (per port), shared by every browser session."""
    return _engine_for_port(local_engine_port())


def connection_settings() -> None:
    """Endpoint, protocol, custom URL and API key widgets; they write straight into the state."""
    catalog = load_catalog()
    endpoints = {e.id: e for e in catalog.endpoints}
    st.selectbox("Endpoint", list(endpoints), key=state.ENDPOINT, format_func=lambda i: endpoints[i].label,
                 persist_state="session",
                 help="Where requests go. The local engine runs offline on this machine with a small model "
                      "that really enforces JSON and JSON Schema.")
    endpoint = endpoints[st.session_state[state.ENDPOINT]]
    if endpoint.id == "custom":
        custom_url_settings()
    if len(endpoint.protocols) > 1:
        st.radio("Protocol", endpoint.protocols, key=state.PROTOCOL, horizontal=True, persist_state="session",
                 format_func=PROTOCOL_LABELS.get,
                 help="OpenAI-compatible goes through the openai SDK; DashScope native through the dashscope SDK.")
    else:
        st.caption("Protocol: OpenAI-compatible (the only one this endpoint speaks).")
    if endpoint.id != "local":
        _api_key(endpoint.id)


def custom_url_settings() -> None:
    """The base URL, the recent ones to pick from, and which known server it is (its documented support)."""
    ss = st.session_state
    st.text_input("Base URL", key=state.CUSTOM_URL, placeholder="http://localhost:11434/v1",
                  persist_state="session",
                  help="Any OpenAI-compatible server: vLLM, SGLang, Ollama, llama.cpp's llama-server, LM Studio, "
                       "llama-cpp-python's server, OpenAI. Usually ends in /v1.")
    recent = [u for u in ss.get(state.RECENT_URLS) or [] if u != ss[state.CUSTOM_URL].strip().rstrip("/")]
    if recent:
        st.selectbox("Recent URLs", recent, index=None, key=state.RECENT_PICK, placeholder="Pick a recent URL",
                     on_change=_take_recent_url,
                     help="Custom URLs used lately, kept in your data folder without keys or credentials.")
    url = ss[state.CUSTOM_URL].strip()
    if not url:
        return
    servers = {s.id: s for s in known_servers()}
    guessed_for = f"{state.CUSTOM_SERVER}.__for_url"
    if ss.get(guessed_for) != url:  # a new URL: guess its server again (the user's pick holds until then)
        guess = guess_server(url)
        ss[state.CUSTOM_SERVER] = guess.id if guess else None
        ss[guessed_for] = url
    st.selectbox("Server", list(servers), key=state.CUSTOM_SERVER, index=None, format_func=lambda i: servers[i].label,
                 placeholder="Which server is it?",
                 help="Shows what that server's documentation says it supports (guessed from the port when only "
                      "one known server uses it).")
    server = servers.get(ss.get(state.CUSTOM_SERVER) or "")
    if server is not None:
        server_support(server)


def _take_recent_url() -> None:
    ss = st.session_state
    picked = ss.get(state.RECENT_PICK)
    if picked:
        ss[state.CUSTOM_URL] = picked
    ss[state.RECENT_PICK] = None


SUPPORT_MARK = {"yes": ":green[yes]", "no": ":red[no]", "undocumented": ":gray[not documented]"}


def server_support(server: KnownServer) -> None:
    """The server's documented support for the two modes and logprobs, with its sources."""
    rows = " · ".join(f"{label} {SUPPORT_MARK[server.supports(feature)]}" for feature, label in
                      (("json_object", "JSON Object"), ("json_schema", "JSON Schema"), ("logprobs", "logprobs")))
    st.caption(f"{md_escape(server.label)}, as its docs say: {rows}")
    with st.expander("What its docs say"):
        st.caption(md_escape(server.note))
        if server.observed:
            st.caption(f"Seen here: {md_escape(server.observed)}")
        st.caption("Sources: " + " · ".join(f"[{md_escape(urlsplit(u).netloc)}]({u})" for u in server.sources))


def server_mode_note(mode: str) -> None:
    """Above Run: the picked custom server's docs say it does not take this mode (it can still be sent)."""
    ss = st.session_state
    if ss.get(state.ENDPOINT) != "custom" or mode not in ("json_object", "json_schema"):
        return
    server = known_server(ss.get(state.CUSTOM_SERVER) or "")
    if server is not None and server.supports(mode) == "no":
        st.warning(f"{md_escape(server.label)}: its docs say it does not take response_format type `{mode}`. "
                   "Sending it shows the server's own answer.", icon=":material/dns:")


def custom_models(url: str) -> ModelList | None:
    """What ``GET /models`` of the custom URL answered, asked once a session per URL (Refresh asks again)."""
    ss = st.session_state
    url = url.strip().rstrip("/")
    if not re.match(r"^https?://\S+$", url):
        return None
    cache: dict[str, ModelList] = ss[state.CUSTOM_MODELS]
    key = state.api_key_for("custom")
    entry = _models_cache_key(url, key)  # a key typed after a 401 asks again; the key itself is not kept
    if entry not in cache:
        cache[entry] = list_models(url, key)
        if cache[entry].error is None:
            note_custom_url_used(url)
    return cache[entry]


def _models_cache_key(url: str, key: str | None) -> str:
    return f"{url} (with a key)" if key else url


def refresh_custom_models() -> None:
    url = st.session_state[state.CUSTOM_URL].strip().rstrip("/")
    for key in (None, "k"):
        st.session_state[state.CUSTOM_MODELS].pop(_models_cache_key(url, key), None)


def note_custom_url_used(url: str) -> None:
    """Remember ``url`` (session and data folder) once the server has answered; never with credentials."""
    ss = st.session_state
    ss[state.RECENT_URLS] = remember_url(url, ss.get(state.RECENT_URLS) or [])


def _api_key(endpoint_id: str) -> None:
    source = state.key_source()
    label = "API key (optional)" if endpoint_id == "custom" else "DashScope API key"
    st.text_input(label, key=state.KEY_INPUT, type="password", on_change=state.take_typed_key,
                  placeholder="sk-…", autocomplete="off",
                  help="Kept in this browser session's memory only: never shown again, never written to disk, "
                       "never put in the history, presets or logs.")
    if source == "typed":
        col1, col2 = st.columns([3, 2], vertical_alignment="center")
        col1.caption(":material/key: A typed key is set for this session.")
        col2.button("Forget", on_click=state.forget_typed_key, key="conn.forget_key", width="stretch")
    elif source == "environment":
        st.caption(f":material/key: Using `{state.KEY_ENV}` from the environment (type a key to override it).")
    elif endpoint_id == "custom":
        st.caption("No key: sent without one (the DashScope key is never sent to a custom URL).")
    else:
        st.warning(f"No key yet: set `{state.KEY_ENV}` before starting the app, or type it above. "
                   "Keys are per region.", icon=":material/key_off:")


# ---------------------------------------------------------------- local engine status

def engine_status() -> None:
    """The local engine's state; polls every second while it starts, then stops polling."""
    engine = local_engine()
    first = engine.ensure_started(restart_failed=False) if autostart_enabled() else engine.status()

    @st.fragment(run_every=1.0 if first.state == "starting" else None)
    def panel() -> None:
        status = engine.status()
        if status.state != first.state:
            st.rerun(scope="app")  # the page (Run button hints, polling) follows the new state
        _render_status(engine, status)

    panel()


def _render_status(engine: LocalEngine, s: EngineStatus) -> None:
    where = f"{engine.host}:{engine.port}"
    if s.state == "ready":
        who = "" if s.owned else " (reused)"
        st.success(f"Local engine ready{who} · `{where}`", icon=":material/check_circle:")
        return
    if s.state == "starting":
        took = f" · {s.elapsed_s:.0f} s" if s.elapsed_s is not None else ""
        with st.status(f"Local engine starting{took}…", state="running", expanded=True):
            st.text(s.reason or "launching")  # the engine's latest log line, as plain text
            st.caption("The first start assembles and loads the model; later starts take seconds.")
        return
    if s.state == "failed":
        st.error(f"Local engine failed: {md_escape(s.reason)}", icon=":material/error:")
        if s.log_tail:
            with st.expander("Engine log (last lines)"):
                st.code("\n".join(progress_line(line) for line in s.log_tail), language=None, wrap_lines=True)
        if not s.port_conflict:
            st.button("Restart the local engine", on_click=engine.restart, key="conn.engine_restart",
                      icon=":material/restart_alt:", width="stretch")
        return
    note = "" if autostart_enabled() else " Automatic start is off (SOP_LOCAL_ENGINE_AUTOSTART=0)."
    st.info(f"Local engine not running.{note} It starts on the first Run.", icon=":material/power_settings_new:")
    st.button("Start the local engine", on_click=engine.ensure_started, key="conn.engine_start",
              icon=":material/play_arrow:", width="stretch")


def network_warning() -> None:
    """Warn when the app listens beyond this machine while it holds the environment's key: every visitor
    can then spend that key (``bash scripts/run.sh`` listens on 127.0.0.1 unless told ``--network``)."""
    address = st.get_option("server.address")
    if state.environment_key() and not is_loopback(address):
        # inside a code span Markdown escapes show as backslashes; the address is the operator's setting
        where = f"`{address.replace('`', '')}`" if address else "every network interface"
        st.warning(f"This app listens on {where} and uses `{state.KEY_ENV}` from its environment: anyone who "
                   "can reach it can spend that key. Start it with `bash scripts/run.sh` (127.0.0.1 only) "
                   "unless you mean to share it.", icon=":material/public:")


def sidebar() -> None:
    """Everything the sidebar shows; ``app.py`` calls it for every page."""
    with st.sidebar:
        network_warning()
        st.subheader("Connection")
        connection_settings()
        if st.session_state[state.ENDPOINT] == "local":
            engine_status()
