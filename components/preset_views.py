"""Widgets of the presets page: browse filters, a card per preset (open it in the playground, run it
here), the documented result beside the live one with the differences marked, and saving, exporting
and importing preset files.

Preset text is shown escaped (``md_escape``) or in code blocks: an imported preset is someone else's
file, and nothing in it is ever executed or rendered as Markdown/HTML. Runs go through the
playground's own road (``results.run_with_progress``: ``structured_output.runs``, the real SDKs) and are added to the
session history, so the playground can reopen them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from components import results, state
from structured_output.catalog import load_catalog
from structured_output.diff import documented_diff_table, text_diff
from structured_output.display import md_escape
from structured_output.preset_run import PresetStep, compare_to_documented, counts_text, run_preset
from structured_output.presets import (
    Documented,
    Expectation,
    Preset,
    PresetError,
    delete_user_preset,
    export_preset,
    export_presets,
    filter_presets,
    import_presets,
    load_presets,
    load_user_presets,
    max_preset_video_bytes,
    preset_to_request,
    request_to_preset,
    save_user_preset,
    sections,
    user_presets_dir,
)
from structured_output.request import MODE_LABELS, MODES, Request
from structured_output.result import RunResult
from structured_output.runs.history import HistoryEntry

PLAYGROUND_PAGE = "views/playground.py"
PROTOCOL_LABELS = {"compatible": "OpenAI-compatible", "native": "DashScope native"}
DOCUMENTED_KINDS = {
    "content": "the message content the reference shows",
    "response_body": "the whole HTTP response body the reference shows",
    "printed": "what the reference's code printed",
    "error": "the error text the reference quotes",
    "described": "the reference describes the behaviour, it shows no verbatim output",
}
EXPECTED = {
    "json": "JSON that parses",
    "valid": "JSON that is valid against the schema",
    "error": "the call is refused",
    "truncated": "cut off by max_tokens (finish reason length), JSON that does not parse",
    "text": "a plain-text answer",
}
# Light backgrounds that keep the text readable, one per kind of difference.
DIFF_COLORS = {"missing": "#fde2e1", "extra": "#dbeafe", "type": "#ffe8cc", "value": "#fff4c2"}
DIFF_LEGEND = ("**missing**: in the documented result, not in the live one · **extra**: only in the live one · "
               "**type**: a different JSON type · **value**: same type, another value")
PANEL_HEIGHT = 420
PANEL_MAX_LINES = 16  # longer than this, the two panels get PANEL_HEIGHT and scroll


@dataclass
class StepView:
    """One step of a "Run here", as kept in the session: the step and its history entry (None if skipped)."""

    step: PresetStep
    entry: HistoryEntry | None


def uid(preset: Preset) -> str:
    """``origin__id`` for an example, ``origin__id__form`` for one of its client forms."""
    base = f"{preset.origin}__{preset.id}"
    return f"{base}__{preset.form_id}" if preset.form_id else base


def all_presets() -> tuple[list[Preset], list[PresetError]]:
    """The shipped presets, then the user's own; user files that fail to load are returned apart."""
    mine, errors = load_user_presets()
    return [*load_presets(), *mine], errors


# ---------------------------------------------------------------- browsing

def filters(presets: list[Preset]) -> list[Preset]:
    """Search box and mode/section pickers; returns the presets that pass."""
    col_search, col_mode, col_section = st.columns([5, 3, 4])
    col_search.text_input("Search", key=state.PRESETS_SEARCH, placeholder="title, description, section, prompt…",
                          icon=":material/search:", persist_state="session")
    col_mode.selectbox("Mode", ["all", *MODES], key=state.PRESETS_MODE, persist_state="session",
                       format_func=lambda m: "All modes" if m == "all" else MODE_LABELS[m])
    options = ["all", *sections(presets)]
    if st.session_state[state.PRESETS_SECTION] not in options:  # a user section that was deleted
        st.session_state[state.PRESETS_SECTION] = "all"
    col_section.selectbox("Reference section", options, key=state.PRESETS_SECTION, persist_state="session",
                          format_func=lambda s: "All sections" if s == "all" else s)
    ss = st.session_state
    return filter_presets(presets, ss[state.PRESETS_SEARCH],
                          mode=None if ss[state.PRESETS_MODE] == "all" else ss[state.PRESETS_MODE],
                          section=None if ss[state.PRESETS_SECTION] == "all" else ss[state.PRESETS_SECTION])


