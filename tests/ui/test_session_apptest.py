"""A person's session through AppTest (issue 14): their own task in JSON Object mode is not reported
"invalid" against the example's schema; validation is a visible choice with the schema's origin; the
schema name (and the exported class names) follow the schema; what the local engine did besides the
model is said; runs and editors come back in a new session (a reload) and can be cleared; opening a
preset over edits asks first."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from components import state
from structured_output.errors import CallError
from structured_output.request import ImageInput, Request
from structured_output.result import RunResult
from tests.ui.test_browser import profile_card
from tests.ui.test_playground_apptest import APP, RUN_TIMEOUT_S, make_app, run_button, table_with, texts
from tests.ui.test_presets_apptest import PRESETS_PAGE, uid

__all__ = ["make_app"]  # the playground tests' fixture, used here too

OWN_SYSTEM = "Extract the product, its unit price and the quantity. Return JSON."
OWN_USER = "I ordered 3 blue mugs at 4.50 each."
OWN_SCHEMA = json.dumps({"title": "Order Line", "type": "object",
                         "properties": {"product": {"type": "string"}, "quantity": {"type": "integer"}},
                         "required": ["product", "quantity"]}, indent=2)


def own_task(at: AppTest) -> None:
    at.session_state[state.SYSTEM_PROMPT] = OWN_SYSTEM
    at.session_state[state.USER_TEXT] = OWN_USER
    at.run()
    assert not at.exception, at.exception


def test_validate_against_is_a_choice_with_the_schemas_origin(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    choice = at.radio(key=state.VALIDATE_RADIO)
    assert choice.value == "schema"  # the example's prompts and its schema: checked, as the reference advises
    assert "from the getting-started example (user_info), with its prompts" in texts(at)
    assert "validated against the editor's schema" in texts(at)  # the line beside Run says so
    own_task(at)
    assert at.radio(key=state.VALIDATE_RADIO).value == "none"  # the prompts are no longer the example's
    assert "no longer that example's" in texts(at) and "· not validated ·" in texts(at)
    at.radio(key=state.VALIDATE_RADIO).set_value("schema").run()  # the user may still pick it
    assert at.radio(key=state.VALIDATE_RADIO).value == "schema"
    assert "validated against the editor's schema" in texts(at)
    at.switch_page("views/compare.py").run()  # Compare shares the choice
    assert at.radio(key=state.VALIDATE_RADIO).value == "schema" and not at.exception
    at.switch_page("views/playground.py").run()
    at.radio(key=state.MODE).set_value("json_schema").run()  # sent, so always checked: no choice shown
    assert not [r for r in at.radio if r.key == state.VALIDATE_RADIO]
    assert "Sent as `response_format`, and the answer is validated against it" in texts(at)


def test_schema_name_and_exported_classes_follow_the_schema(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    at.radio(key=state.MODE).set_value("json_schema").run()
    assert at.text_input(key=state.SCHEMA_NAME).value == "user_info"
    at.session_state[state.SCHEMA_TEXT] = OWN_SCHEMA
    at.run()
    assert at.text_input(key=state.SCHEMA_NAME).value == "order_line"
    code = "\n".join(c.value for c in at.code)
    # the sent name, and the class parse() would name it (Pydantic and zod): the schema's, not the example's
    assert '"name": "order_line"' in code and "name: \"order_line\"" in code
    assert '"OrderLine"' in code and "UserInfo" not in code and "user_info" not in code
    at.text_input(key=state.SCHEMA_NAME).set_value("my_lines").run()  # typed: kept
    at.session_state[state.SCHEMA_TEXT] = OWN_SCHEMA.replace("Order Line", "Order")
    at.run()
    assert at.text_input(key=state.SCHEMA_NAME).value == "my_lines"


@pytest.mark.engine
def test_own_task_in_json_object_mode_is_not_a_false_invalid(make_app: Callable[..., AppTest],
                                                             local_engine_url: str) -> None:
    at = make_app(local_engine_url, nav=False)
    own_task(at)
    run_button(at).click().run(timeout=RUN_TIMEOUT_S)
    assert not at.exception, at.exception
    [entry] = at.session_state[state.HISTORY].entries
    assert entry.result.error is None and entry.verdict == "parsed", entry.result
    page = texts(at)
    assert "validation error" not in page
    assert "Not checked: you chose to validate against nothing" in page
    # the engine says which keys it steered towards, read from the instruction
    assert entry.result.engine.steered_keys and "The local engine steered the keys" in page
    for key in entry.result.engine.steered_keys:
        assert f"`{key}`" in page


@pytest.mark.engine
def test_runs_and_editors_come_back_in_a_new_session_and_clear(make_app: Callable[..., AppTest],
                                                               local_engine_url: str) -> None:
    at = make_app(local_engine_url, nav=False)
    own_task(at)
    at.session_state[state.SCHEMA_TEXT] = OWN_SCHEMA
    at.run()
    run_button(at).click().run(timeout=RUN_TIMEOUT_S)
    [entry] = at.session_state[state.HISTORY].entries
    # a reload: a new session on the same SQLite file
    again = AppTest.from_file(APP, default_timeout=60)
    again.run()
    assert not again.exception, again.exception
    assert again.session_state[state.SYSTEM_PROMPT] == OWN_SYSTEM
    assert again.session_state[state.USER_TEXT] == OWN_USER
    assert again.session_state[state.SCHEMA_TEXT] == OWN_SCHEMA
    [kept] = again.session_state[state.HISTORY].entries
    assert kept.id == entry.id and kept.result.content == entry.result.content
    assert kept.request.user_text == OWN_USER
    again.button(key=state.HISTORY_CLEAR).click().run()
    assert len(again.session_state[state.HISTORY]) == 0
    third = AppTest.from_file(APP, default_timeout=60)
    third.run()
    assert len(third.session_state[state.HISTORY]) == 0


def test_images_and_video_come_back_after_a_reload_within_the_limit(make_app: Callable[..., AppTest]) -> None:
    """The editors' images and video's frames are kept with them (apart, written only when they change);
    over the preset limit of frames nothing of them is kept, and the page says so before the reload."""
    from structured_output.request import VideoInput

    at = make_app()
    card = ImageInput("image/png", profile_card(), name="card.png")
    frames = [ImageInput("image/png", profile_card(), name=f"clip @ {t}s") for t in (0, 1)]
    at.session_state[state.IMAGES] = [card]
    at.session_state[state.VIDEO] = VideoInput(frames=frames, times=[0.0, 1.0], fps=1.0, name="clip.mp4")
    at.run()
    assert not at.exception, at.exception
    assert "after a reload they are gone" not in texts(at)
    again = AppTest.from_file(APP, default_timeout=60)
    again.run()
    assert not again.exception, again.exception
    [img] = again.session_state[state.IMAGES]
    assert (img.name, img.data) == ("card.png", card.data)
    video = again.session_state[state.VIDEO]
    assert video.name == "clip.mp4" and video.times == [0.0, 1.0] and [f.data for f in video.frames] == [
        f.data for f in frames]
    # over the limit: said on the page, and the next session starts without them (the editors come back)
    noise = io.BytesIO()  # random pixels do not compress: a real PNG of ~8.7 MB
    Image.frombytes("RGB", (1700, 1700), os.urandom(1700 * 1700 * 3)).save(noise, "PNG", compress_level=0)
    again.session_state[state.IMAGES] = [card, ImageInput("image/png", noise.getvalue(), name="huge.png")]
    again.session_state[state.USER_TEXT] = "kept text"
    again.run()
    assert "after a reload they are gone" in texts(again)
    third = AppTest.from_file(APP, default_timeout=60)
    third.run()
    assert third.session_state[state.USER_TEXT] == "kept text"
    assert third.session_state[state.IMAGES] == [] and third.session_state[state.VIDEO] is None


def test_a_failed_run_has_no_none_in_the_history_table(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    at.session_state[state.HISTORY].add(Request(user_text="x"),
                                        RunResult(error=CallError("auth", "bad key", "check it", status=401)))
    at.run()
    rows = table_with(at, "verdict")
    assert list(rows["verdict"]) == ["error"] and list(rows["tokens"]) == ["–"] and list(rows["latency (s)"]) == ["–"]


def test_open_in_playground_over_edits_asks_first(make_app: Callable[..., AppTest]) -> None:
    at = make_app()
    own_task(at)
    at.switch_page(PRESETS_PAGE).run()
    key = uid("json-schema-user-info")
    at.button(key=state.preset_key("open", key)).click().run()
    assert not at.exception, at.exception
    assert at.session_state[state.SYSTEM_PROMPT] == OWN_SYSTEM  # nothing replaced yet
    assert "Replace your edits?" in texts(at) or at.session_state[state.PRESETS_CONFIRM_OPEN] == key
    assert "The playground's editors hold your own edits" in texts(at)
    at.button(key=state.preset_key("open_cancel", key)).click().run()
    assert at.session_state[state.SYSTEM_PROMPT] == OWN_SYSTEM
    at.button(key=state.preset_key("open", key)).click().run()
    at.button(key=state.preset_key("open_confirm", key)).click().run()
    assert not at.exception, at.exception
    assert at.session_state[state.SYSTEM_PROMPT] != OWN_SYSTEM  # the preset's prompts now
    # an untouched playground opens at once, no question
    at.switch_page(PRESETS_PAGE).run()
    at.button(key=state.preset_key("open", uid("getting-started", form="python-openai"))).click().run()
    assert at.session_state[state.PRESETS_CONFIRM_OPEN] is None


@pytest.mark.engine
def test_the_text_ocr_read_is_shown_with_the_result(make_app: Callable[..., AppTest], local_engine_url: str) -> None:
    at = make_app(local_engine_url, nav=False)
    at.session_state[state.MODEL] = "qwen3-vl-plus"
    at.session_state[state.SYSTEM_PROMPT] = "Extract the name and age from the image. Return JSON."
    at.session_state[state.USER_TEXT] = "The card:"
    at.session_state[state.IMAGES] = [ImageInput("image/png", profile_card(), name="card.png")]
    at.run()
    run_button(at).click().run(timeout=RUN_TIMEOUT_S)
    assert not at.exception, at.exception
    [entry] = at.session_state[state.HISTORY].entries
    assert entry.result.error is None, entry.result.error
    assert "Alex Brown" in entry.result.engine.ocr_text
    assert any(e.label.startswith("The local engine read the image text by OCR") for e in at.expander)
    assert any("Alex Brown" in c.value for c in at.code)
    assert "The model reads no pixels" in texts(at)
