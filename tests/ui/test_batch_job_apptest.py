"""The batch page's job path with AppTest against the real local engine: start a job, see it listed
by the service, its results in the same table; a new session (a reloaded page) finds the job in the
service's list and opens it. And correctness against expected values: a CSV with an expected column
per field scores every row beside its validity; the mode column comes first."""

from __future__ import annotations

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from tests.ui.page_harness import RUN_TIMEOUT_S, open_page, plain, texts

SCHEMA = json.dumps({"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                     "required": ["name", "age"], "additionalProperties": False})


def setup_template(at: AppTest) -> None:
    at.session_state[state.MODE] = "json_schema"
    at.session_state[state.SCHEMA_TEXT] = SCHEMA
    at.session_state[state.SYSTEM_PROMPT] = "Extract the person's name and age as JSON."
    at.session_state[state.SET_MAX_TOKENS] = True
    at.session_state[state.MAX_TOKENS] = 24


def poll_until(at: AppTest, done: object, timeout_s: float = RUN_TIMEOUT_S) -> None:
    """Rerun as the page's polling fragment would, until ``done(at)``."""
    deadline = time.monotonic() + timeout_s
    while True:
        at.run()
        assert not at.exception, at.exception
        if done(at):  # type: ignore[operator]
            return
        assert time.monotonic() < deadline, "timed out waiting for the job"
        time.sleep(1)


def results_table(at: AppTest):
    return next(d.value for d in at.dataframe if "verdict" in d.value.columns)


@pytest.mark.engine
def test_a_job_runs_on_the_service_and_a_new_session_finds_it(monkeypatch: pytest.MonkeyPatch,
                                                              local_engine_url: str) -> None:
    at = open_page(monkeypatch, "batch", local_engine_url)
    setup_template(at)
    at.text_area(key=state.BATCH_PASTE).input("I am Alex Brown, 34 years old.\nLi Wei is 20.").run()
    at.radio(key=state.BATCH_RUN_AS).set_value("job").run()
    start = at.button(key=state.BATCH_RUN_BUTTON)
    assert start.label == "Start a job of 2 rows" and not start.disabled
    assert "as one batch job" in texts(at)
    start.click().run()
    assert not at.exception, at.exception
    job_id = at.session_state[state.BATCH_REMOTE_ID]
    listed = at.selectbox(key=state.BATCH_REMOTE_PICK).options  # listed by the service (formatted)
    assert job_id and any(o.startswith(f"{job_id} · ") for o in listed)
    poll_until(at, lambda a: "Results" in texts(a))
    assert f"Job {job_id} completed: 2 answered, 0 refused or failed, of 2." in texts(at)
    table = results_table(at)
    assert list(table.columns)[:3] == ["row", "repeat", "mode"]
    assert list(table["input"]) == ["I am Alex Brown, 34 years old.", "Li Wei is 20."]
    assert set(table["verdict"]) <= {"valid", "invalid", "truncated", "not JSON"}
    assert [b.label for b in at.get("download_button")] == ["Download CSV", "Download JSONL"]

    again = open_page(monkeypatch, "batch", local_engine_url)  # a reloaded page: a new session
    assert again.session_state[state.BATCH_REMOTE_ID] is None
    again.radio(key=state.BATCH_RUN_AS).set_value("job").run()
    pick = again.selectbox(key=state.BATCH_REMOTE_PICK)
    assert any(o.startswith(f"{job_id} · ") for o in pick.options)
    pick.set_value(job_id).run()
    again.button(key=state.BATCH_REMOTE_OPEN_BUTTON).click().run()
    poll_until(again, lambda a: "Results" in texts(a))
    assert list(results_table(again)["output"]) == list(table["output"])
    assert f"{job_id}: completed · 2 of 2 rows done" in texts(again) and "shown below" in texts(again)


def test_no_job_where_the_endpoint_has_no_batch_api(monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(monkeypatch, "batch")
    at.session_state[state.ENDPOINT] = "us"
    at.run()
    assert all(r.key != state.BATCH_RUN_AS for r in at.radio)
    assert "Live requests only" in texts(at) and "US (Virginia) is not documented" in texts(at)


def test_dashscope_without_a_key_says_so_and_an_unlisted_model_is_warned(monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(monkeypatch, "batch")
    at.session_state[state.ENDPOINT] = "intl"
    at.session_state[state.MODEL] = "qwen3-max"
    at.run()
    at.text_area(key=state.BATCH_PASTE).input("Ann is 5.").run()
    at.radio(key=state.BATCH_RUN_AS).set_value("job").run()
    assert any("qwen3-max is not among them" in plain(w.value) for w in at.warning)
    assert "The service's jobs could not be listed: DashScope Singapore needs an API key" in texts(at)
    at.button(key=state.BATCH_RUN_BUTTON).click().run()
    assert any("needs an API key and none is set" in plain(e.value) for e in at.error)
    assert at.session_state[state.BATCH_REMOTE_ID] is None
    assert at.text_area(key=state.BATCH_PASTE).value == "Ann is 5."  # nothing typed is lost


@pytest.mark.engine
def test_expected_values_score_correctness_beside_validity(monkeypatch: pytest.MonkeyPatch,
                                                           local_engine_url: str) -> None:
    at = open_page(monkeypatch, "batch", local_engine_url)
    setup_template(at)
    at.radio(key=state.BATCH_SOURCE).set_value("upload").run()
    at.file_uploader(key=state.BATCH_UPLOAD).set_value(
        ("people.csv", b"text,expected.name,expected.age\nAnn is 5 years old.,Ann,5\nBo is 6.,Bo,7\n",
         "text/csv")).run()
    assert "correctness scored on name, age" in plain(texts(at)).replace("`", "")
    at.button(key=state.BATCH_RUN_BUTTON).click().run()
    job = at.session_state[state.BATCH_JOB]
    poll_until(at, lambda _: job.finished)
    table = results_table(at)
    assert list(table.columns)[:3] == ["row", "repeat", "mode"]
    assert {"correct", "correct.name", "correct.age"} <= set(table.columns)
    for o, (_, r) in zip(job.outcomes(), table.iterrows(), strict=True):
        value = o.result.parse.value if o.result.parse and o.result.parse.ok else {}
        expected_age = 5 if r["row"] == 1 else 7
        age_right = isinstance(value, dict) and value.get("age") == expected_age
        assert bool(r["correct.age"]) == age_right
        name = str(value.get("name", "")).strip().lower() if isinstance(value, dict) else None
        name_right = name == ["ann", "bo"][r["row"] - 1]
        assert bool(r["correct.name"]) == name_right
        assert bool(r["correct"]) == (age_right and name_right)
    assert not table.loc[1, "correct"]  # row 2 expects 7, which "Bo is 6." does not say
    summary = next(d.value for d in at.dataframe if "runs" in d.value.columns)
    assert "correct_rate" in summary.columns and "correct_rate.age" in summary.columns
    assert "valid says the output fits the schema" in texts(at)

    at.file_uploader(key=state.BATCH_UPLOAD).set_value(
        ("bad.csv", b"text,expected\nAnn,not json\n", "text/csv")).run()
    assert at.button(key=state.BATCH_RUN_BUTTON).disabled
    assert any("must hold a JSON object" in plain(c.value) for c in at.caption)


@pytest.mark.engine
def test_cancel_job_keeps_the_rows_that_finished(monkeypatch: pytest.MonkeyPatch, local_engine_url: str) -> None:
    at = open_page(monkeypatch, "batch", local_engine_url)
    setup_template(at)
    at.text_area(key=state.BATCH_PASTE).input("Alex is 34.\nLi is 20.\nAnn is 5.\nBo is 6.\nCy is 7.").run()
    at.number_input(key=state.BATCH_REPEAT).set_value(6).run()  # 30 rows: long enough to be cancelled
    at.radio(key=state.BATCH_RUN_AS).set_value("job").run()
    at.button(key=state.BATCH_RUN_BUTTON).click().run()
    job_id = at.session_state[state.BATCH_REMOTE_ID]
    poll_until(at, lambda a: any(b.key == state.BATCH_REMOTE_CANCEL_BUTTON for b in a.button)
               and f"{job_id}: in progress" in texts(a))
    at.button(key=state.BATCH_REMOTE_CANCEL_BUTTON).click().run()
    poll_until(at, lambda a: "Results" in texts(a) or "No row finished." in texts(a))
    page = texts(at)
    assert f"Job {job_id} was cancelled" in page and "The rows that finished are kept below." in page
    done = int(page.split(f"Job {job_id} was cancelled: ")[1].split(" answered")[0])
    assert done < 30
    assert f"{30 - done} row{'s' if 30 - done != 1 else ''} did not run." in page
    if done:
        assert len(results_table(at)) == done
