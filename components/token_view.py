"""The Tokens view: an answer as a strip of tokens, coloured by how each came about (forced by the
grammar, chosen among the tokens it allowed, unconstrained) and shaded by its probability; hovering
or focusing (click, Tab) a token shows its alternatives and what the grammar forbade.

Model output is untrusted: every token text, alternative and number goes through ``html.escape``
before it is put into the HTML, which ``st.html`` sanitizes again (DOMPurify, no scripts). The
tooltips are CSS only (``:hover`` and ``:focus-within``).
"""

from __future__ import annotations

import html

import streamlit as st

from structured_output.request import Request
from structured_output.result import RunResult
from structured_output.tokens import KIND_LABELS, TOP_LOGPROBS, Alternative, Token, TokenStrip, strip_of

# Colours per kind (RGB; the alpha carries the probability) that read on light and dark backgrounds.
KIND_RGB = {"forced": (99, 102, 241), "chosen": (22, 163, 74), "free": (100, 116, 139), "unknown": (217, 119, 6)}
MIN_ALPHA, MAX_ALPHA = 0.10, 0.55
THEMES = {  # tooltip colours
    "light": {"bg": "#ffffff", "fg": "#1f2937", "muted": "#6b7280", "line": "#d1d5db", "forbid": "#b91c1c"},
    "dark": {"bg": "#1f2430", "fg": "#e5e7eb", "muted": "#9ca3af", "line": "#4b5563", "forbid": "#f87171"},
}
MAX_TOKENS_SHOWN = 1500  # a long answer is cut in the view (the raw response keeps everything)


def _pct(p: float | None) -> str:
    if p is None:
        return "–"
    if p >= 0.9995:
        return "100%"
    if p < 0.0001:
        return "<0.01%"
    return f"{100 * p:.2f}%" if p < 0.1 else f"{100 * p:.1f}%"


def _shown(text: str) -> str:
    """A token's text made visible and escaped: line breaks and tabs get a mark, an empty token a dot."""
    if text == "":
        return '<span class="tv-empty">·</span>'
    out = html.escape(text).replace("\t", "→\t")
    return out.replace("\n", '<span class="tv-mark">↵</span>\n')


def _quoted(text: str) -> str:
    """A token's text in a tooltip: escaped, with white space spelled out (a space as ␣)."""
    spelled = (text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
               .replace(" ", "␣"))
    return html.escape(spelled) if spelled else '<span class="tv-muted">(part of a character)</span>'


def _alt_rows(alts: list[Alternative], chosen: str) -> str:
    rows = []
    for a in alts:
        cls = "tv-forbidden" if a.forbidden else ("tv-chosen" if a.token == chosen else "")
        rows.append(f'<tr class="{cls}"><td class="tv-code">{_quoted(a.token)}</td>'
                    f'<td class="tv-num">{_pct(a.prob)}</td></tr>')
    return "".join(rows)


def _tooltip(t: Token, has_mask: bool) -> str:
    lines = [f'<div class="tv-head"><span class="tv-code">{_quoted(t.text)}</span> · {KIND_LABELS[t.kind]}</div>']
    g = t.grammar
    if g is not None and g.forced and g.model_logprob is None:
        lines.append('<div>The grammar allowed only this text here; the decoder wrote it without asking the model '
                     '(forced tokens go to the model in one batch, unscored).</div>')
    else:
        lines.append(f"<div>probability {_pct(t.prob)}" + (" under the grammar" if g is not None else "") + "</div>")
    if g is not None:
        if g.model_logprob is not None:
            lines.append(f"<div>the model alone: {_pct(t.model_prob)}</div>")
        if g.removed is not None:
            allowed = "1 continuation" if g.forced else f"{g.allowed:,} tokens"
            lines.append(f"<div>grammar allowed {allowed}; its mask removed {_pct(g.removed)} of the model's "
                         "probability</div>")
        if g.overrode:
            lines.append('<div class="tv-warn">the model\'s own first choice was forbidden</div>')
        if g.steered:
            lines.append('<div class="tv-muted">the engine\'s nudges (key steering, runaway guards, repeat penalty) '
                         "changed which allowed token came first</div>")
    if t.alternatives and not (g is not None and g.forced):
        where = "allowed by the grammar" if g is not None else "the most likely"
        lines.append(f'<div class="tv-sub">alternatives: {len(t.alternatives)} {where}</div>'
                     f"<table>{_alt_rows(t.alternatives, t.text)}</table>")
    if t.forbidden:
        lines.append('<div class="tv-sub">forbidden by the grammar (the model\'s own probability)</div>'
                     f"<table>{_alt_rows(t.forbidden, t.text)}</table>")
    elif g is not None and g.removed is not None and g.removed > 0.0005 and not g.forced:
        lines.append('<div class="tv-muted">none of the model\'s top choices was forbidden</div>')
    if not has_mask and t.kind == "unknown":
        lines.append('<div class="tv-muted">what the grammar allowed here is known only on the local engine</div>')
    return f'<span class="tv-tip" role="tooltip">{"".join(lines)}</span>'


