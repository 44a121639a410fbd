"""The local engine killed (SIGKILL) while a request runs, at the app level: the playground says the
engine stopped and why, keeps everything typed, shows it as failed in the sidebar with a Restart
button, and the next Run starts a new engine process and works.

A real engine, started through the app's own supervisor (``private_engine``), so the process the
test kills is the one the app is using.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from components import state
from structured_output.local import LocalEngine
from tests.hardening.conftest import kill, no_traceback, ready, texts, wait_for
from tests.hardening.figures import Fault, Figures

pytestmark = [pytest.mark.engine, pytest.mark.hardening]

LONG_SCHEMA = json.dumps({"type": "object", "properties": {
    "numbers": {"type": "array", "items": {"type": "integer"}, "minItems": 400}}, "required": ["numbers"]})
SMALL_SCHEMA = json.dumps({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
                           "additionalProperties": False})
SYSTEM = "Count upwards and return JSON. \u202eمرحبا 😀"
USER = "Start at one. 👩‍👩‍👧"


def busy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).json().get("running") == 1
    except (httpx.HTTPError, ValueError):
        return False


def test_engine_killed_mid_run_is_reported_and_restarted(private_engine: LocalEngine,
                                                         make_app: Callable[..., AppTest], fig: Figures) -> None:
    pid = ready(private_engine)
    starts = private_engine.starts
    at = make_app(port=private_engine.port, timeout=900)
    assert "Local engine ready" in texts(at)
    at.radio(key=state.MODE).set_value("json_schema").run()
    at.session_state[state.SYSTEM_PROMPT] = SYSTEM
    at.session_state[state.USER_TEXT] = USER
    at.session_state[state.SCHEMA_TEXT] = LONG_SCHEMA
    at.run()
    typed = {k: at.session_state[k] for k in (state.SYSTEM_PROMPT, state.USER_TEXT, state.SCHEMA_TEXT, state.MODE,
                                               state.MODEL, state.STREAM)}

    killed = threading.Event()

    def killer() -> None:
        if wait_for(lambda: busy(private_engine.url), 300, 0.1):
            time.sleep(1.0)  # let some output stream in first
            kill(pid)
            killed.set()

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    at.button(key=state.RUN_BUTTON).click().run(timeout=600)
    thread.join(10)
    assert killed.is_set(), "the engine never started generating"
    no_traceback(at)
    page = texts(at)
    message_ok = "The local engine stopped while running this request: it was killed by signal 9" in page and \
        "the engine is started again on the next Run" in page
    assert message_ok, [str(e.value) for e in (*at.error, *at.warning)] or page[-2500:]
    intact = {k: at.session_state[k] for k in typed} == typed
    assert intact

    at.run()  # the next interaction: the sidebar shows the failure and offers a restart
    page = texts(at)
    assert "Local engine failed" in page and "killed by signal 9" in page
    assert at.button(key="conn.engine_restart") is not None

    at.session_state[state.SCHEMA_TEXT] = SMALL_SCHEMA
    at.run()
    at.button(key=state.RUN_BUTTON).click().run(timeout=900)  # starts a new engine, waits, runs
    no_traceback(at)
    entry = at.session_state[state.HISTORY].entries[0]
    usable = entry.result.error is None and entry.verdict == "valid"
    assert usable, (entry.result.error, entry.result.content)
    assert private_engine.starts == starts + 1
    new = private_engine.status()
    assert new.ready and new.pid not in (None, pid)
    assert at.session_state[state.SYSTEM_PROMPT] == SYSTEM and at.session_state[state.USER_TEXT] == USER
    fig.faults.append(Fault("local engine SIGKILLed mid-run: said so, restarted on the next Run", "app",
                            message_ok, intact, usable))
