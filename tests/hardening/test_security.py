"""Key hygiene and exposure.

- A canary-key session: the key in ``DASHSCOPE_API_KEY`` and other keys typed in the sidebar, runs on
  the local engine and on a fake DashScope endpoint (both protocols, streamed and not), a fake server
  that echoes the key back in errors and in answers, a custom server with its own typed key, a
  preset saved and exported, code snippets, a batch with its CSV/JSONL downloads, the history; then
  every file written (temp dir, user presets, exports, test artifacts, recent files in /tmp and in
  the checkout), every log line captured and everything kept in the session is searched for the
  canaries: none appears.
- The local engine binds loopback unless told otherwise, says so loudly when told, and never gets
  the DashScope key in its environment.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import local_engine.__main__ as engine_main
from components import state
from structured_output import clients
from structured_output.catalog import load_catalog
from structured_output.errors import CallError
from structured_output.export import generate
from structured_output.local import LocalEngine
from structured_output.presets import export_presets, load_user_presets, request_to_preset, save_user_preset
from structured_output.request import Request
from structured_output.result import RunResult, finish
from structured_output.runs.batch import BatchJob, build_items, outcome_table, to_csv, to_jsonl
from structured_output.runs.history import scrub_secret
from tests.hardening.conftest import ROOT, listening_addresses, no_traceback, ready, texts
from tests.hardening.figures import Figures
from tests.servers import free_port
from tests.unit.recording_server import RecordingServer, Reply, native_completion, openai_completion

pytestmark = pytest.mark.hardening

SCAN_LIMIT_BYTES = 30 * 1024 * 1024


def canary(kind: str) -> str:
    """A fresh key-shaped secret per run, built at run time so no source file ever contains it."""
    return f"sk-canary{kind}-" + secrets.token_hex(12)


@contextlib.contextmanager
def fake_dashscope(base: str) -> Iterator[None]:
    """Point the catalog's DashScope Singapore endpoint at ``base`` for the test (frozen dataclass)."""
    ep = load_catalog().endpoint("intl")
    saved = ep.compatible_url, ep.native_url
    object.__setattr__(ep, "compatible_url", f"{base}/compatible-mode/v1")
    object.__setattr__(ep, "native_url", f"{base}/api/v1")
    try:
        yield
    finally:
        object.__setattr__(ep, "compatible_url", saved[0])
        object.__setattr__(ep, "native_url", saved[1])


def files_to_scan(roots: list[Path], since: float) -> Iterator[Path]:
    """Regular files under ``roots`` modified since ``since`` (the checkout's .git and .venv skipped)."""
    for root in roots:
        if root.is_file():
            yield root
            continue
        for dirpath, dirnames, filenames in os.walk(root, onerror=lambda e: None):
            dirnames[:] = [d for d in dirnames if d not in (".git", ".venv", "node_modules", ".node")]
            for name in filenames:
                path = Path(dirpath) / name
                with contextlib.suppress(OSError):
                    st = path.lstat()
                    if path.is_file() and not path.is_symlink() and st.st_mtime >= since \
                            and st.st_size <= SCAN_LIMIT_BYTES:
                        yield path


def find(needles: list[str], paths: Iterator[Path]) -> tuple[int, list[str]]:
    scanned, hits = 0, []
    raw = [n.encode() for n in needles]
    for path in paths:
        with contextlib.suppress(OSError):
            data = path.read_bytes()
            scanned += 1
            hits.extend(f"{path}: {n.decode()}" for n in raw if n in data)
    return scanned, hits


def run(at: AppTest, timeout: float = 300) -> str:
    at.button(key=state.RUN_BUTTON).click().run(timeout=timeout)
    no_traceback(at)
    return texts(at)