def example_badges(preset: Preset) -> None:
    """An example with client forms: its section and how many forms; each form's tab has the rest."""
    with st.container(horizontal=True, gap="small"):
        st.badge(md_escape(preset.section), icon=":material/menu_book:", color="gray")
        st.badge(f"{len(preset.forms)} client forms", icon=":material/tab:", color="gray",
                 help="The reference gives this example in several client forms that differ in wording, examples "
                      "and documented results. Each tab runs its own form through its own protocol.")
        if preset.origin == "user":
            st.badge("yours", icon=":material/person:", color="green")


def badges(preset: Preset, *, section: bool = True) -> None:
    """Section, mode, model and protocol at a glance, and what makes the preset special."""
    with st.container(horizontal=True, gap="small"):
        if section:
            st.badge(md_escape(preset.section), icon=":material/menu_book:", color="gray")
        st.badge(MODE_LABELS.get(preset.mode, preset.mode), icon=":material/data_object:", color="blue")
        st.badge(md_escape(preset.model), icon=":material/smart_toy:", color="violet")
        st.badge(PROTOCOL_LABELS[preset.protocol], icon=":material/swap_horiz:", color="gray")
        if preset.call == "parse":
            given = "a zod object" if preset.parse_model and preset.parse_model.language == "javascript" else \
                "a Pydantic model"
            st.badge("parse()", icon=":material/code:", color="gray",
                     help=f"The reference calls client.chat.completions.parse with {given}; the preset "
                          "sends the JSON Schema that parse() produces from it.")
        if preset.images:
            st.badge(f"{len(preset.images)} image{'s' if len(preset.images) > 1 else ''}", icon=":material/image:",
                     color="blue")
        if preset.followups:
            st.badge(f"{1 + len(preset.followups)} steps", icon=":material/timeline:", color="orange")
        if preset.expect.outcome in ("error", "truncated"):
            st.badge("expected: " + ("error" if preset.expect.outcome == "error" else "truncated"),
                     icon=":material/report:", color="red")
        if preset.origin == "user" and section:
            st.badge("yours", icon=":material/person:", color="green")


def _open_endpoint(preset: Preset) -> str:
    """Where an opened preset will send: the sidebar's DashScope region when one is picked (and it
    speaks the preset's protocol), else the local engine. A custom server would not know the
    reference's model names."""
    current = st.session_state[state.ENDPOINT]
    endpoint = load_catalog().endpoint(current)
    return current if current not in ("local", "custom") and preset.protocol in endpoint.protocols else "local"


def _open(preset: Preset) -> None:
    """Button callback: every field of the preset into the playground's state (before its widgets exist)."""
    req = preset_to_request(preset, endpoint=_open_endpoint(preset))
    named = f" ({req.schema_name})" if req.schema_text.strip() and req.schema_name else ""
    state.load_request(req, origin=f"the preset “{preset.title}”{named}")
    views = st.session_state[state.PRESETS_RUNS].get(uid(preset)) or []
    first = views[0].entry if views else None
    # The playground's result panels show this preset's last run here, or nothing: never a result of
    # some other request under the preset's prompts.
    st.session_state[state.CURRENT] = first.id if first is not None else None


def _ask_or_open(preset: Preset) -> None:
    """Open at once over an untouched playground; over edits of the user's own, ask first."""
    if state.unsaved_edits():
        st.session_state[state.PRESETS_CONFIRM_OPEN] = uid(preset)
    else:
        _open(preset)


def _cancel_open() -> None:
    st.session_state[state.PRESETS_CONFIRM_OPEN] = None


@st.dialog("Replace your edits?", on_dismiss=_cancel_open)
def confirm_open(preset: Preset) -> None:
    """The playground holds prompts or a schema the user changed: opening would replace them."""
    st.markdown(f"The playground's editors hold your own edits. Opening **{md_escape(preset.title)}** replaces "
                "the model, mode, prompts, schema, images and parameters.")
    st.caption("Tip: *Save · export · import* keeps the playground as a preset of your own first.")
    col_yes, col_no = st.columns(2)
    if col_yes.button("Replace and open", type="primary", icon=":material/open_in_new:", width="stretch",
                      key=state.preset_key("open_confirm", uid(preset)), on_click=_confirm_open, args=(preset,)):
        st.switch_page(PLAYGROUND_PAGE)
    if col_no.button("Keep my edits", width="stretch", key=state.preset_key("open_cancel", uid(preset)),
                     on_click=_cancel_open):
        st.rerun()


def _confirm_open(preset: Preset) -> None:
    _cancel_open()
    _open(preset)


def delete_button(preset: Preset) -> None:
    st.button("Delete", key=state.preset_key("delete", uid(preset)), on_click=_delete, args=(preset,),
              icon=":material/delete:", type="tertiary")


def _delete(preset: Preset) -> None:
    ss = st.session_state
    if delete_user_preset(preset.id):
        for v in preset.variants():  # the runs of each of its forms
            ss[state.PRESETS_RUNS].pop(uid(v), None)
        ss[state.PRESETS_NOTICES] = [("success", f"Deleted your preset “{preset.title}”.")]


def preset_card(preset: Preset) -> None:
    """One example: what it is and, when the reference gives it in several client forms, one tab a form
    (each with its own buttons, prompts and last run); otherwise the one form directly."""
    key = uid(preset)
    with st.container(border=True, key=state.preset_key("card", key)):
        if not preset.forms:
            form_body(preset, head=True)
            return
        col_text, col_buttons = st.columns([3, 1], vertical_alignment="center")
        with col_text, st.container(horizontal=True, gap="small", vertical_alignment="center"):
            st.markdown(f"**{md_escape(preset.title)}**", width="content")
            example_badges(preset)  # the description is in each form's details
        if preset.origin == "user":
            with col_buttons:
                delete_button(preset)
        variants = preset.variants()
        tabs = st.tabs([v.form.label for v in variants if v.form], key=state.preset_key("forms", key),
                       on_change="rerun")
        for tab, variant in zip(tabs, variants, strict=True):
            if tab.open is False:  # only the open tab's form is drawn (six receipts would be slow)
                continue
            with tab:
                form_body(variant, head=False)


def form_body(preset: Preset, *, head: bool) -> None:
    """One runnable form: its badges, buttons, prompts and, below, its last run beside the documented result.
    ``head``: the preset stands alone, so its title and description go here too."""
    key = uid(preset)
    # One compact row (title, badges, the two buttons side by side); the description, the form's note and
    # the prompts are details, one click away, so the library fits a screen.
    col_text, col_buttons = st.columns([3, 2], vertical_alignment="center")
    with col_text, st.container(horizontal=True, gap="small", vertical_alignment="center"):
        if head:
            st.markdown(f"**{md_escape(preset.title)}**", width="content")
        badges(preset, section=False)
    with col_buttons, st.container(horizontal=True, gap="small", horizontal_alignment="right"):
        opened = st.button("Open in playground", key=state.preset_key("open", key), on_click=_ask_or_open,
                           args=(preset,), icon=":material/open_in_new:",
                           help="Load model, mode, prompts, schema, images and parameters into the playground "
                                "and go there.")
        run = st.button("Run here", key=state.preset_key("run", key), type="primary",
                        icon=":material/play_arrow:",
                        help="Run it offline on the local engine, through this form's protocol, and set the live "
                             "result beside the documented one.")
        if preset.origin == "user" and head:
            delete_button(preset)
    if st.session_state.get(state.PRESETS_CONFIRM_OPEN) == key:
        confirm_open(preset)
    elif opened:
        st.switch_page(PLAYGROUND_PAGE)
    if preset.followups:
        st.checkbox("Also run the repair step when step 1 already parses",
                    key=state.preset_key("run_unneeded", key),
                    help="The reference repairs only an answer that does not parse.")
    with st.expander("Prompts, schema and the reference's code", icon=":material/description:"):
        if preset.description:
            st.caption(md_escape(short_description(preset.description)))
        if preset.form is not None and preset.form.note:
            st.caption(md_escape(preset.form.note))
        request_details(preset)
    if run:
        run_here(preset)
    views = st.session_state[state.PRESETS_RUNS].get(key)
    if views:
        run_view(preset, views)


