"""Shared fixtures. ``local_engine_url`` gives a running local engine (the real model) to any test that
asks for it, started once per test session.

Set ``SOP_TEST_ENGINE_URL=http://127.0.0.1:8311`` to reuse an engine that is already running (faster
when iterating); otherwise ``python -m local_engine`` is started on a free loopback port, its output
goes to a log file, and a failure to start shows that log's tail (``tests/servers.py`` starts it).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import free_port, healthy, start_server, stop_process

ROOT = Path(__file__).resolve().parents[1]
ENGINE_URL_ENV = "SOP_TEST_ENGINE_URL"
# The first start assembles the model file from its package and builds the tokenizer; a busy 2-core CI
# machine may also be compiling or running other suites meanwhile.
ENGINE_START_TIMEOUT_S = float(os.environ.get("SOP_TEST_ENGINE_TIMEOUT", "900"))
_ENGINE_LOG = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Recent custom URLs and the batch jobs' files go to a folder of this test session, never to the user's
    data folder (the app servers the browser tests start inherit it)."""
    if not os.environ.get("SOP_RECENT_URLS_FILE"):
        import tempfile

        os.environ["SOP_RECENT_URLS_FILE"] = str(Path(tempfile.mkdtemp(prefix="sop-test-")) / "recent_urls.json")
    if not os.environ.get("SOP_BATCH_JOBS_DIR"):  # what the batch page keeps of its jobs, likewise
        import tempfile

        os.environ["SOP_BATCH_JOBS_DIR"] = tempfile.mkdtemp(prefix="sop-test-jobs-")


@pytest.fixture(autouse=True)
def own_history_db(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test keeps runs and editors in a SQLite file of its own (AppTest sessions read it at start),
    never in the user's data folder."""
    monkeypatch.setenv("SOP_HISTORY_DB", str(tmp_path_factory.mktemp("history") / "playground.sqlite3"))


@pytest.fixture(scope="session")
def local_engine_url(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[str]:
    """Base URL of a ready local engine, e.g. ``http://127.0.0.1:40123`` (no trailing slash).

    Compatible protocol: ``f"{url}/compatible-mode/v1"``; native: ``f"{url}/api/v1"``.
    """
    reuse = os.environ.get(ENGINE_URL_ENV, "").strip().rstrip("/")
    if reuse:
        deadline = time.monotonic() + ENGINE_START_TIMEOUT_S
        while not healthy(f"{reuse}/health"):
            if time.monotonic() > deadline:
                pytest.fail(f"{ENGINE_URL_ENV}={reuse} is not ready (GET /health is not 200)")
            time.sleep(1)
        yield reuse
        return

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("local_engine") / "engine.log"
    pytestconfig.stash[_ENGINE_LOG] = log_path
    proc = start_server([sys.executable, "-m", "local_engine", "--host", "127.0.0.1", "--port", str(port)],
                        f"{url}/health", log_path, what="the local engine", timeout_s=ENGINE_START_TIMEOUT_S)
    try:
        yield url
    finally:
        stop_process(proc)


@pytest.fixture(scope="session")
def local_engine_log(local_engine_url: str, pytestconfig: pytest.Config) -> Path | None:
    """The log file of the engine this session started (None when reusing ``SOP_TEST_ENGINE_URL``)."""
    return pytestconfig.stash.get(_ENGINE_LOG, None)
