"""The compare page's widgets: the column targets, running the columns one after another with
progress, and the columns side by side with the field-by-field table that marks differences.

Model output is untrusted: it appears in code blocks, ``st.json`` and tables only; the result panels
are the playground's own (``components.results``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import engine_notes, picker, results, state, token_view
from structured_output.catalog import load_catalog
from structured_output.diff import DiffRow
from structured_output.display import md_escape, pretty_raw, run_facts
from structured_output.request import MODE_LABELS
from structured_output.result import RunResult
from structured_output.runs.compare import Column, Outcome, Target, baseline_diffs, field_table, lessons, letter
from structured_output.runs.retries import run_with_retries

VERDICT_COLORS = {"valid": "green", "parsed": "green", "invalid": "orange", "not JSON": "red", "truncated": "red",
                  "error": "red"}
HEADER_HEIGHT = 96
OUTPUT_HEIGHT = 190
PARSED_HEIGHT = 330
VALIDATION_HEIGHT = 210
FALLBACK_MODELS = ("qwen-plus", "qwen-flash", "qwen3-max", "local-gemma3-270m")


# ---------------------------------------------------------------- choosing the targets

def _target_defaults(i: int) -> None:
    """Column ``i`` starts at the sidebar's endpoint, with the playground's model in the first column and
    other catalog models after it."""
    ss = st.session_state
    if state.cmp_target_key(i, "endpoint") in ss:
        return
    current = ss[state.MODEL] or "qwen-flash"
    others = [m for m in (current, *FALLBACK_MODELS) if m]
    ss[state.cmp_target_key(i, "endpoint")] = ss[state.ENDPOINT]
    ss[state.cmp_target_key(i, "protocol")] = ss[state.PROTOCOL]
    ss[state.cmp_target_key(i, "model")] = list(dict.fromkeys(others))[min(i, len(set(others)) - 1)]
    ss[state.cmp_target_key(i, "url")] = ss[state.CUSTOM_URL]


def target_picker(i: int) -> Target:
    """Endpoint, protocol and model of one column (the keys come from the sidebar)."""
    _target_defaults(i)
    catalog = load_catalog()
    endpoints = {e.id: e for e in catalog.endpoints}
    k = state.cmp_target_key
    st.markdown(f"**{letter(i)}**")
    st.selectbox("Endpoint", list(endpoints), key=k(i, "endpoint"), format_func=lambda e: endpoints[e].label,
                 persist_state="session")
    endpoint = endpoints[st.session_state[k(i, "endpoint")]]
    if len(endpoint.protocols) > 1:
        st.radio("Protocol", endpoint.protocols, key=k(i, "protocol"), horizontal=True, persist_state="session",
                 format_func={"compatible": "compatible", "native": "native"}.get)
    protocol = st.session_state[k(i, "protocol")]
    protocol = protocol if protocol in endpoint.protocols else endpoint.protocols[0]
    url = ""
    if endpoint.id == "custom":
        url = st.text_input("Base URL", key=k(i, "url"), placeholder="http://localhost:11434/v1",
                            persist_state="session").strip()
        model = st.text_input("Model", key=k(i, "model"), persist_state="session").strip()
    else:
        current = st.session_state[k(i, "model")] or ""
        model = st.selectbox("Model", picker.model_options(current, endpoint.id), key=k(i, "model"),
                             accept_new_options=True, persist_state="session") or ""
    return Target(endpoint.id, protocol, model, url)


# ---------------------------------------------------------------- running

def run_columns(columns: list[Column]) -> list[Outcome]:
    """Run the columns one after another (the local engine serves one request at a time), with a
    progress bar and a line per finished column; every run also goes into the history."""
    bar = st.progress(0.0, text=f"Running {len(columns)} columns one after another…")
    lines = st.empty()
    done: list[str] = []
    outcomes: list[Outcome] = []
    road = results.road()  # one engine wait for all the columns; every run recorded in the history
    for i, col in enumerate(columns):
        bar.progress(i / len(columns), text=f"Column {letter(i)} of {len(columns)}: {md_escape(col.label)}…")
        watcher = results.PageWatcher(f"{letter(i)} · {md_escape(col.label)}", live=False)
        key = state.api_key_for(col.request.endpoint)
        if col.retry_attempts > 1:
            retried = run_with_retries(road, col.request, key, col.retry_attempts, lambda _n, w=watcher: w)
            outcomes.append(Outcome(col.label, col.request, retried.final.result, retried))
        else:
            outcomes.append(Outcome(col.label, col.request, road.run(col.request, key, watcher).result))
        result = outcomes[-1].result
        took = f"{result.latency_s:.1f} s" if result.latency_s is not None else "–"
        done.append(f"{letter(i)} · {md_escape(col.label)}: **{md_escape(result.verdict)}** in {took}")
        lines.caption("  \n".join(done))
    bar.empty()
    lines.empty()
    return outcomes


# ---------------------------------------------------------------- showing

def _verdict_badge(verdict: str) -> None:
    st.badge(verdict, color=VERDICT_COLORS.get(verdict, "gray"))


def _figures(result: RunResult) -> str:
    """Latency and tokens in one short line (a column is narrow)."""
    facts = dict(run_facts(result))
    u = result.usage
    tokens = f"{u.output_tokens} tokens out, {u.input_tokens or 0} in" if u.output_tokens is not None else "no tokens"
    return f"{md_escape(facts['Latency'])} · {md_escape(tokens)}"


def column_view(i: int, outcome: Outcome, diff_note: str) -> None:
    """One column: title and verdict, figures, the output as text, the parsed result (strict parse error
    with its position and the lenient recovery, when it failed), validation, the raw response."""
    r = outcome.result
    # a fixed height keeps the panels of every column level, whatever wraps in the heading
    with st.container(height=HEADER_HEIGHT, border=False, key=f"cmp_col{i}_head"):
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.markdown(f"**{letter(i)} · {md_escape(outcome.label)}**")
            _verdict_badge(r.verdict)
        st.caption(f"{_figures(r)}  \n{diff_note}")
        if outcome.retry is not None:
            st.caption(f":material/replay: {md_escape(outcome.retry.summary())}")
    if r.error is not None:
        with st.container(height=OUTPUT_HEIGHT + PARSED_HEIGHT + VALIDATION_HEIGHT, border=True,
                          key=f"cmp_col{i}_error"):
            results.error_box(r.error)
        return
    with st.container(height=OUTPUT_HEIGHT, border=True, key=f"cmp_col{i}_output"):
        st.markdown("**Output**")
        st.code(r.content if r.content is not None else "(no content)", language=None, wrap_lines=True)
    with st.container(height=PARSED_HEIGHT, border=True, key=f"cmp_col{i}_parsed"):
        results.parsed_panel(r)
    with st.container(height=VALIDATION_HEIGHT, border=True, key=f"cmp_col{i}_validation"):
        results.validation_panel(r, outcome.request, table_below=False)
    engine_notes.engine_notes(r, f"cmp_col{i}", compact=True)
    if outcome.request.logprobs:
        with st.container(border=True, key=f"cmp_col{i}_tokens"):
            st.markdown("**Tokens**")
            token_view.token_panel(r, outcome.request, f"cmp{i}", compact=True)
    with st.expander("Raw response"):
        st.code(pretty_raw(r.raw) if r.raw is not None else "Nothing was received.", language="json",
                wrap_lines=True)


def _diff_note(i: int, base: int | None, diffs: list[list[DiffRow] | None], outcome: Outcome) -> str:
    p = outcome.result.parse
    if outcome.result.error is not None:
        return "No output: the request failed."
    if p is None or not p.ok:
        return "Not compared: the output is not JSON."
    if base is None or i == base:
        return "The baseline for differences."
    rows = diffs[i]
    if not rows:
        return f":green[Same parsed result as {letter(base)}.]"
    n = len(rows)
    return f":orange[{n} difference{'s' if n != 1 else ''} from {letter(base)}] (marked in the table below)."


def columns_view(outcomes: list[Outcome]) -> None:
    """The columns side by side, what they teach, and the parsed results field by field."""
    for line in lessons(outcomes):
        st.info(line, icon=":material/lightbulb:")
    base, diffs = baseline_diffs(outcomes)
    for i, (col, outcome) in enumerate(zip(st.columns(len(outcomes), gap="small"), outcomes, strict=True)):
        with col:
            column_view(i, outcome, _diff_note(i, base, diffs, outcome))
    parsed = [(f"{letter(i)} · {MODE_LABELS.get(o.request.mode, o.request.mode)}"
               if len({x.request.model for x in outcomes}) == 1 else f"{letter(i)} · {o.request.model}",
               o.result.parse.value)
              for i, o in enumerate(outcomes) if o.result.parse is not None and o.result.parse.ok]
    st.markdown("#### Field by field")
    if len(parsed) < 2:
        st.caption("Fewer than two columns parsed as JSON, so there is nothing to compare field by field.")
        return
    table = field_table(parsed)
    differing = int((~table["same"]).sum())
    st.caption(f"{differing} of {len(table)} fields differ between the columns that parsed (rows marked in "
               "orange; an empty cell: that column has no such field)." if differing else
               f"All {len(table)} fields agree between the columns that parsed.")
    st.dataframe(_marked(table), hide_index=True, width="stretch",
                 column_config={"same": st.column_config.CheckboxColumn("same", width="small")})


def _marked(table: pd.DataFrame) -> pd.io.formats.style.Styler:
    """Rows where the columns disagree, in orange."""
    def paint(row: pd.Series) -> list[str]:
        color = "" if row["same"] else "background-color: rgba(255, 164, 33, 0.25)"
        return [color] * len(row)

    return table.style.apply(paint, axis=1)
