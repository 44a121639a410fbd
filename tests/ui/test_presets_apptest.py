"""The presets page through ``streamlit.testing`` (AppTest): browse, open in the playground, run here
beside the documented result, save / export / import.

Runs marked ``engine`` go to the real local engine (``local_engine_url``) through the playground's own
``results.run_with_progress``; the two-step repair flow is also driven by a fake runner so its display
is checked whatever the small model answers. User presets are written to a temporary folder
(``SOP_USER_PRESETS_DIR``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from components import state
from structured_output.errors import CallError
from structured_output.preset_run import compare_to_documented
from structured_output.presets import Preset, assets_dir, filter_presets, get_preset, load_presets, sections
from structured_output.request import Request
from structured_output.result import RunResult, finish
from structured_output.runs.service import RunService
from tests.servers import free_port
from tests.ui.test_playground_apptest import plain, texts

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PRESETS_PAGE = "views/presets.py"
RUN_TIMEOUT_S = 300
ALL = load_presets()
MISSING_JSON = ("'messages' must contain the word 'json' in some form, to use 'response_format' of type "
                "'json_object'.")


def uid(preset_id: str, origin: str = "shipped", form: str = "") -> str:
    return f"{origin}__{preset_id}" + (f"__{form}" if form else "")


def card_uid(preset: Preset) -> str:
    """The uid of what a card shows first: the preset, or its first client form's tab."""
    return uid(preset.id, preset.origin, preset.form_ids[0] if preset.forms else "")


def show_form(at: AppTest, preset_id: str, form: str, origin: str = "shipped") -> None:
    """Pick a client form's tab on an example's card (the tab's state, as a click sets it)."""
    at.session_state[state.preset_key("forms", uid(preset_id, origin))] = get_preset(preset_id, form).form.label
    at.run()
    assert not at.exception, at.exception


def shown_ids(at: AppTest) -> list[str]:
    """The presets (or client forms) whose cards or open tabs are on the page, by their Open buttons' keys."""
    prefix = state.preset_key("open", "")
    return [b.key.removeprefix(prefix) for b in at.button if b.key and b.key.startswith(prefix)]


def _presets_with_sidebar() -> None:
    """The sidebar, then the presets page: AppTest drops sidebar elements on the second run of an
    ``st.navigation`` app, so the key test drives the sidebar through this harness (as the
    playground's tests do)."""
    import runpy
    from pathlib import Path

    import components
    from components import connection, state

    state.init_defaults()
    connection.sidebar()
    runpy.run_path(str(Path(components.__file__).resolve().parents[1] / "views" / "presets.py"))


@pytest.fixture
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "my-presets"
    monkeypatch.setenv("SOP_USER_PRESETS_DIR", str(folder))
    return folder


@pytest.fixture
def make_app(monkeypatch: pytest.MonkeyPatch, user_dir: Path) -> Callable[..., AppTest]:
    """The app on the presets page, pointed at an engine port (by default a closed one, no auto start)."""

    def make(engine_url: str | None = None, *, nav: bool = True) -> AppTest:
        port = urlparse(engine_url).port if engine_url else free_port()
        monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(port))
        monkeypatch.setenv("SOP_LOCAL_ENGINE_AUTOSTART", "0")
        monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
        if nav:
            at = AppTest.from_file(APP, default_timeout=60)
            at.run()
            at.switch_page(PRESETS_PAGE)
        else:
            at = AppTest.from_function(_presets_with_sidebar, default_timeout=60)
        at.run()
        assert not at.exception, at.exception
        return at

    return make


@pytest.fixture
def engine_app(make_app: Callable[..., AppTest], local_engine_url: str) -> Iterator[AppTest]:
    yield make_app(local_engine_url)


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, str | None]]:
    """What download buttons hand to the browser: (data, file name), recorded as AppTest stores it."""
    seen: list[tuple[bytes, str | None]] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self: Any, path_or_data: Any, mimetype: str, kind: Any, filename: str | None = None) -> str:
        if isinstance(path_or_data, bytes):
            seen.append((path_or_data, filename))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return seen


