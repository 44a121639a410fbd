"""Runs and editors in SQLite: a round trip keeps every field, ids survive, the file is migrated and a
bad or newer file is refused in words; clearing empties it."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from structured_output.errors import CallError
from structured_output.request import ImageInput, Request
from structured_output.result import EngineNotes, RunResult, Usage, finish
from structured_output.runs.history import History, scrub_secret
from structured_output.runs.store import MIGRATIONS, RunStore, StoreError

SCHEMA = '{"type": "object", "required": ["name"]}'


def test_runs_round_trip_and_keep_their_ids(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "h.sqlite3")
    h = History.from_store(store)
    req = Request(mode="json_object", system_prompt="JSON please", user_text="Alex", schema_text=SCHEMA,
                  images=[ImageInput("image/png", b"\x89PNG...", name="a.png")], validate_schema=False)
    ok = finish(RunResult(content='{"age": 3}', raw=[{"chunk": 1}], usage=Usage(5, 7), latency_s=1.5,
                          engine=EngineNotes(["name", "age"], "ocr note", "Alex 34")), {"type": "object",
                                                                                        "required": ["name"]})
    failed = RunResult(error=CallError("auth", "bad key", "check it", status=401, request_id="r1"))
    first = h.add(req, ok, datetime(2026, 12, 2, 1, 2, 3))
    second = h.add(req, failed)
    again = History.from_store(RunStore(tmp_path / "h.sqlite3"))  # a restart: a new store on the same file
    assert [e.id for e in again.entries] == [second.id, first.id]
    old = again.get(first.id)
    assert old is not None and old.at == datetime(2026, 12, 2, 1, 2, 3)
    assert old.request == req and old.result.verdict == "invalid"
    assert old.result.validation.errors[0].message == "'name' is a required property"
    assert old.result.engine.steered_keys == ["name", "age"] and old.result.usage.total_tokens == 12
    err = again.get(second.id).result.error
    assert isinstance(err, CallError) and err.status == 401 and err.hint == "check it"
    assert again.add(req, ok).id == second.id + 1


def test_the_key_never_reaches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    h = History.from_store(RunStore(path))
    key = "sk-canary-1234567890"
    result = scrub_secret(RunResult(error=CallError("auth", f"key {key} refused", "x")), key)
    h.add(Request(user_text="hi"), result)
    assert key.encode() not in path.read_bytes()


def test_limit_drafts_and_clear(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "h.sqlite3")
    h = History.from_store(store, limit=3)
    for i in range(5):
        h.add(Request(user_text=f"run {i}"), RunResult(content="{}"))
    assert len(History.from_store(store, limit=10)) == 3  # trimmed on disk too
    store.save_draft("playground", {"request": {"user_text": "mine"}})
    store.save_draft("playground", {"request": {"user_text": "mine, later"}})
    assert store.draft("playground") == {"request": {"user_text": "mine, later"}}
    h.clear()
    store.clear_drafts()
    assert len(History.from_store(store)) == 0 and store.draft("playground") is None


def test_an_old_file_is_migrated_and_a_bad_or_newer_one_refused(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite3"
    sqlite3.connect(old).close()  # version 0: an empty file of an earlier app
    store = RunStore(old)
    assert store.runs(5) == []
    assert sqlite3.connect(old).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)

    newer = tmp_path / "newer.sqlite3"
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    con.close()
    with pytest.raises(StoreError, match="newer version"):
        RunStore(newer).runs(5)

    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database at all, but long enough to be read as one " * 20)
    h = History.from_store(RunStore(junk))
    assert "not a SQLite database" in h.store_error and h.store is None
    h.add(Request(), RunResult(content="{}"))  # the session still keeps its runs in memory
    assert len(h) == 1


def test_a_custom_url_with_credentials_never_reaches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = RunStore(path)
    url = "http://bob:hunter2-secret@127.0.0.1:9/v1?api_key=sk-in-query-123"
    err = CallError("connection", f"Could not connect to {url}", "x")
    History.from_store(store).add(Request(endpoint="custom", custom_base_url=url), RunResult(error=err))
    store.save_draft("playground", {"request": {"custom_base_url": url}})
    data = path.read_bytes()
    assert b"hunter2-secret" not in data and b"sk-in-query-123" not in data
    plain = "http://127.0.0.1:9/v1"
    History.from_store(store).add(Request(endpoint="custom", custom_base_url=plain), RunResult(content="{}"))
    assert History.from_store(store).entries[0].request.custom_base_url == plain  # a plain URL is kept
