"""Which listening addresses other machines can reach (the sidebar warns about those when the app holds
the environment's key)."""

from __future__ import annotations

import pytest

from structured_output.network import is_loopback


@pytest.mark.parametrize(("address", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("LOCALHOST", True), (" 127.0.0.1 ", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("", False), (None, False),  # None: all interfaces
    ("my-laptop.example", False),  # a host name may resolve to anything
])
def test_is_loopback(address: str | None, loopback: bool) -> None:
    assert is_loopback(address) is loopback