def short_description(text: str, limit: int = 200) -> str:
    """The first sentence (the whole text is in the card's details): the cards must stay scannable."""
    end = text.find(". ")
    first = text if end < 0 else text[: end + 1]
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def request_details(preset: Preset) -> None:
    """What the preset sends (every step), and the reference's code sample it comes from."""
    if preset.description:
        st.markdown(md_escape(preset.description))
    steps = [("", preset), *((f"Step {i + 2}: {f.title}", f) for i, f in enumerate(preset.followups))]
    for title, fields in steps:
        if title:
            st.markdown(f"**{md_escape(title)}**")
        params = {k: v for k, v in (("temperature", fields.temperature), ("max_tokens", fields.max_tokens),
                                    ("enable_thinking", fields.enable_thinking)) if v is not None}
        params["stream"] = fields.stream
        st.caption(" · ".join([md_escape(fields.model), MODE_LABELS[fields.mode], PROTOCOL_LABELS[fields.protocol],
                               *(f"{k}={json.dumps(v)}" for k, v in params.items())]))
        st.markdown(":gray[System prompt]")
        st.code(fields.system_prompt or "(none)", language=None, wrap_lines=True)
        st.markdown(":gray[User message]")
        st.code(fields.user_text or "(none)", language=None, wrap_lines=True)
        if fields.schema_text:
            st.markdown(":gray[JSON Schema]" + (f" · name {md_escape(fields.schema_name)}, strict "
                                                f"{str(fields.strict).lower()}" if fields.mode == "json_schema" else
                                                " · not sent in this mode: the output is validated against it"))
            st.code(fields.schema_text, language="json")
        for ref in fields.images:
            img = ref.to_input()
            if img.data is not None:
                st.image(img.data, caption=md_escape(img.name), width=320)
            else:
                st.caption(f"Image URL: {md_escape(img.url)}")
            if ref.documented_url:
                st.caption(f"The reference's image, unreachable offline: {md_escape(ref.documented_url)}")
    if preset.parse_model is not None:
        model = preset.parse_model
        what = "zod object" if model.language == "javascript" else "Pydantic model"
        st.markdown(f":gray[The reference's {what},] {md_escape(model.name)}")
        st.code(model.source, language=model.language)
        st.caption(f"The schema above is what the openai SDK's parse() sends for it: "
                   f"{md_escape(model.schema_generated_by)}")
    for doc in [preset.documented, *(f.documented for f in preset.followups)]:
        if doc is not None and doc.code:
            st.markdown(":gray[The reference's code]")
            st.code(doc.code, language=doc.code_language or None)


# ---------------------------------------------------------------- running and showing a run

def run_here(preset: Preset) -> None:
    """Run every step on the local engine, streaming, and keep the steps for the page to show."""
    run_unneeded = bool(st.session_state.get(state.preset_key("run_unneeded", uid(preset))))

    road = results.road()
    entries: dict[int, HistoryEntry | None] = {}  # by id() of each step's result

    def runner(req: Request) -> RunResult:
        run = results.run_with_progress(req, None, road)  # the local engine takes no key
        entries[id(run.result)] = run.entry
        return run.result

    steps = run_preset(preset, runner, endpoint="local", run_unneeded=run_unneeded)
    views = [StepView(step, entries.get(id(step.result)) if step.result is not None else None) for step in steps]
    st.session_state[state.PRESETS_RUNS][uid(preset)] = views


def run_view(preset: Preset, views: list[StepView]) -> None:
    """Each step of the last run: documented beside live, then the full raw/parsed/validation panels."""
    for view in views:
        step = view.step
        if len(views) > 1:
            st.markdown(f"##### Step {step.index + 1} · {md_escape(step.title)}")
            if step.description and step.index > 0:
                st.caption(md_escape(step.description))
        if view.entry is None:
            st.info(md_escape(step.skip_reason), icon=":material/skip_next:")
            continue
        key = f"presets_{uid(preset)}_{step.index}"
        tab_compare, tab_full = st.tabs(["Documented vs live", "Raw · parsed · validation"])
        with tab_compare:
            documented_vs_live(step, view.entry)
            if view.entry.result.error is not None:
                see_also(preset)
        with tab_full:
            results.result_view(view.entry, key=key)