def open_preset(at: AppTest, preset_id: str, origin: str = "shipped", form: str = "") -> None:
    if form:
        show_form(at, preset_id, form, origin)
    at.button(key=state.preset_key("open", uid(preset_id, origin, form))).click().run()
    assert not at.exception, at.exception


def back_to_presets(at: AppTest) -> None:
    at.switch_page(PRESETS_PAGE).run()
    assert not at.exception, at.exception


# ---------------------------------------------------------------- browsing

def test_every_preset_is_listed_with_title_section_mode_model_and_protocol(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    assert shown_ids(at) == [card_uid(p) for p in sorted(ALL, key=lambda p: sections(ALL).index(p.section))]
    page = texts(at)
    forms = sum(len(p.variants()) for p in ALL)
    assert f"{len(ALL)} of {len(ALL)} presets · {forms} client forms" in page and forms >= 30
    for section in sections(ALL):
        assert f"#### {section}" in [plain(m.value) for m in at.markdown]
    markdown = " ".join(plain(m.value) for m in at.markdown)
    for p in ALL:
        assert f"**{p.title}**" in markdown
    # an example is shown once, its client forms as tabs, in the reference's order
    image = get_preset("image-ticket-invoice")
    assert [t.label for t in at.tabs if t.label in {f.label for f in image.forms}][:6] == [f.label for f in image.forms]

    def badges() -> list[str]:
        return [plain(m.value) for m in at.markdown if "-badge[" in m.value]

    assert any("6 client forms" in b for b in badges()) and any(image.section in b for b in badges())
    show_form(at, "image-ticket-invoice", "python-dashscope")
    assert uid("image-ticket-invoice", form="python-dashscope") in shown_ids(at)
    assert uid("image-ticket-invoice", form="python-openai") not in shown_ids(at)  # one form drawn at a time
    native = image.variant("python-dashscope")
    for label in ("JSON Object", native.model, "DashScope native", "1 image"):
        assert any(label in b for b in badges()), label
    assert native.form.note in texts(at)
    assert "A multimodal model (qwen3-vl-plus) reads a receipt image" in texts(at)
    # the error-code page the reference points to, at the end of the library
    assert "#### Error codes" in [plain(m.value) for m in at.markdown]
    assert any(b.url == "https://www.alibabacloud.com/help/en/model-studio/error-code" for b in at.get("link_button"))


def test_filter_by_mode_and_section_and_search(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    at.selectbox(key=state.PRESETS_MODE).set_value("json_schema").run()
    expected = filter_presets(ALL, mode="json_schema")
    assert sorted(shown_ids(at)) == sorted(card_uid(p) for p in expected) and len(expected) >= 4
    assert f"{len(expected)} of {len(ALL)} presets" in texts(at)

    at.selectbox(key=state.PRESETS_SECTION).set_value("Configuration guide").run()
    assert sorted(shown_ids(at)) == sorted(card_uid(p) for p in filter_presets(ALL, mode="json_schema",
                                                                                section="Configuration guide"))
    at.selectbox(key=state.PRESETS_MODE).set_value("all").run()
    at.selectbox(key=state.PRESETS_SECTION).set_value("all").run()

    at.text_input(key=state.PRESETS_SEARCH).input("receipt").run()  # in the description
    assert set(shown_ids(at)) == {uid("image-ticket-invoice", form="python-openai")}
    at.text_input(key=state.PRESETS_SEARCH).input("basketball qwen-flash").run()  # prompt text and model, all words
    assert set(shown_ids(at)) == {card_uid(p) for p in filter_presets(ALL, "basketball qwen-flash")}
    at.text_input(key=state.PRESETS_SEARCH).input("David Wilson").run()  # only the Java form's prompt says it
    assert shown_ids(at) == [uid("optimize-prompts", form="python-openai")]
    at.text_input(key=state.PRESETS_SEARCH).input("no such preset anywhere").run()
    assert shown_ids(at) == [] and "No preset matches" in texts(at)
    assert not at.exception


# ---------------------------------------------------------------- open in the playground

def test_open_in_playground_loads_every_field(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    version = at.session_state[state.EDITOR_VERSION]
    open_preset(at, "image-ticket-invoice", form="python-dashscope")
    ss = at.session_state
    preset = get_preset("image-ticket-invoice", "python-dashscope")
    assert "Structured output playground" in texts(at)  # switched to the playground page
    assert ss[state.ENDPOINT] == "local" and ss[state.PROTOCOL] == "native"
    assert ss[state.MODEL] == "qwen3-vl-plus" and ss[state.MODE] == "json_object"
    assert ss[state.SYSTEM_PROMPT] == preset.system_prompt and ss[state.USER_TEXT] == preset.user_text
    assert ss[state.SCHEMA_TEXT] == preset.schema_text
    [image] = ss[state.IMAGES]
    assert image.data == (assets_dir() / "receipt.png").read_bytes() and image.mime == "image/png"
    assert image.name == "receipt.png" and image.url is None
    assert ss[state.SET_MAX_TOKENS] is False and ss[state.SET_TEMPERATURE] is False
    assert ss[state.THINKING] == "default" and ss[state.STREAM] is False
    assert ss[state.EDITOR_VERSION] == version + 1  # the editors remount with the preset's text
    assert ss[state.CURRENT] is None  # no stale result of another request under these prompts
    assert "receipt.png" in texts(at)  # the image panel shows it

    back_to_presets(at)
    open_preset(at, "json-schema-user-info")
    preset = get_preset("json-schema-user-info")
    assert ss[state.MODE] == "json_schema" and ss[state.MODEL] == "qwen-plus" and ss[state.PROTOCOL] == "compatible"
    assert ss[state.SCHEMA_NAME] == preset.schema_name and ss[state.STRICT] is preset.strict
    assert json.loads(ss[state.SCHEMA_TEXT]) == preset.json_schema and ss[state.IMAGES] == []

    back_to_presets(at)
    open_preset(at, "going-live-max-tokens-truncated")
    assert ss[state.SET_MAX_TOKENS] is True and ss[state.MAX_TOKENS] == 8

    back_to_presets(at)
    open_preset(at, "faq-thinking-repair")
    assert ss[state.THINKING] == "on" and ss[state.STREAM] is True and ss[state.MODE] == "none"


def test_open_keeps_a_dashscope_region_but_not_a_custom_server(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    at.session_state[state.ENDPOINT] = "intl"
    at.run()
    open_preset(at, "getting-started", form="python-dashscope")
    assert at.session_state[state.ENDPOINT] == "intl" and at.session_state[state.PROTOCOL] == "native"
    at.session_state[state.ENDPOINT] = "custom"
    back_to_presets(at)
    open_preset(at, "getting-started", form="python-openai")
    assert at.session_state[state.ENDPOINT] == "local" and at.session_state[state.MODEL] == "qwen-flash"


# ---------------------------------------------------------------- save, export, import

def test_save_export_import_round_trip(make_app: Callable[..., AppTest], user_dir: Path,
                                       downloads: list[tuple[bytes, str | None]]) -> None:
    at = make_app()
    ss = at.session_state
    ss[state.MODEL] = "qwen-plus"
    ss[state.MODE] = "json_schema"
    ss[state.SCHEMA_NAME] = "person"
    ss[state.SYSTEM_PROMPT] = "Extract the person."
    ss[state.USER_TEXT] = "I am Jane Smith, 30."
    ss[state.SET_TEMPERATURE] = True
    ss[state.TEMPERATURE] = 0.2
    at.run()
    at.text_input(key=state.PRESETS_SAVE_TITLE).input("Jane, strict").run()
    at.text_input(key=state.PRESETS_SAVE_DESCRIPTION).input("My own test preset").run()
    at.button(key=state.PRESETS_SAVE_BUTTON).click().run()
    path = user_dir / "user-jane-strict.json"
    assert path.is_file()
    assert any("Saved “Jane, strict”" in plain(s.value) for s in at.success)
    saved = json.loads(path.read_text())
    assert saved["model"] == "qwen-plus" and saved["mode"] == "json_schema" and saved["schema_name"] == "person"
    assert saved["temperature"] == 0.2 and saved["section"] == "My presets" and "endpoint" not in saved

    # it is listed, marked as the user's, and filterable by its section
    assert uid("user-jane-strict", "user") in shown_ids(at)
    assert at.tabs and all(t.label != "Jane, strict" for t in at.tabs)  # a one-form preset has no tabs
    at.selectbox(key=state.PRESETS_SECTION).set_value("My presets").run()
    assert shown_ids(at) == [uid("user-jane-strict", "user")]
    assert f"{len(ALL) + 1} presets (1 of them yours)" in texts(at)

    # export it: one self-contained file
    at.multiselect(key=state.PRESETS_EXPORT_PICK).select(uid("user-jane-strict", "user")).run()
    button = at.get("download_button")[0]
    assert button.label == "Download 1 preset (JSON)" and not button.disabled
    data, name = downloads[-1]
    assert name == "user-jane-strict.json" and json.loads(data)["title"] == "Jane, strict"

    # delete it, then import the exported file: it comes back
    at.button(key=state.preset_key("delete", uid("user-jane-strict", "user"))).click().run()
    assert not path.exists() and uid("user-jane-strict", "user") not in shown_ids(at)
    at.file_uploader[0].set_value(("jane.json", data, "application/json")).run()
    assert not at.exception, at.exception
    assert any("Imported “Jane, strict” from jane.json" in plain(s.value) for s in at.success)
    assert path.is_file() and uid("user-jane-strict", "user") in shown_ids(at)

    # a shipped preset exported with its image embedded imports as a user preset with the same image
    at.multiselect(key=state.PRESETS_EXPORT_PICK).set_value([uid("image-ticket-invoice")]).run()
    data, _ = downloads[-1]
    assert json.loads(data)["images"][0]["data_b64"] and len(json.loads(data)["forms"]) == 6
    at.file_uploader[0].set_value(("receipt-preset.json", data, "application/json")).run()
    assert (user_dir / "image-ticket-invoice.json").is_file()
    assert uid("image-ticket-invoice", "user", "python-openai") in shown_ids(at)  # with its forms as tabs
    show_form(at, "image-ticket-invoice", "curl-native", origin="user")
    assert uid("image-ticket-invoice", "user", "curl-native") in shown_ids(at)
    at.button(key=state.preset_key("delete", uid("image-ticket-invoice", "user"))).click().run()
    assert not (user_dir / "image-ticket-invoice.json").exists()


def test_a_saved_preset_keeps_the_playgrounds_video(make_app: Callable[..., AppTest], user_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A clip the user uploaded is saved as its sampled frames and opens again with them; a video over the
    size limit is refused with what to change, and the title typed is kept."""
    from structured_output import presets, video

    clip = video.sample((assets_dir() / "scoreboard.mp4").read_bytes(), "my match.mp4", 0.5)
    at = make_app()
    ss = at.session_state
    ss[state.MODEL] = "qwen3-vl-plus"
    ss[state.MODE] = "json_object"
    ss[state.USER_TEXT] = "The events in JSON."
    ss[state.VIDEO] = clip
    ss[state.VIDEO_FPS] = 0.5
    at.run()
    assert "a video of 6 frames" in texts(at)
    monkeypatch.setattr(presets, "max_preset_video_bytes", lambda: 1000)
    at.text_input(key=state.PRESETS_SAVE_TITLE).input("My match").run()
    at.button(key=state.PRESETS_SAVE_BUTTON).click().run()
    assert not (user_dir / "user-my-match.json").exists()
    refused = " ".join(plain(e.value) for e in at.error)
    assert "the video's 6 frames take" in refused and "Lower the sampling rate (now 0.5 fps)" in refused
    assert at.text_input(key=state.PRESETS_SAVE_TITLE).value == "My match"

    monkeypatch.undo()
    monkeypatch.setenv("SOP_USER_PRESETS_DIR", str(user_dir))
    at.button(key=state.PRESETS_SAVE_BUTTON).click().run()
    saved = json.loads((user_dir / "user-my-match.json").read_text())
    assert len(saved["video"]["frames"]) == 6 and saved["video"]["fps"] == 0.5
    ss[state.VIDEO] = None
    open_preset(at, "user-my-match", origin="user")  # over the playground's own edits: it asks first
    at.button(key=state.preset_key("open_confirm", uid("user-my-match", "user", ""))).click().run()
    back = at.session_state[state.VIDEO]
    assert back is not None and back.times == clip.times
    assert [f.data for f in back.frames] == [f.data for f in clip.frames]


def test_bad_import_names_the_field_and_keeps_the_page_usable(make_app: Callable[..., AppTest],
                                                              user_dir: Path) -> None:
    at = make_app()
    bad = {"format": 1, "id": "x", "title": "Bad", "section": "S", "model": "qwen-flash", "mode": "json_objekt",
           "expect": {"outcome": "json"}}
    at.file_uploader[0].set_value(("bad.json", json.dumps(bad).encode(), "application/json")).run()
    assert not at.exception, at.exception
    errors = " ".join(plain(e.value) for e in at.error)
    assert "Not imported: bad.json: field `mode` must be one of none, json_object, json_schema" in errors
    assert "'json_objekt'" in errors
    at.file_uploader[0].set_value(("broken.json", b'{"id": ', "application/json")).run()
    assert "broken.json: not valid JSON" in " ".join(plain(e.value) for e in at.error)
    assert not user_dir.exists() or not list(user_dir.glob("*.json"))
    # the page still works: filters, other tabs
    at.text_input(key=state.PRESETS_SEARCH).input("receipt").run()
    assert len(shown_ids(at)) == 1 and not at.exception

    # a valid file full of markup: stored as data, shown as text, nothing rendered or run
    evil = dict(bad, id="evil", mode="json_object", title="<script>alert(1)</script> [x](http://evil.example)",
                description="**bold** <img src=x onerror=alert(1)>")
    at.file_uploader[0].set_value(("evil.json", json.dumps(evil).encode(), "application/json")).run()
    at.text_input(key=state.PRESETS_SEARCH).input("").run()
    assert uid("evil", "user") in shown_ids(at)
    for kind in ("markdown", "caption", "success", "error"):
        for e in getattr(at, kind):  # every markup character arrives escaped
            assert not re.search(r"(?<!\\)<(script|img)", e.value) and "](http://evil" not in e.value
    assert any("<script>alert(1)</script> [x](http://evil.example)" in plain(m.value) for m in at.markdown)


def test_a_typed_key_never_reaches_the_saved_preset(make_app: Callable[..., AppTest], user_dir: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-presets-never-saved-0123456789"
    at = make_app(nav=False)
    at.selectbox(key=state.ENDPOINT).set_value("intl").run()
    at.text_input(key=state.KEY_INPUT).input(secret).run()
    assert at.session_state[state.DASHSCOPE_KEY] == secret
    at.text_input(key=state.PRESETS_SAVE_TITLE).input("with a key around").run()
    at.button(key=state.PRESETS_SAVE_BUTTON).click().run()
    at.selectbox(key=state.ENDPOINT).set_value("custom").run()
    at.text_input(key=state.CUSTOM_URL).input("http://127.0.0.1:9/v1").run()
    at.session_state[state.CUSTOM_MODEL] = "my-model"  # the playground's model field
    at.text_input(key=state.KEY_INPUT).input(secret + "-custom").run()
    monkeypatch.setenv("DASHSCOPE_API_KEY", secret + "-env")
    at.text_input(key=state.PRESETS_SAVE_TITLE).input("custom server").run()
    at.button(key=state.PRESETS_SAVE_BUTTON).click().run()
    files = sorted(user_dir.glob("*.json"))
    assert [f.name for f in files] == ["user-custom-server.json", "user-with-a-key-around.json"]
    for f in files:
        text = f.read_text()
        assert "sk-presets" not in text and "127.0.0.1:9" not in text and "key" not in json.loads(text)
    assert json.loads(files[0].read_text())["model"] == "my-model"
    assert secret not in texts(at)


# ---------------------------------------------------------------- run here (real engine)

@pytest.mark.engine
def test_run_here_sets_the_live_result_beside_the_documented_one(engine_app: AppTest) -> None:
    at = engine_app
    preset = get_preset("getting-started", "python-openai")
    at.button(key=state.preset_key("run", uid(preset.id, form="python-openai"))).click().run(timeout=RUN_TIMEOUT_S)
    assert not at.exception, at.exception
    page = texts(at)
    assert "**Documented** :gray[· the reference]" in [m.value for m in at.markdown]
    assert any(m.value.startswith("**Live** :gray[· qwen") for m in at.markdown)
    assert "the message content the reference shows" in page and "served by" in page
    assert '"name": "Alex Brown"' in " ".join(c.value for c in at.code)  # the documented content
    [entry] = at.session_state[state.HISTORY].entries  # the run is in the playground's history
    assert entry.request.model == "qwen-flash" and entry.request.endpoint == "local"
    shown = json.dumps(entry.result.parse.value, indent=2, ensure_ascii=False)
    assert shown in [c.value for c in at.code]  # the live JSON, indented like the documented side
    assert "Expected outcome: JSON that parses: **as documented**." in page
    if entry.result.parse.value == preset.documented.value:
        assert "Same keys, types and values as the documented result." in page
    else:
        table = at.dataframe[0].value
        assert list(table.columns) == ["path", "kind", "documented", "live"]
        # the rows the domain finds between the two, in its order (not just "some kind of difference")
        rows = compare_to_documented(preset.documented, preset.expect, entry.result).rows or []
        assert len(rows) >= 1
        assert list(zip(table["path"], table["kind"], strict=True)) == [(r.path, r.kind) for r in rows]
        assert "difference" in page and "**missing**: in the documented result" in page
    # the full panels, as in the playground
    for title in ("Output", "Parsed result", "Validation"):
        assert f"**{title}**" in [m.value for m in at.markdown]
    # opening it now shows this run in the playground
    open_preset(at, preset.id, form="python-openai")
    assert at.session_state[state.CURRENT] == entry.id and "Run #1" in texts(at)


@pytest.mark.engine
def test_a_client_form_runs_through_its_own_protocol_beside_its_own_documented_result(engine_app: AppTest) -> None:
    """The Java getting-started form: native protocol, its own prompts, the documented answer of the Java sample."""
    at = engine_app
    show_form(at, "getting-started", "java-dashscope")
    form = get_preset("getting-started", "java-dashscope")
    at.button(key=state.preset_key("run", uid("getting-started", form="java-dashscope"))).click().run(
        timeout=RUN_TIMEOUT_S)
    assert not at.exception, at.exception
    [entry] = at.session_state[state.HISTORY].entries
    assert (entry.request.protocol, entry.request.system_prompt) == ("native", form.system_prompt)
    assert entry.result.error is None and entry.result.served_by
    codes = [c.value for c in at.code]
    assert form.documented.return_result in codes  # the Java sample's documented answer
    assert any("public class Main" in c for c in codes)  # and its code, in the details
    assert "Expected outcome: JSON that parses: **as documented**." in texts(at)
    # the other forms keep their own state: switching tabs shows the Python form, not yet run
    show_form(at, "getting-started", "python-openai")
    assert uid("getting-started", form="python-openai") in shown_ids(at)
    assert not any(m.value.startswith("**Live**") for m in at.markdown)
    show_form(at, "getting-started", "java-dashscope")
    assert any(m.value.startswith("**Live**") for m in at.markdown)  # the Java run is still there


@pytest.mark.engine
def test_missing_json_preset_shows_the_documented_error_beside_the_live_400(engine_app: AppTest) -> None:
    at = engine_app
    at.button(key=state.preset_key("run", uid("missing-json-keyword-error"))).click().run(timeout=RUN_TIMEOUT_S)
    assert not at.exception, at.exception
    errors = [plain(e.value) for e in at.error]
    assert errors.count(MISSING_JSON) == 2  # documented, and the server's own message, side by side
    page = texts(at)
    assert "the error text the reference quotes" in page and "the server's error: HTTP 400" in page
    assert "Word for word the documented error." in page
    assert "Expected outcome: the call is refused (HTTP 400): **as documented**." in page


@pytest.mark.engine
def test_truncated_preset_shows_the_cut(engine_app: AppTest) -> None:
    at = engine_app
    at.button(key=state.preset_key("run", uid("going-live-max-tokens-truncated"))).click().run(timeout=RUN_TIMEOUT_S)
    page = texts(at)
    assert "Cut off by max_tokens before the JSON closed." in page
    assert "cut off (finish reason length): does not parse" in page
    assert "The output was cut off" in page  # the full panels say it too
    assert "**as documented**" in page and "describes the behaviour" in page


# ---------------------------------------------------------------- the two-step repair flow (fake runner)

@pytest.fixture
def fake_runs(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, str]], list[Request]]:
    """Replace the call on the playground's road (the road itself, with its history, stays): answers by
    model name, records what was sent. No engine: the road does not wait for one."""
    import components.results

    def install(answers: dict[str, str]) -> list[Request]:
        sent: list[Request] = []

        def fake(req: Request, api_key: str | None, **_hooks: Any) -> RunResult:
            sent.append(req)
            answer = answers[req.model]
            if answer.startswith("error:"):
                return finish(RunResult(error=CallError("http", answer[6:], "", 400), latency_s=0.1), None)
            return finish(RunResult(content=answer, finish_reason="stop", served_by="fake", latency_s=0.1),
                          req.schema())

        monkeypatch.setattr(components.results, "road",
                            lambda **_kw: RunService(history=state.history(), runner=fake))
        return sent

    return install


def test_repair_flow_shows_both_steps_and_says_thinking_did_not_happen(
        make_app: Callable[..., AppTest], fake_runs: Callable[[dict[str, str]], list[Request]]) -> None:
    thinking_answer = "Name: Alex Brown; age: 34 years old; email alexbrown@example.com"
    sent = fake_runs({"qwen-plus": thinking_answer,
                      "qwen-flash": '{"info": {"name": "Alex Brown", "age": "34 years old"}}'})
    at = make_app()
    at.button(key=state.preset_key("run", uid("faq-thinking-repair"))).click().run()
    assert not at.exception, at.exception
    assert [(r.model, r.mode, r.enable_thinking) for r in sent] == [("qwen-plus", "none", True),
                                                                   ("qwen-flash", "json_object", None)]
    assert sent[1].user_text == thinking_answer
    headings = [plain(m.value) for m in at.markdown if m.value.startswith("##### Step")]
    assert headings == ["##### Step 1 · qwen-plus, no response_format, thinking on",
                        "##### Step 2 · Repair the answer with a JSON Object call"]
    page = texts(at)
    assert "No reasoning came back: the local engine accepts `enable_thinking`" in page
    assert "does not parse as JSON" in page and "parses as JSON" in page
    assert page.count("**as documented**") == 2
    assert len(at.session_state[state.HISTORY]) == 2


def test_repair_step_is_not_run_when_step_one_parses(make_app: Callable[..., AppTest],
                                                     fake_runs: Callable[[dict[str, str]], list[Request]]) -> None:
    sent = fake_runs({"qwen-plus": '{"info": {"name": "Alex Brown"}}', "qwen-flash": '{"fixed": true}'})
    at = make_app()
    at.button(key=state.preset_key("run", uid("faq-thinking-repair"))).click().run()
    assert len(sent) == 1 and "Not run: the previous answer already parses as JSON" in texts(at)
    at.checkbox(key=state.preset_key("run_unneeded", uid("faq-thinking-repair"))).check().run()
    at.button(key=state.preset_key("run", uid("faq-thinking-repair"))).click().run()
    assert len(sent) == 3 and sent[-1].model == "qwen-flash" and "Not run" not in texts(at)
