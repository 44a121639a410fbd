"""Waits on what a Streamlit page shows, for the browser tests: the app's own script-run state
(``data-test-script-state`` on ``stApp``, the attribute Streamlit's e2e tests read), never a fixed
sleep. A rerun is caught by watching that attribute from before the action that causes it, so a
rerun that starts a moment after the action (an Ace editor posts its text from its iframe on blur)
is not missed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app && app.dataset.testConnectionState === 'CONNECTED'
        && app.dataset.testScriptState === 'notRunning';
}"""

_WATCH = """() => {
    window.__sopRerunSeen = false;
    const seen = new MutationObserver(records => {
        if (records.some(r => r.target.dataset.testScriptState !== 'notRunning')) {
            window.__sopRerunSeen = true;
            seen.disconnect();
        }
    });
    // the whole document: a page switch may draw a new stApp element
    seen.observe(document.documentElement,
                 {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
}"""


def app_idle(page: Any, timeout_ms: float = 120_000) -> None:
    """Wait until the app is connected and no script run is going on."""
    page.wait_for_function(_IDLE, timeout=timeout_ms)


def after_rerun(page: Any, action: Callable[[], object], timeout_ms: float = 120_000) -> None:
    """Do ``action`` (which makes the app rerun) and wait until that rerun has started and ended."""
    app_idle(page, timeout_ms)
    page.evaluate(_WATCH)
    action()
    page.wait_for_function("() => window.__sopRerunSeen === true", timeout=timeout_ms)
    app_idle(page, timeout_ms)


def commit_editors(page: Any, title: str = "Structured output playground") -> None:
    """Blur the Ace editor (it sends its text on blur) by clicking the page's title, and wait for that
    rerun, so the action that follows (a click, an upload) is not swallowed by it."""
    after_rerun(page, lambda: page.get_by_text(title).first.click())