def see_also(preset: Preset) -> None:
    """The reference's pages an example points to (its error-code page), quoted, with the link."""
    for ref in preset.see_also:
        with st.container(horizontal=True, vertical_alignment="center"):
            st.caption(md_escape(strip_links(ref.quote) or ref.title))
            st.link_button(md_escape(ref.title), ref.url, icon=":material/open_in_new:", type="tertiary")


def pointers(presets: list[Preset]) -> None:
    """The reference's pages the shown presets point to (its error-code page), once each, at the end."""
    seen: dict[str, Preset] = {}
    for p in presets:
        for ref in p.see_also:
            seen.setdefault(ref.url, p)
    if not seen:
        return
    st.markdown("#### Error codes")
    for p in seen.values():
        see_also(p)


def strip_links(text: str) -> str:
    """``see [Error messages](/help/...)`` → ``see Error messages``: the button beside it holds the link."""
    return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)


def documented_vs_live(step: PresetStep, entry: HistoryEntry) -> None:
    result = entry.result
    cmp = compare_to_documented(step.documented, step.expect, result)
    # Side by side at the same height; a long side (a whole response body) scrolls instead of
    # pushing the comparison below far down the page.
    doc = step.documented
    live = result.content or ""
    if result.parse is not None and result.parse.ok:
        live = json.dumps(result.parse.value, indent=2)
    texts = [doc.return_result if doc is not None else "", live]
    if doc is not None and doc.has_value and doc.kind != "content":
        texts[0] += "\n" + json.dumps(doc.value, indent=2)
    height = PANEL_HEIGHT if max(t.count("\n") + 1 for t in texts) > PANEL_MAX_LINES else "stretch"
    col_doc, col_live = st.columns(2)
    with col_doc, st.container(border=True, height=height):
        documented_panel(doc)
    with col_live, st.container(border=True, height=height):
        live_panel(step, entry, cmp.error_matches)
    expectation_line(step.expect, cmp.problems)
    thinking_note(step, result)
    if cmp.rows is None:
        st.caption(md_escape(cmp.note))
        if doc is not None and doc.kind in ("content", "response_body", "printed") and result.content:
            diff = text_diff(doc.return_result, result.content, "documented", "live")
            if diff:
                st.code(diff, language="diff")
        return
    if not cmp.rows:
        st.success("Same keys, types and values as the documented result.", icon=":material/check:")
        return
    n = len(cmp.rows)
    st.markdown(f"**{n} difference{'s' if n != 1 else ''} from the documented result**: {counts_text(cmp.counts)}")
    found, total = cmp.values_found
    if total:
        st.caption(f"{found} of {total} documented values came back under the same key, wherever the live "
                   "result put them.")
    table = pd.DataFrame(documented_diff_table(cmp.rows))
    # a dark text on the light marks, so the kind stays readable in the dark theme too
    styled = table.style.map(lambda kind: f"background-color: {DIFF_COLORS[kind]}; color: #1f2328"
                             if kind in DIFF_COLORS else "", subset=["kind"])
    st.dataframe(styled, hide_index=True, width="stretch",
                 column_config={"path": st.column_config.TextColumn(width="medium"),
                                "kind": st.column_config.TextColumn(width="small"),
                                "documented": st.column_config.TextColumn(width="large"),
                                "live": st.column_config.TextColumn(width="large")})
    st.caption(DIFF_LEGEND)


def documented_panel(doc: Documented | None) -> None:
    st.markdown("**Documented** :gray[· the reference]")
    if doc is None:
        st.caption("This preset records no documented result.")
        return
    st.caption(DOCUMENTED_KINDS[doc.kind])
    if doc.kind == "described":
        st.info(md_escape(doc.return_result), icon=":material/menu_book:")
    elif doc.kind == "error":
        st.error(md_escape(doc.return_result), icon=":material/error:")
    else:
        st.code(doc.return_result, language="json" if doc.return_result.lstrip()[:1] in "{[" else None,
                wrap_lines=True)
    if doc.has_value and doc.kind != "content":
        st.caption("Compared as" + (f" ({md_escape(doc.value_note)})" if doc.value_note else "") + ":")
        st.code(json.dumps(doc.value, indent=2, ensure_ascii=False), language="json", wrap_lines=True)


