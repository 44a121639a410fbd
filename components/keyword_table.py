"""Beside the schema lint: what each target does with every keyword the schema uses; above a result:
what the local engine did not enforce while decoding, and whether the answer satisfied it anyway."""

from __future__ import annotations

import json

import streamlit as st

from structured_output import keywords
from structured_output.display import md_escape
from structured_output.result import RunResult


def _schema(schema_text: str) -> dict[str, object] | None:
    try:
        schema = json.loads(schema_text)
    except (ValueError, RecursionError):
        return None  # the lint says why
    return schema if isinstance(schema, dict) and schema else None


def keyword_caption(schema_text: str, endpoint: str, server: str = "") -> None:
    """Under the schema lint: the keywords worth a word on the current endpoint, or the custom server
    picked for it (refused, not enforced while decoding, enforced in part, not documented)."""
    schema = _schema(schema_text)
    rules = keywords.load_rules()
    target = rules.target_for(endpoint, server)
    if schema is None or target is None:
        return
    for words, names in keywords.attention(schema, target, rules).items():
        st.caption(f"{md_escape(target.label)}: {md_escape(words)}: " + ", ".join(md_escape(n) for n in names))


def keyword_table(schema_text: str, endpoint: str, server: str = "") -> None:
    """Folded away under the editors: every keyword the schema uses and what each target does with it
    (nothing when the schema does not parse); a custom URL's picked server gets a column of its own."""
    schema = _schema(schema_text)
    if schema is None:
        return
    rules = keywords.load_rules()
    shown = rules.shown(endpoint, server)
    df = keywords.keyword_table(schema, rules, shown)
    target = rules.target_for(endpoint, server)
    with st.expander(f"Keywords: what each target does with them ({len(df)})", icon=":material/rule:"):
        st.caption("Per target, as documented (DashScope: the reference; OpenAI strict mode: its Structured "
                   "Outputs guide; a custom server picked in the sidebar: its own docs, where they say) or as "
                   "llguidance compiles it (the local engine)."
                   + (f" Your endpoint: **{md_escape(target.label)}**." if target is not None else ""))
        table, sources = st.tabs(["Table", "Notes and sources"])
        with table:
            four = len(shown) > 3  # a custom server's column too: narrower, so all four fit the page
            widths = {"keyword": 130, "applies to": 80, "used at": 150 if four else 190}
            st.dataframe(df, hide_index=True, width="stretch",
                         column_config={c: st.column_config.TextColumn(width=widths.get(c, 120 if four else 140))
                                        for c in df.columns})
            st.caption(md_escape(keywords.legend(rules)))
        with sources:
            details = keywords.keyword_details(schema, rules, shown)
            for keyword, rows in details.groupby("keyword", sort=False):
                lines = [f"**{md_escape(str(keyword))}**"]
                lines += [f"- {md_escape(r.target)}: {md_escape(r.status)}. {md_escape(r.note)}  \n"
                          f"  :small[Source: {md_escape(r.source)}]" for r in rows.itertuples()]
                st.markdown("\n".join(lines))


def unenforced_notice(result: RunResult) -> None:
    """The local engine's list of keywords it did not enforce for this answer, each with what validation
    afterwards found."""
    items = keywords.unenforced_in(result.raw)
    if not items:
        return
    lines = [md_escape(keywords.unenforced_line(items))]
    for item in items:
        ok = keywords.satisfied(item, result.validation)
        verdict = ("the answer happens to satisfy it" if ok else "the answer breaks it (see the validation)"
                   if ok is False else "not checked (the answer did not parse)")
        lines.append(f"- {md_escape(item.place())}: {verdict}")
    st.info("  \n".join(lines), icon=":material/rule:")