def strip_html(strip: TokenStrip, *, dark: bool = False, key: str = "tokens") -> str:
    """The strip as HTML (every text escaped), with its CSS scoped to ``key``."""
    c = THEMES["dark" if dark else "light"]
    scope = f"tv-{html.escape(key)}"
    css = f"""
.{scope} {{ font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.86rem;
  line-height: 1.9; white-space: pre-wrap; word-break: break-word; padding-bottom: 0.5rem; }}
.{scope} .tv-tok {{ position: relative; border-radius: 3px; padding: 0.1rem 0.05rem; margin: 0 1px;
  outline: none; cursor: help; box-decoration-break: clone; -webkit-box-decoration-break: clone; }}
.{scope} .tv-tok.tv-overrode {{ box-shadow: inset 0 -2px 0 {c['forbid']}; }}
.{scope} .tv-tok:hover, .{scope} .tv-tok:focus {{ outline: 2px solid {c['fg']}; }}
.{scope} .tv-tip {{ display: none; position: absolute; left: 0; top: 1.7em; z-index: 50; min-width: 17rem;
  max-width: 24rem; white-space: normal; line-height: 1.4; font-size: 0.8rem; background: {c['bg']};
  color: {c['fg']}; border: 1px solid {c['line']}; border-radius: 6px; padding: 0.5rem 0.6rem;
  box-shadow: 0 4px 14px rgba(0,0,0,0.25); font-family: ui-sans-serif, system-ui, sans-serif; }}
.{scope} .tv-tok:hover .tv-tip, .{scope} .tv-tok:focus .tv-tip {{ display: block; }}
.{scope} .tv-tip table {{ border-collapse: collapse; margin: 0.15rem 0 0.2rem 0; width: 100%; }}
.{scope} .tv-tip td {{ padding: 0.05rem 0.3rem; border-top: 1px solid {c['line']}; }}
.{scope} .tv-code {{ font-family: ui-monospace, Menlo, Consolas, monospace; white-space: pre; }}
.{scope} .tv-num {{ text-align: right; width: 5rem; }}
.{scope} .tv-head {{ font-weight: 600; margin-bottom: 0.2rem; }}
.{scope} .tv-sub {{ margin-top: 0.35rem; color: {c['muted']}; }}
.{scope} .tv-muted {{ color: {c['muted']}; }}
.{scope} .tv-warn {{ color: {c['forbid']}; }}
.{scope} .tv-forbidden td {{ color: {c['forbid']}; }}
.{scope} .tv-forbidden td.tv-code {{ text-decoration: line-through; }}
.{scope} .tv-chosen td {{ font-weight: 600; }}
.{scope} .tv-mark, .{scope} .tv-empty {{ color: {c['muted']}; }}
"""
    parts = []
    for i, t in enumerate(strip.tokens[:MAX_TOKENS_SHOWN]):
        r, g, b = KIND_RGB[t.kind]
        alpha = MIN_ALPHA + (MAX_ALPHA - MIN_ALPHA) * max(0.0, min(1.0, t.prob))
        cls = "tv-tok" + (" tv-overrode" if t.grammar is not None and t.grammar.overrode else "")
        parts.append(f'<span class="{cls}" tabindex="0" data-kind="{t.kind}" data-i="{i}" '
                     f'style="background: rgba({r},{g},{b},{alpha:.2f})">{_shown(t.text)}'
                     f"{_tooltip(t, strip.has_mask)}</span>")
    more = len(strip.tokens) - MAX_TOKENS_SHOWN
    tail = f'<div class="tv-muted">… {more} more tokens (see the raw response)</div>' if more > 0 else ""
    return f'<style>{css}</style><div class="{scope}">{"".join(parts)}{tail}</div>'