def live_panel(step: PresetStep, entry: HistoryEntry, error_matches: bool | None) -> None:
    r = entry.result
    served = f" · served by {md_escape(r.served_by)}" if r.served_by else ""
    took = f" · {r.latency_s:.1f} s" if r.latency_s is not None else ""
    st.markdown(f"**Live** :gray[· {md_escape(step.request.model)} on the local engine{served}{took}]")
    if r.error is not None:
        head = f"HTTP {r.error.status}" if r.error.status else r.error.kind.replace("_", " ").capitalize()
        code = f" · {md_escape(r.error.code)}" if r.error.code else ""
        st.caption(f"the server's error: {head}{code}")
        st.error(md_escape(r.error.message), icon=":material/error:")
        if error_matches is True:
            st.success("Word for word the documented error.", icon=":material/check:")
        elif error_matches is False:
            st.warning("Not the documented error text.", icon=":material/difference:")
        return
    verdicts = {"valid": "parses and is valid against the schema", "invalid": "parses, but breaks the schema",
                "parsed": "parses as JSON", "not JSON": "does not parse as JSON",
                "truncated": "cut off (finish reason length): does not parse"}
    parsed = r.parse is not None and r.parse.ok
    # Indented like the documented side so the two line up; as received in the other tab.
    shown = " (shown indented; the raw text is in the next tab)" if parsed else ""
    st.caption(f"the message content · {verdicts.get(r.verdict, r.verdict)}{shown}")
    if r.truncated:
        st.warning("Cut off by max_tokens before the JSON closed.", icon=":material/content_cut:")
    if parsed:
        st.code(json.dumps(r.parse.value, indent=2, ensure_ascii=False), language="json", wrap_lines=True)
    elif r.content:
        st.code(r.content, language=None, wrap_lines=True)
    else:
        st.caption("The answer is empty.")


def expectation_line(expect: Expectation, problems: list[str]) -> None:
    wanted = EXPECTED[expect.outcome]
    if expect.outcome == "error" and expect.status:
        wanted += f" (HTTP {expect.status})"
    if not problems:
        st.markdown(f":green[:material/check_circle:] Expected outcome: {wanted}: **as documented**.")
        return
    lines = "".join(f"\n- {md_escape(p)}" for p in problems)
    st.warning(f"Expected outcome: {wanted}: **not met**{lines}", icon=":material/report:")


def thinking_note(step: PresetStep, result: RunResult) -> None:
    """Say plainly what thinking mode did: the local engine accepts the switch but has no thinking model."""
    if step.request.enable_thinking is not True or result.error is not None:
        return
    if result.reasoning:
        st.caption(f"The model thought first ({len(result.reasoning)} characters of reasoning; see the full panels).")
    elif step.request.endpoint == "local":
        st.info("No reasoning came back: the local engine accepts `enable_thinking` but its small model has no "
                "thinking mode, so this is a direct answer. On DashScope, qwen-plus would think first.",
                icon=":material/psychology:")
    else:
        st.caption("No reasoning came back from the server.")


# ---------------------------------------------------------------- my presets: save, export, import

def notices() -> None:
    for level, text in st.session_state[state.PRESETS_NOTICES]:
        icon = {"success": ":material/check:", "warning": ":material/warning:", "error": ":material/error:"}[level]
        getattr(st, level)(md_escape(text), icon=icon)


def _save() -> None:
    ss = st.session_state
    title = ss[state.PRESETS_SAVE_TITLE].strip()
    if not title:
        ss[state.PRESETS_NOTICES] = [("error", "Give the preset a title first.")]
        return
    try:
        preset = request_to_preset(state.current_request(), title,
                                   description=ss[state.PRESETS_SAVE_DESCRIPTION].strip())
        existed = (user_presets_dir() / f"{preset.id}.json").is_file()
        path = save_user_preset(preset)
    except PresetError as e:
        ss[state.PRESETS_NOTICES] = [("error", f"Not saved: {e}")]
        return
    except OSError as e:
        ss[state.PRESETS_NOTICES] = [("error", f"Not saved: cannot write to {user_presets_dir()}: {e.strerror or e}")]
        return
    again = " (it replaces your earlier preset with that title)" if existed else ""
    ss[state.PRESETS_NOTICES] = [("success", f"Saved “{preset.title}” to {path}{again}.")]


