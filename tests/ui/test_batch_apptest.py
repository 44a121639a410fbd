"""The batch page through AppTest: rows from pasted lines, CSV and JSONL uploads, a bad file's message
with the rows kept, template errors, presets as templates, and small batches (with Cancel) against
the real local engine."""

from __future__ import annotations

import json
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from structured_output.presets import get_preset
from structured_output.runs.batch import BatchJob
from tests.ui.page_harness import open_page, plain, texts, wait_until

SCHEMA = json.dumps({"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                     "required": ["name", "age"], "additionalProperties": False})


def run_button(at: AppTest) -> Any:
    return at.button(key=state.BATCH_RUN_BUTTON)


def why_disabled(at: AppTest) -> str:
    return next((plain(c.value) for c in at.caption if "Run is disabled" in c.value), "")


@pytest.fixture
def batch(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return open_page(monkeypatch, "batch")


def test_empty_page_explains_what_is_missing(batch: AppTest) -> None:
    assert "Batch" in texts(batch)
    assert run_button(batch).disabled
    assert "No inputs yet: paste lines or upload a file." in why_disabled(batch)
    assert "One row at a time: the local engine serves one request at a time." in texts(batch)


def test_pasted_lines_repeat_and_modes_multiply_the_runs(batch: AppTest) -> None:
    at = batch
    at.text_area(key=state.BATCH_PASTE).input("I am Alex Brown, 34.\n\n  Li Wei, aged 20.  \nMaria is 41.\n").run()
    assert "3 rows from pasted lines · columns: `text`" in texts(at)
    assert list(at.dataframe[0].value["text"]) == ["I am Alex Brown, 34.", "Li Wei, aged 20.", "Maria is 41."]
    assert run_button(at).label == "Run 3 rows" and not run_button(at).disabled
    at.number_input(key=state.BATCH_REPEAT).set_value(2).run()
    at.pills(key=state.BATCH_MODES).set_value(["none", "json_schema"]).run()
    assert run_button(at).label == "Run 12 rows"
    assert "3 inputs × 2 modes × 2 repeats" in texts(at)


def test_csv_then_a_bad_jsonl_keeps_the_rows_then_a_good_jsonl(batch: AppTest) -> None:
    at = batch
    at.radio(key=state.BATCH_SOURCE).set_value("upload").run()
    at.file_uploader(key=state.BATCH_UPLOAD).set_value(
        ("people.csv", b'id,bio\n1,"Alex Brown, 34"\n2,Li Wei is 20\n', "text/csv")).run()
    assert "2 rows from people.csv · columns: `id`, `bio`" in texts(at)
    assert at.selectbox(key=state.BATCH_COLUMN).options == ["id", "bio"]
    at.selectbox(key=state.BATCH_COLUMN).set_value("bio").run()
    assert run_button(at).label == "Run 2 rows" and not run_button(at).disabled

    at.file_uploader(key=state.BATCH_UPLOAD).set_value(
        ("bad.jsonl", b'{"bio": "ok"}\n{oops}\n', "application/octet-stream")).run()
    errors = [plain(e.value) for e in at.error]
    assert any("bad.jsonl line 2, column 2: not JSON" in e and "The 2 rows of people.csv are kept." in e
               for e in errors), errors
    assert "2 rows from people.csv" in texts(at) and not run_button(at).disabled  # the inputs are kept
    assert at.selectbox(key=state.BATCH_COLUMN).value == "bio"

    at.file_uploader(key=state.BATCH_UPLOAD).set_value(
        ("more.jsonl", b'{"bio": "Ann, 5", "n": 1}\n{"bio": "Bo, 6", "n": 2}\n{"bio": "Cy, 7", "n": 3}\n',
         "application/octet-stream")).run()
    assert not at.error
    assert "3 rows from more.jsonl · columns: `bio`, `n`" in texts(at)
    assert run_button(at).label == "Run 3 rows"


def test_a_file_that_is_not_utf8_says_so(batch: AppTest) -> None:
    at = batch
    at.radio(key=state.BATCH_SOURCE).set_value("upload").run()
    at.file_uploader(key=state.BATCH_UPLOAD).set_value(("latin.csv", b"text\ncaf\xe9\n", "text/csv")).run()
    assert any("latin.csv is not UTF-8 text" in plain(e.value) for e in at.error)
    assert run_button(at).disabled and "No inputs yet" in why_disabled(at)


def test_template_errors_disable_run(batch: AppTest) -> None:
    at = batch
    at.text_area(key=state.BATCH_PASTE).input("Alex, 34\nLi, 20").run()
    at.radio(key=state.BATCH_FILL).set_value("template").run()
    at.text_area(key=state.BATCH_TEMPLATE).input("Person: {name}").run()
    assert run_button(at).disabled
    assert "The template uses {name} but the rows have no such column (columns: text)." in why_disabled(at)
    at.text_area(key=state.BATCH_TEMPLATE).input("Person: {text").run()
    assert run_button(at).disabled and "The template is malformed" in why_disabled(at)
    at.text_area(key=state.BATCH_TEMPLATE).input("Same message for all").run()
    assert not run_button(at).disabled
    assert any("every row sends the same message" in plain(w.value) for w in at.warning)
    at.text_area(key=state.BATCH_TEMPLATE).input("Extract name and age as JSON: {text}").run()
    assert not run_button(at).disabled and not at.warning


def test_a_preset_is_the_template(batch: AppTest) -> None:
    at = batch
    at.radio(key=state.BATCH_TEMPLATE_FROM).set_value("preset").run()
    at.selectbox(key=state.BATCH_PRESET).set_value("json-schema-user-info").run()
    preset = get_preset("json-schema-user-info")
    assert f"{preset.model} · JSON Schema · local/compatible · system: " in texts(at)
    at.text_area(key=state.BATCH_PASTE).input("I am Jane, 30.").run()
    assert run_button(at).label == "Run 1 row" and not run_button(at).disabled


# ---------------------------------------------------------------- against the real local engine

@pytest.fixture
def engine_batch(monkeypatch: pytest.MonkeyPatch, local_engine_url: str) -> AppTest:
    return open_page(monkeypatch, "batch", local_engine_url)


def job_of(at: AppTest) -> BatchJob:
    job = at.session_state[state.BATCH_JOB]
    assert isinstance(job, BatchJob)
    return job


@pytest.mark.engine
def test_small_batch_fills_the_table_summary_and_downloads(engine_batch: AppTest) -> None:
    at = engine_batch
    at.session_state[state.MODE] = "json_schema"
    at.session_state[state.SCHEMA_TEXT] = SCHEMA
    at.session_state[state.SYSTEM_PROMPT] = "Extract the person's name and age."
    at.text_area(key=state.BATCH_PASTE).input("I am Alex Brown, 34 years old.\nLi Wei is 20.").run()
    run_button(at).click().run()
    assert not at.exception, at.exception
    job = job_of(at)
    assert run_button(at).disabled  # one batch at a time
    wait_until(at, lambda _: job.finished)
    page = texts(at)
    assert "2 rows done in" in page and "2 of 2 rows shown." in page
    table = at.dataframe[1].value  # [0] is the preview of the inputs
    assert list(table["row"]) == [1, 2] and set(table["mode"]) == {"JSON Schema"}
    assert list(table["input"]) == ["I am Alex Brown, 34 years old.", "Li Wei is 20."]
    outcomes = job.outcomes()
    assert list(table["verdict"]) == [o.result.verdict for o in outcomes]
    assert all(o.result.error is None for o in outcomes)
    summary = at.dataframe[2].value
    assert summary.loc[0, "runs"] == 2 and summary.loc[0, "mode"] == "JSON Schema"
    assert summary.loc[0, "parsed_rate"] == pytest.approx(sum(table["parsed_ok"]) / 2)
    assert [b.label for b in at.get("download_button")] == ["Download CSV", "Download JSONL"]
    # a filter narrows the table, not the downloads
    first = table.loc[0, "verdict"]
    at.multiselect(key=state.BATCH_FILTER_VERDICT).set_value([first]).run()
    assert f"{sum(table['verdict'] == first)} of 2 rows shown." in texts(at)
    assert set(at.dataframe[1].value["verdict"]) == {first}


@pytest.mark.engine
def test_cancel_keeps_the_rows_already_done(engine_batch: AppTest) -> None:
    at = engine_batch
    at.text_area(key=state.BATCH_PASTE).input("Alex is 34.\nLi is 20.\nAnn is 5.\nBo is 6.\nCy is 7.").run()
    run_button(at).click().run()
    job = job_of(at)
    assert at.button(key=state.BATCH_CANCEL_BUTTON) is not None
    at.button(key=state.BATCH_CANCEL_BUTTON).click().run()
    assert job.cancelled
    wait_until(at, lambda _: job.finished)
    done, total = job.progress()
    assert total == 5 and 0 <= done < 5  # the row in flight finishes; no new row starts
    page = texts(at)
    assert f"Cancelled after {done} of 5 rows" in page and "The rows done are kept." in page
    if done:
        assert len(at.dataframe[1].value) == done
    assert not run_button(at).disabled  # a new batch can start
