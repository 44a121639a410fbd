"""Lint findings before sending, and the schema editor's own findings as the user types."""

from __future__ import annotations

import streamlit as st

from components import state
from structured_output.display import md_escape
from structured_output.lint import Finding, lint_schema_text
from structured_output.sources import load_sources

ICONS = {"error": ":material/error:", "warning": ":material/warning:", "info": ":material/info:"}


def _text(f: Finding) -> str:
    return f"{md_escape(f.message)}  \n:small[{md_escape(f.hint)}]{_source(f)}"


def _source(f: Finding) -> str:
    """Where the rule comes from, and the reference's own words when it is the reference's."""
    if not f.source:
        return ""
    quote = f' — "{md_escape(f.quote)}"' if f.quote and f.quote not in f.message else ""
    return f"  \n:small[:gray[:material/menu_book: {md_escape(f.source)}{quote}]]"


def findings_list(findings: list[Finding], *, advice_label: str = "Advice") -> None:
    """Blocking findings in red, what the server will refuse in orange (still sendable), advice folded away."""
    advice = [f for f in findings if f.level == "info"]
    for f in findings:
        if f.level == "info":
            continue
        if f.blocking:
            st.error(_text(f), icon=ICONS["error"])
        elif f.level == "error":
            st.warning(f"{_text(f)}  \n:small[*You can still send it to see the server's own answer.*]",
                       icon=ICONS["error"])
        else:
            st.warning(_text(f), icon=ICONS["warning"])
    if advice:
        with st.expander(f"{advice_label} ({len(advice)})", icon=ICONS["info"]):
            for f in advice:
                st.markdown(f"- {_text(f)}")


def schema_findings(findings: list[Finding], schema_text: str, mode: str) -> None:
    """Under the schema editor: parse errors with line and column, meta-validation, strict advice."""
    if not schema_text.strip():
        if mode == "json_schema":
            findings_list(findings)
        else:
            st.caption("No schema: the output will be parsed but not validated.")
        return
    if not any(f.level in ("error", "warning") for f in findings):
        st.caption(":green[:material/check_circle:] Valid JSON Schema.")
    findings_list(findings, advice_label="Schema advice")


def editor_schema_lint(schema_text: str, mode: str, strict: bool) -> list[Finding]:
    """What the schema editor shows as the user types: in JSON Schema mode everything (the reference's
    advice; OpenAI's strict-mode rules where the target is OpenAI), in the other modes only whether the
    schema can validate at all."""
    if not schema_text.strip() and mode != "json_schema":
        return []
    ss = st.session_state
    openai = load_sources().demands_openai_strict(ss.get(state.ENDPOINT, ""), ss.get(state.CUSTOM_URL, ""))
    return lint_schema_text(schema_text, strict, advice=mode == "json_schema", openai_strict=openai)


def not_about_the_schema(findings: list[Finding]) -> list[Finding]:
    """The findings listed above Run; the schema's own are already under its editor."""
    return [f for f in findings if not f.where.startswith("schema")]