def save_form() -> None:
    """Save what the playground holds now as a preset of one's own; the key is never part of it."""
    req = state.current_request()
    images = f" · {len(req.images)} image{'s' if len(req.images) != 1 else ''}" if req.images else ""
    if req.video is not None:
        images += " · a video URL" if req.video.url else f" · a video of {len(req.video.frames)} frames"
    st.caption(f"The playground now holds: {md_escape(req.model or '(no model)')} · {MODE_LABELS[req.mode]} · "
               f"{PROTOCOL_LABELS[req.protocol]}{images}. Model, mode, prompts, schema, images, the video (as its "
               f"frames, up to {max_preset_video_bytes() / 1e6:.0f} MB) and parameters are saved; the endpoint and "
               "any API key are not.")
    col_title, col_desc = st.columns([2, 3])
    col_title.text_input("Title", key=state.PRESETS_SAVE_TITLE, placeholder="e.g. Invoice fields, strict")
    col_desc.text_input("Description (optional)", key=state.PRESETS_SAVE_DESCRIPTION)
    st.button("Save as my preset", key=state.PRESETS_SAVE_BUTTON, on_click=_save, icon=":material/bookmark_add:")
    st.caption(f"Your presets are files in {md_escape(user_presets_dir())} (set `SOP_USER_PRESETS_DIR` to move "
               "them).")


def export_form(presets: list[Preset]) -> None:
    """Pick presets and download them as one JSON file (shipped images embedded, so it stands alone)."""
    by_uid = {uid(p): p for p in presets}
    ss = st.session_state
    ss[state.PRESETS_EXPORT_PICK] = [u for u in ss[state.PRESETS_EXPORT_PICK] if u in by_uid]
    picked = st.multiselect("Presets to export", list(by_uid), key=state.PRESETS_EXPORT_PICK,
                            format_func=lambda u: by_uid[u].title + (" (yours)" if by_uid[u].origin == "user" else ""),
                            placeholder="Pick one or more presets")
    chosen = [by_uid[u] for u in picked]
    if len(chosen) == 1:
        data, name = export_preset(chosen[0]), f"{chosen[0].id}.json"
    else:
        data, name = (export_presets(chosen) if chosen else b""), "presets.json"
    label = f"Download {len(chosen)} preset{'s' if len(chosen) != 1 else ''} (JSON)" if chosen else "Download (JSON)"
    st.download_button(label, data,
                       file_name=name, mime="application/json", key="presets.export", disabled=not chosen,
                       icon=":material/download:", on_click="ignore")


def _import() -> None:
    """Uploader callback: validate every file as data only, keep the good presets, name each problem."""
    ss = st.session_state
    files = ss.get(_import_key()) or []
    found: list[tuple[str, str]] = []
    mine = {p.id for p in load_user_presets()[0]}
    for f in files:
        try:
            imported = import_presets(f.getvalue(), f.name)
            for p in imported:
                save_user_preset(p)
                again = " (replacing your preset with the same id)" if p.id in mine else ""
                found.append(("success", f"Imported “{p.title}” from {f.name}{again}."))
        except PresetError as e:
            found.append(("error", f"Not imported: {e}"))
        except OSError as e:
            found.append(("error", f"Not imported: cannot write to {user_presets_dir()}: {e.strerror or e}"))
    ss[state.PRESETS_NOTICES] = found
    ss[state.PRESETS_IMPORT_VERSION] += 1


def _import_key() -> str:
    return f"presets.import{st.session_state[state.PRESETS_IMPORT_VERSION]}"


def import_form() -> None:
    st.file_uploader("Import preset files (.json: one preset, or a list of them)", type=["json"],
                     accept_multiple_files=True, key=_import_key(), on_change=_import,
                     help="Files are read as data only and checked field by field; nothing in them is run.")