def legend_html(strip: TokenStrip, *, dark: bool = False) -> str:
    c = THEMES["dark" if dark else "light"]
    kinds = sorted({t.kind for t in strip.tokens}, key=list(KIND_RGB).index)
    chips = []
    for k in kinds:
        r, g, b = KIND_RGB[k]
        chips.append(f'<span style="background: rgba({r},{g},{b},{MAX_ALPHA}); border-radius: 3px; padding: 0 0.35rem; '
                     f'margin-right: 0.6rem">{html.escape(KIND_LABELS[k])}</span>')
    if any(t.grammar is not None and t.grammar.overrode for t in strip.tokens):
        chips.append(f'<span style="box-shadow: inset 0 -2px 0 {c["forbid"]}; padding: 0 0.2rem; '
                     'margin-right: 0.6rem">model\'s first choice forbidden</span>')
    chips.append(f'<span style="color: {c["muted"]}">paler = less likely · hover or Tab to a token</span>')
    return f'<div style="font-size: 0.8rem; line-height: 1.8">{"".join(chips)}</div>'


def summary_line(strip: TokenStrip) -> str:
    """The strip in one sentence (numbers only: no model text)."""
    s = strip.summary()
    parts = [f"**{s.tokens}** tokens"]
    if strip.has_mask:
        parts.append(f"**{s.forced}** forced by the grammar")
        parts.append(f"**{s.chosen}** chosen among allowed tokens")
        parts.append(f"the grammar overrode the model's first choice **{s.overrode}** "
                     f"time{'s' if s.overrode != 1 else ''}")
        parts.append(f"mean probability mass removed by the mask **{_pct(s.mean_removed)}**")
    elif s.free:
        parts.append("no grammar: every token unconstrained")
    if s.mean_prob is not None:
        parts.append(f"mean probability of the chosen tokens **{_pct(s.mean_prob)}**")
    return " · ".join(parts)


def _dark() -> bool:
    theme = getattr(st.context, "theme", None)
    return getattr(theme, "type", None) == "dark"


def token_panel(result: RunResult, request: Request, key: str = "result", *, compact: bool = False) -> None:
    """The Tokens view of one run, or why there is none."""
    strip = strip_of(result.raw, request.mode)
    if strip is None:
        if request.logprobs:
            st.caption("The server returned no token log probabilities (it may not support `logprobs`).")
        elif not compact:
            st.caption(f"Turn on **Token view (logprobs)** in Parameters and run again to see the answer token by "
                       f"token (`logprobs: true`, `top_logprobs: {TOP_LOGPROBS}`).")
        return
    if not strip.tokens:
        st.caption("The server returned logprobs with no tokens.")
        return
    st.markdown(summary_line(strip))
    if not strip.has_mask and request.mode != "none":
        st.caption("This server returned the standard logprobs only. What the grammar forced, allowed and forbade "
                   "exists only on the local engine, which runs the constrained decoding itself.")
    elif strip.has_mask and any(t.grammar is not None and t.grammar.steered for t in strip.tokens):
        st.caption("Under a grammar the probabilities are those the token was chosen from: the model's, with the "
                   "mask and the local engine's own nudges applied (the tooltip says where they changed the "
                   "order).")
    dark = _dark()
    st.html(legend_html(strip, dark=dark))
    st.html(strip_html(strip, dark=dark, key=key))
