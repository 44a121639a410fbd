"""Lint findings before sending, and the schema editor's own findings as the user types."""

from __future__ import annotations

import streamlit as st

from structured_output.display import md_escape
from structured_output.lint import Finding, lint_schema_text

ICONS = {"error": ":material/error:", "warning": ":material/warning:", "info": ":material/info:"}


def _text(f: Finding) -> str:
    return f"{md_escape(f.message)}  \n:small[{md_escape(f.hint)}]"


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
    findings_list(findings, advice_label="Strict-mode advice")


def editor_schema_lint(schema_text: str, mode: str, strict: bool) -> list[Finding]:
    """What the schema editor shows as the user types: everything in JSON Schema mode (strict advice
    only when ``strict`` is on), and in the other modes only whether the schema can validate at all."""
    if not schema_text.strip() and mode != "json_schema":
        return []
    return lint_schema_text(schema_text, strict and mode == "json_schema")


def not_about_the_schema(findings: list[Finding]) -> list[Finding]:
    """The findings listed above Run; the schema's own are already under its editor."""
    return [f for f in findings if not f.where.startswith("schema")]
