"""Browser tests share one app per module; each test starts from the example, not from the editors and
runs the app kept from the test before (``tests.ui.test_browser.forget_kept``)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_kept_state(request: pytest.FixtureRequest) -> None:
    if "app_url" in request.fixturenames:
        from tests.ui.test_browser import forget_kept

        forget_kept(request.getfixturevalue("app_url"))