@pytest.mark.engine
def test_canary_keys_appear_in_no_file_no_log_no_export(
        make_app: Callable[..., AppTest], local_engine_url: str, local_engine_log: Path | None,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        capfd: pytest.CaptureFixture[str], fig: Figures) -> None:
    started = time.time() - 1
    env_key, typed_key, custom_key = canary("env"), canary("typed"), canary("custom")
    keys = [env_key, typed_key, custom_key]
    temp_dir, presets_dir, exports = tmp_path / "tmp", tmp_path / "presets", tmp_path / "exports"
    for d in (temp_dir, presets_dir, exports):
        d.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp_dir))  # whatever the app writes to "/tmp" lands here
    monkeypatch.setenv("SOP_USER_PRESETS_DIR", str(presets_dir))
    caplog.set_level(logging.INFO)  # the app's own level (Streamlit's default is info)
    port = int(local_engine_url.rsplit(":", 1)[1])

    with RecordingServer() as server, fake_dashscope(f"http://127.0.0.1:{server.port}"):
        at = make_app(port=port, env_key=env_key, timeout=300)

        # 1. the local engine (no key goes there), default JSON Object request
        page = run(at)
        assert at.session_state[state.HISTORY].entries[0].result.error is None, page[-1500:]

        # 2. DashScope (fake) with the environment's key: a 401 that quotes the key back
        at.selectbox(key=state.ENDPOINT).set_value("intl").run()
        assert "Using DASHSCOPE_API_KEY from the environment" in texts(at).replace("`", "")
        at.toggle(key=state.STREAM).set_value(False).run()
        server.replies[:] = [Reply(401, {"error": {"message": "Incorrect API key provided: {AUTH}",
                                                   "code": "invalid_api_key"}}, echo_auth=True)]
        page = run(at)
        assert server.requests[-1].headers["authorization"] == f"Bearer {env_key}"
        assert "HTTP 401" in page and "[redacted key]" in page

        # 3. a key typed in the sidebar overrides it; native protocol, an answer that echoes the key
        at.text_input(key=state.KEY_INPUT).input(typed_key).run()
        assert at.text_input(key=state.KEY_INPUT).value == ""
        at.radio(key=state.PROTOCOL).set_value("native").run()
        server.replies[:] = [Reply(body=native_completion('{"your_key": "{AUTH}"}'), echo_auth=True)]
        page = run(at)
        assert server.requests[-1].headers["authorization"] == f"Bearer {typed_key}"
        assert at.session_state[state.HISTORY].entries[0].result.content == '{"your_key": "[redacted key]"}'

        # 4. streamed, both protocols, the key in a chunk; then a 500 that quotes it
        at.toggle(key=state.STREAM).set_value(True).run()
        chunk = {"output": {"choices": [{"message": {"role": "assistant", "content": '{"k": "{AUTH}"}'},
                                         "finish_reason": "stop"}]}, "usage": {"input_tokens": 1, "output_tokens": 1},
                 "request_id": "r"}
        server.replies[:] = [Reply(sse=[chunk], echo_auth=True)]
        run(at)
        at.radio(key=state.PROTOCOL).set_value("compatible").run()
        events = [{"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                   "choices": [{"index": 0, "delta": {"content": '{"k": "{AUTH}"}'}, "finish_reason": "stop"}]},
                  "[DONE]"]
        server.replies[:] = [Reply(sse=events, echo_auth=True)]
        run(at)
        server.replies[:] = [Reply(500, {"error": {"message": "internal error for key {AUTH}"}}, echo_auth=True)] * 3
        page = run(at)
        assert "HTTP 500" in page and "[redacted key]" in page

        # 5. a custom server with its own typed key (the DashScope keys are never sent there)
        at.selectbox(key=state.ENDPOINT).set_value("custom").run()
        at.text_input(key=state.CUSTOM_URL).input(f"http://127.0.0.1:{server.port}/v1").run()
        at.text_input(key=state.CUSTOM_MODEL).input("echo-model").run()
        at.text_input(key=state.KEY_INPUT).input(custom_key).run()
        server.replies[:] = [Reply(body=openai_completion('{"key": "{AUTH}"}'), echo_auth=True)]
        at.toggle(key=state.STREAM).set_value(False).run()
        run(at)
        assert server.requests[-1].headers["authorization"] == f"Bearer {custom_key}"

        # 6. what a session leaves behind: presets, exports, snippets, a batch and its downloads
        history = at.session_state[state.HISTORY]
        for i, entry in enumerate(history.entries):
            save_user_preset(request_to_preset(entry.request, f"canary run {i}"))
            for snippet in generate(entry.request):
                (exports / f"run{i}-{snippet.filename}").write_text(snippet.code)
        (exports / "presets.json").write_bytes(export_presets(load_user_presets(presets_dir)[0]))
        req = replace(history.entries[0].request, stream=False)
        server.replies[:] = [Reply(401, {"error": {"message": "bad key {AUTH}"}}, echo_auth=True),
                             Reply(body=openai_completion('{"echo": "{AUTH}"}'), echo_auth=True)]
        job = BatchJob(build_items(req, [{"text": "a"}, {"text": "b"}], column="text"), custom_key).start()
        assert job.wait(120)
        table = outcome_table(job.outcomes())
        (exports / "batch.csv").write_bytes(to_csv(table))
        (exports / "batch.jsonl").write_bytes(to_jsonl(table))
        (exports / "history.pickle").write_bytes(pickle.dumps(history))
        (exports / "history.txt").write_text(repr(history.entries) + json.dumps(history.rows(), default=str))
        page_text = texts(at)
        kept = {k: v for k, v in at.session_state.to_dict().items()
                if k not in (state.DASHSCOPE_KEY, state.CUSTOM_KEY)}  # where typed keys rightly live
        (exports / "session.txt").write_text(page_text + "\n" + repr(kept))

    logs = caplog.text + "\n".join(capfd.readouterr())
    (exports / "captured-logs.txt").write_text(logs)
    roots = [tmp_path, presets_dir, ROOT / "test-artifacts", ROOT, Path(tempfile.gettempdir()), Path("/tmp")]
    if local_engine_log is not None:
        roots.append(local_engine_log)
    scanned, hits = find(keys, files_to_scan(roots, started))
    assert scanned > 20, f"only {scanned} files scanned"
    assert not hits, hits
    for key in keys:
        assert key not in logs and key not in page_text and key not in repr(kept)
    assert len(history.entries) >= 7 and len(list(presets_dir.glob("*.json"))) >= 7
    fig.notes.append(f"Canary keys (environment, typed, custom server): found in 0 of {scanned} files written "
                     f"or changed during the session, 0 of {len(logs.splitlines())} captured log lines, 0 exports; "
                     f"{len(history.entries)} runs incl. 3 servers echoing the key.")


def test_the_scrub_reaches_everything_derived_from_the_answer() -> None:
    """The parsed tree and the validation messages are computed before the key is scrubbed."""
    key = canary("derived")
    result = finish(RunResult(content=json.dumps({"k": key}), raw={"x": key}, reasoning=key, finish_reason="stop",
                              request_id=key), {"type": "object", "properties": {"k": {"type": "integer"}}})
    scrub_secret(result, key)
    assert key not in repr(result) and key.encode() not in pickle.dumps(result)
    assert result.parse is not None and result.parse.value == {"k": "[redacted key]"}
    failed = finish(RunResult(error=CallError("auth", f"Incorrect API key provided: {key}", "Check it.", 401)), None)
    scrub_secret(failed, key)  # an exception pickles its constructor arguments, not its attributes
    assert key.encode() not in pickle.dumps(failed) and key not in str(failed.error.args)


def test_a_stored_error_holds_no_sdk_exception_or_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's exception keeps the request (Authorization header) and the frames keep the key."""
    key = canary("frames")
    with RecordingServer() as server:
        server.replies.append(Reply(401, {"error": {"message": "no"}}))
        req = Request(model="m", endpoint="custom", custom_base_url=f"http://127.0.0.1:{server.port}/v1",
                      user_text="x")
        err = clients.run(req, key, max_retries=0).error
    assert err is not None and err.status == 401
    assert err.__context__ is None and err.__cause__ is None and err.__traceback__ is None


# ---------------------------------------------------------------- the engine's exposure

def test_the_engine_binds_loopback_by_default(monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    assert engine_main.parse_args([]).host == "127.0.0.1"
    assert LocalEngine(port=1).command[-4:] == ["--host", "127.0.0.1", "--port", "1"]
    started: list[dict[str, Any]] = []
    monkeypatch.setattr(engine_main, "Engine", lambda *a, **kw: object())
    monkeypatch.setattr(engine_main, "create_app", lambda engine: "app")
    monkeypatch.setattr(engine_main.uvicorn, "run", lambda app, **kw: started.append(kw))
    with caplog.at_level(logging.WARNING, logger="local_engine"):
        engine_main.main(["--port", "9"])
        assert started[-1]["host"] == "127.0.0.1" and not caplog.records
        engine_main.main(["--host", "0.0.0.0", "--port", "9"])
    assert started[-1]["host"] == "0.0.0.0"
    assert any("anyone who can reach this address can use it" in r.getMessage() for r in caplog.records)


@pytest.mark.engine
def test_a_running_engine_listens_on_loopback_only(private_engine: LocalEngine) -> None:
    pid = ready(private_engine)
    addresses = listening_addresses(pid)
    assert addresses and all(addr in ("127.0.0.1", "::1") for addr, _ in addresses), addresses
    assert private_engine.port in [p for _, p in addresses]


def test_the_engine_process_never_gets_the_dashscope_key(tmp_path: Path) -> None:
    """The supervisor hands the engine the app's environment minus the keys (the engine takes none)."""
    key = canary("engine-env")
    out = tmp_path / "env.json"
    script = (f"import json, os; json.dump(dict(os.environ), open({str(out)!r}, 'w')); "
              "import time; time.sleep(30)")
    engine = LocalEngine(port=free_port(), command=[sys.executable, "-c", script], log_dir=tmp_path,
                         env={**os.environ, "DASHSCOPE_API_KEY": key, "OPENAI_API_KEY": key})
    try:
        engine.ensure_started()
        deadline = time.monotonic() + 60
        while not out.exists() or not out.read_text().endswith("}"):
            assert time.monotonic() < deadline, "the stand-in engine never wrote its environment"
            time.sleep(0.1)
    finally:
        engine.stop()
    seen = json.loads(out.read_text())
    assert "DASHSCOPE_API_KEY" not in seen and "OPENAI_API_KEY" not in seen and key not in out.read_text()
    assert seen.get("PYTHONUNBUFFERED") == "1"  # the rest of the environment is passed on
