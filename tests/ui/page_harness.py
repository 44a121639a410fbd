"""Opening one page of the app in AppTest, shared by the compare, batch and code export tests.

The app is run through ``app.py`` (its ``st.navigation`` and shared sidebar) and switched to the page,
so the page sees the same session defaults as in the browser. None of these tests drive sidebar
widgets (AppTest drops sidebar elements on the second run of an ``st.navigation`` app).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from streamlit.testing.v1 import AppTest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
RUN_TIMEOUT_S = 300  # one run on a busy 2-core machine, model loaded


def plain(text: str) -> str:
    """Markdown as the user reads it: the escaping backslashes, bold marks and the invisible word joiners
    that keep URLs from becoming links removed."""
    return text.replace("\\", "").replace("**", "").replace("\u2060", "")


def texts(at: AppTest) -> str:
    """Every piece of text the page shows, unescaped, for "does the page say X" checks."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "code", "text"):
        parts.extend(plain(str(e.value)) for e in getattr(at, kind))
    parts.extend(e.label for e in at.expander)
    return "\n".join(parts)


def open_page(monkeypatch: pytest.MonkeyPatch, page: str, engine_url: str | None = None,
              timeout: float = 60) -> AppTest:
    """``app.py`` switched to ``views/{page}.py``, pointed at ``engine_url`` (default: a closed port)."""
    port = urlparse(engine_url).port if engine_url else free_port()
    monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(port))
    monkeypatch.setenv("SOP_LOCAL_ENGINE_AUTOSTART", "0")
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception
    return at


def wait_until(at: AppTest, done: Any, timeout_s: float = RUN_TIMEOUT_S, step_s: float = 0.5) -> AppTest:
    """Rerun ``at`` until ``done(at)`` holds (a background job finishing), as the page's polling would."""
    deadline = time.monotonic() + timeout_s
    while not done(at):
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the page")
        time.sleep(step_s)
    at.run()
    assert not at.exception, at.exception
    return at
