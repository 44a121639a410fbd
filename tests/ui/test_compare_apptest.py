"""The compare page through AppTest: the columns it would run (modes, or models and endpoints), what
disables Run, the shared input, the columns and the field-by-field marking (from given results), and
runs across modes and across targets against the real local engine."""

from __future__ import annotations

import json
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from structured_output.request import Request
from structured_output.result import RunResult, Usage, finish
from structured_output.runs.compare import Outcome
from tests.ui.page_harness import RUN_TIMEOUT_S, open_page, plain, texts

SCHEMA = json.dumps({"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                     "required": ["name", "age"], "additionalProperties": False}, indent=2)


def run_button(at: AppTest) -> Any:
    return at.button(key=state.CMP_RUN_BUTTON)


@pytest.fixture
def compare(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return open_page(monkeypatch, "compare")


def test_defaults_run_the_three_modes(compare: AppTest) -> None:
    at = compare
    assert run_button(at).label == "Run 3 columns" and not run_button(at).disabled
    assert "A None (plain text) · B JSON Object · C JSON Schema" in texts(at)
    assert at.selectbox(key=state.CMP_MODEL).value == "qwen-flash"  # the playground's model
    at.pills(key=state.CMP_MODES).set_value(["json_schema"]).run()
    assert run_button(at).disabled
    assert "Pick at least two modes." in " ".join(plain(c.value) for c in at.caption)


def test_the_input_is_shared_with_the_playground(compare: AppTest) -> None:
    at = compare
    at.selectbox(key=state.CMP_MODEL).set_value("qwen-plus").run()
    assert at.session_state[state.MODEL] == "qwen-plus"
    at.switch_page("views/playground.py").run()
    assert at.selectbox(key=state.MODEL).value == "qwen-plus"
    at.selectbox(key=state.MODEL).set_value("qwen3-max").run()
    at.switch_page("views/compare.py").run()
    assert at.selectbox(key=state.CMP_MODEL).value == "qwen3-max"  # an edit there shows here


def test_across_targets_needs_what_each_column_needs(compare: AppTest) -> None:
    at = compare
    at.radio(key=state.CMP_ACROSS).set_value("targets").run()
    assert at.radio(key=state.CMP_MODE).value == "json_object"  # the playground's mode, editable here
    at.radio(key=state.CMP_N_TARGETS).set_value(3).run()
    assert run_button(at).label == "Run 3 columns" and not run_button(at).disabled
    models = [at.selectbox(key=state.cmp_target_key(i, "model")).value for i in range(3)]
    assert models[0] == "qwen-flash" and len(set(models)) == 3
    at.selectbox(key=state.cmp_target_key(1, "endpoint")).set_value("custom").run()
    at.text_input(key=state.cmp_target_key(1, "model")).input("llama3.2").run()
    assert run_button(at).disabled
    assert "Column B:" in texts(at) and "base URL" in texts(at)
    at.text_input(key=state.cmp_target_key(1, "url")).input("http://127.0.0.1:9/v1").run()
    assert not run_button(at).disabled
    assert "B llama3.2 · custom/compatible" in texts(at)


def _result(content: str | None, schema: dict[str, Any] | None, latency: float = 1.0) -> RunResult:
    return finish(RunResult(content=content, finish_reason="stop", usage=Usage(10, 5), latency_s=latency), schema)


def test_columns_lessons_and_field_marks_from_given_results(compare: AppTest) -> None:
    at = compare
    schema = json.loads(SCHEMA)
    fenced = 'Sure! Here is the JSON:\n```json\n{"name": "Alex Brown", "age": 34}\n```'
    outs = [Outcome("None (plain text)", Request(mode="none"), _result(fenced, schema)),
            Outcome("JSON Object", Request(mode="json_object"), _result('{"name": "Alex Brown", "age": "34"}', schema)),
            Outcome("JSON Schema", Request(mode="json_schema"), _result('{"name": "Alex Brown", "age": 34}', schema))]
    at.session_state[state.CMP_RESULTS] = outs
    at.run()
    assert not at.exception, at.exception
    page = texts(at)
    infos = [plain(i.value) for i in at.info]
    assert infos[0] == ("A · None (plain text): strict `json.loads` rejects the plain answer at line 1, column 1; "
                        "lenient extraction recovers a value from it.")
    assert "Structured modes: 2 of 2 answers parse with strict `json.loads`." in infos
    # the plain column: the parse error with its position, and what the lenient reader recovered
    assert "Not valid JSON at line 1, column 1: Expecting value" in page
    assert "A lenient reader would have found JSON (```json fence stripped):" in page
    assert fenced in [c.value for c in at.code]
    # B is the baseline; C differs from it at $.age (a string vs an integer)
    assert "The baseline for differences." in page and "1 difference from B" in page
    assert "1 validation error" in page  # B's "34" is not an integer
    assert "below the panels" not in page  # Compare has no table below its columns
    table = at.dataframe[0].value
    assert list(table.columns) == ["field", "B · JSON Object", "C · JSON Schema", "same"]
    rows = table.set_index("field").to_dict("index")
    assert rows["$.age"] == {"B · JSON Object": '"34"', "C · JSON Schema": "34", "same": False}
    assert rows["$.name"]["same"]
    assert "1 of 2 fields differ between the columns that parsed" in page


def test_an_error_column_is_shown_plainly(compare: AppTest) -> None:
    from structured_output.errors import CallError

    at = compare
    err = RunResult(error=CallError("connection", "The server could not be reached.", "Check the URL."),
                    latency_s=0.1)
    at.session_state[state.CMP_RESULTS] = [
        Outcome("llama · custom/compatible", Request(endpoint="custom"), finish(err, None)),
        Outcome("qwen-flash · local/compatible", Request(), _result('{"a": 1}', None))]
    at.run()
    page = texts(at)
    assert "The server could not be reached." in page and "No output: the request failed." in page
    assert "Fewer than two columns parsed as JSON" in page


def test_each_column_says_what_the_local_engine_did(compare: AppTest) -> None:
    """The steered keys and the OCR text are the engine's, not the model's: a Compare column says so as
    the playground's result does (folded, the column is narrow); a column from another server has no note."""
    from structured_output.result import EngineNotes

    at = compare
    steered = _result('{"name": "Li", "age": 20}', None)
    steered.engine = EngineNotes(steered_keys=["name", "age"], ocr_note="read from 1 image", ocr_text="LI WEI 20")
    outs = [Outcome("JSON Object", Request(mode="json_object"), steered),
            Outcome("JSON Object · DashScope", Request(mode="json_object", endpoint="intl"),
                    _result('{"name": "Li", "age": 20}', None))]
    at.session_state[state.CMP_RESULTS] = outs
    at.run()
    assert not at.exception, at.exception
    labels = [e.label for e in at.expander]
    assert labels.count("What the local engine did") == 1
    notes = next(e for e in at.expander if e.label == "What the local engine did")
    inside = " ".join(plain(i.value) for i in notes.info) + " ".join(c.value for c in notes.code)
    assert "The local engine steered the keys: `name`, `age`." in inside and "LI WEI 20" in inside
    assert "Read from 1 image." in " ".join(plain(c.value) for c in notes.caption)


def test_token_views_side_by_side(compare: AppTest) -> None:
    """With the Token view on, each column has its Tokens panel: the plain column's tokens are
    unconstrained, the JSON Object column's say what the grammar did; a column from a server without
    the mask details says where they exist."""
    at = compare

    def body(entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {"choices": [{"message": {"content": "".join(e["token"] for e in entries)},
                             "logprobs": {"content": entries}}]}

    def tok(text: str, grammar: dict[str, Any] | None = None) -> dict[str, Any]:
        e: dict[str, Any] = {"token": text, "logprob": -0.2, "bytes": None, "top_logprobs": []}
        return e | ({"grammar": grammar} if grammar else {})

    forced = {"forced": False, "allowed": 3, "removed": 0.9, "model_logprob": -5.0, "overrode": True,
              "steered": False, "forbidden": [{"token": "```", "logprob": -0.1, "bytes": None}]}
    plain_r, obj_r, remote_r = (_result(c, None) for c in ("Sure", "{}", "{}"))
    plain_r.raw, obj_r.raw = body([tok("Sure")]), body([tok("{", forced), tok("}", forced | {"overrode": False})])
    remote_r.raw = body([tok("{}")])
    outs = [Outcome("None (plain text)", Request(mode="none", logprobs=True), plain_r),
            Outcome("JSON Object", Request(mode="json_object", logprobs=True), obj_r),
            Outcome("JSON Object · DashScope", Request(mode="json_object", endpoint="intl", logprobs=True), remote_r)]
    at.session_state[state.CMP_RESULTS] = outs
    at.run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "no grammar: every token unconstrained" in page
    assert "the grammar overrode the model's first choice **1** time" in " ".join(m.value for m in at.markdown)
    assert "exists only on the local engine" in page


# ---------------------------------------------------------------- against the real local engine

@pytest.mark.engine
def test_across_modes_on_the_engine_shows_three_columns(monkeypatch: pytest.MonkeyPatch,
                                                        local_engine_url: str) -> None:
    at = open_page(monkeypatch, "compare", local_engine_url)
    at.session_state[state.SCHEMA_TEXT] = SCHEMA
    at.session_state[state.USER_TEXT] = "My name is Alex Brown and I am 34 years old."
    at.run()
    run_button(at).click().run(timeout=3 * RUN_TIMEOUT_S)
    assert not at.exception, at.exception
    outs: list[Outcome] = at.session_state[state.CMP_RESULTS]
    assert [o.request.mode for o in outs] == ["none", "json_object", "json_schema"]
    assert all(o.result.error is None for o in outs), [str(o.result.error) for o in outs]
    assert not any(o.request.stream for o in outs)
    page = texts(at)
    for i, o in enumerate(outs):
        assert f"{'ABC'[i]} · {o.label}" in page
        assert o.result.content in [c.value for c in at.code]
    # what the plain column really says
    plain_parse = outs[0].result.parse
    assert plain_parse is not None
    if plain_parse.ok:
        assert "this time the plain answer happened to be valid JSON" in page
    else:
        assert f"Not valid JSON at line {plain_parse.line}, column {plain_parse.column}" in page
        assert "strict `json.loads` rejects the plain answer" in page
        assert ("A lenient reader would have found JSON" in page) == plain_parse.lenient_ok
    # the structured columns are constrained: they parse, and JSON Schema mode validates
    assert outs[1].result.parse.ok and outs[2].result.parse.ok  # type: ignore[union-attr]
    assert outs[2].result.verdict == "valid"
    assert "Field by field" in page
    h = at.session_state[state.HISTORY]
    assert [e.request.mode for e in h.entries[:3]] == ["json_schema", "json_object", "none"]  # newest first


@pytest.mark.engine
def test_across_targets_on_the_engine_runs_both_protocols(monkeypatch: pytest.MonkeyPatch,
                                                          local_engine_url: str) -> None:
    at = open_page(monkeypatch, "compare", local_engine_url)
    at.radio(key=state.CMP_ACROSS).set_value("targets").run()
    at.radio(key=state.CMP_MODE).set_value("json_schema").run()
    at.session_state[state.SCHEMA_TEXT] = SCHEMA
    at.session_state[state.USER_TEXT] = "I am Li Wei, 20 years old."
    at.run()
    at.radio(key=state.cmp_target_key(1, "protocol")).set_value("native").run()
    run_button(at).click().run(timeout=2 * RUN_TIMEOUT_S)
    assert not at.exception, at.exception
    outs: list[Outcome] = at.session_state[state.CMP_RESULTS]
    assert [(o.request.protocol, o.request.mode) for o in outs] == [("compatible", "json_schema"),
                                                                     ("native", "json_schema")]
    assert [o.result.verdict for o in outs] == ["valid", "valid"]
    assert "output" in outs[1].result.raw  # the native shape, as received
    same = [o.result.parse.value for o in outs]  # type: ignore[union-attr]
    page = texts(at)
    assert ("Same parsed result as A." in page) == (same[0] == same[1])
