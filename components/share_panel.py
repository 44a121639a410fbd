"""Share a run: download it as one JSON file, open such a file again (the run and its editors come
back), and a link whose query parameter carries the request, opened when the page loads.

The file's content and the link are made by ``structured_output.workbench.share`` (never the key);
this widget moves them between the page, the state and the history.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from components import state
from structured_output.display import md_escape
from structured_output.lint import lint
from structured_output.runs.history import HistoryEntry
from structured_output.runs.retries import Attempt, RetryRun
from structured_output.workbench.share import (
    LINK_PARAM,
    SharedRun,
    ShareError,
    dumps,
    from_link,
    read_run_file,
    run_file,
    to_link,
)

ss = st.session_state


def _notice(level: str, text: str) -> None:
    ss[state.WB_SHARE_NOTICE] = (level, text)


def open_from_link() -> None:
    """At the top of the playground, before any widget: a ``?run=`` link not yet opened in this session
    loads its request into the editors."""
    query = st.query_params.get(LINK_PARAM)
    if not query or ss.get(state.WB_LINK_SEEN) == query:
        return
    ss[state.WB_LINK_SEEN] = query
    try:
        req = from_link(query)
    except ShareError as e:
        _notice("error", f"The link could not be opened: {e.message} {e.hint}")
        return
    state.load_request(req)
    _notice("success", "Opened the request from the link: model, mode, prompts, schema and parameters. Run it to "
                       "see its answer (a link carries no answer; a shared file does).")


def _reopen(shared: SharedRun) -> None:
    """The shared request into the editors, and every attempt into the history (the last one shown)."""
    state.load_request(shared.request)
    history = state.history()
    entries = [history.add(a.request, a.result) for a in shared.attempts]
    final = entries[-1]
    if len(entries) > 1:
        ss[state.WB_RETRIES][final.id] = RetryRun(max(2, len(entries)), [
            Attempt(i + 1, a.request, a.result, e) for i, (a, e) in enumerate(zip(shared.attempts, entries,
                                                                                 strict=True))])
    ss[state.CURRENT] = final.id
    ss[state.HISTORY_PICK] = final.id
    n = len(entries)
    _notice("success", f"Opened the shared run: its request is in the editors and its {n} attempt"
                       f"{'s are' if n != 1 else ' is'} in the history (run #{final.id} is shown).")


def _import() -> None:
    """Callback of the uploader, so the editors are filled before they render."""
    key = f"wb.import.{ss[state.WB_IMPORT_VERSION]}"
    upload = ss.get(key)
    if upload is None:
        return
    ss[state.WB_IMPORT_VERSION] = ss[state.WB_IMPORT_VERSION] + 1  # a fresh uploader: the file is read once
    try:
        shared = read_run_file(upload.getvalue())
    except ShareError as e:
        _notice("error", f"{upload.name} could not be opened: {e.message} {e.hint}")
        return
    _reopen(shared)


def attempts_of(entry: HistoryEntry) -> list[tuple[object, object]]:
    out: RetryRun | None = ss[state.WB_RETRIES].get(entry.id)
    if out is not None:
        return [(a.request, a.result) for a in out.attempts]
    return [(entry.request, entry.result)]


def page_url() -> str:
    """This page's address without its query (``st.context.url``), for the link."""
    url = st.context.url or ""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")) if parts.netloc else url


def _put_link_in_address_bar(query: str) -> None:
    st.query_params[LINK_PARAM] = query
    ss[state.WB_LINK_SEEN] = query  # it is this session's own state: nothing to open


def share_panel(entry: HistoryEntry | None) -> None:
    """The Share box: download the run shown, its link, and open a shared file."""
    notice = ss[state.WB_SHARE_NOTICE]
    ss[state.WB_SHARE_NOTICE] = None  # said once
    if notice is not None:
        level, text = notice
        (st.error if level == "error" else st.success)(md_escape(text), icon=":material/share:")
    with st.expander("Share", icon=":material/share:", expanded=notice is not None):
        if entry is not None:
            attempts = attempts_of(entry)
            data = dumps(run_file(attempts, lint(entry.request)))  # type: ignore[arg-type]
            col_file, col_link = st.columns(2, gap="large")
            with col_file:
                st.markdown("**As a file**")
                st.caption(f"Run #{entry.id}: the request, {len(attempts)} attempt{'s' if len(attempts) != 1 else ''} "
                           "with the raw response and verdict, and the lint findings. Never the API key.")
                st.download_button("Download run (.json)", data, file_name=f"run-{entry.id}.json",
                                   mime="application/json", icon=":material/download:", key="wb_download",
                                   on_click="ignore")  # no rerun: the box stays as it is
            with col_link, st.container(key="wb_link"):
                st.markdown("**As a link**")
                try:
                    link = to_link(entry.request)
                except ShareError as e:
                    st.warning(f"{md_escape(e.message)} {md_escape(e.hint)}", icon=":material/link_off:")
                else:
                    st.caption("The request only (prompts, schema, model, mode, parameters); no key, no answer.")
                    st.code(f"{page_url()}?{LINK_PARAM}={link.query}", language=None, wrap_lines=True)
                    if link.left_out:
                        st.caption(":orange[:material/info:] Left out of the link (too large): "
                                   + md_escape(", ".join(link.left_out)) + ".")
                    st.button("Put it in the address bar", key="wb_link_bar", icon=":material/bookmark_add:",
                              on_click=_put_link_in_address_bar, args=(link.query,),
                              help="So the browser's bookmark opens this request.")
        else:
            st.caption("Run first to share a run; a shared file can be opened now.")
        st.file_uploader("Open a shared run (.json)", type=["json"], key=f"wb.import.{ss[state.WB_IMPORT_VERSION]}",
                         on_change=_import)
