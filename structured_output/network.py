"""Whether the app server can be reached from other machines: it matters because every visitor of an
app started with ``DASHSCOPE_API_KEY`` spends that key."""

from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = ("localhost",)


def is_loopback(address: str | None) -> bool:
    """True for an address only this machine can reach (``127.0.0.1``, ``::1``, ``localhost``).

    An empty address is Streamlit's default, every interface, so it is not loopback."""
    address = (address or "").strip().strip("[]")
    if not address:
        return False
    if address.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything
