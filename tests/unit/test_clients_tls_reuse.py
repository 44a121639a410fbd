"""Every call shares one TLS context: building a context loads the CA bundle, which used to be most
of a batch row's client-side time (bench/batch.py measures it)."""

from __future__ import annotations

import ssl

import pytest

from structured_output import clients
from structured_output.request import Request
from structured_output.wire import compatible
from tests.unit.recording_server import RecordingServer, Reply, openai_completion


def test_calls_share_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int] = []
    real = ssl.create_default_context

    def counting(*args: object, **kwargs: object) -> ssl.SSLContext:
        built.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl, "create_default_context", counting)
    compatible.tls_context.cache_clear()
    try:
        with RecordingServer() as srv:
            monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(srv.port))
            for _ in range(3):
                srv.replies.append(Reply(body=openai_completion('{"a": 1}')))
            results = [clients.run(Request(user_text="json please")) for _ in range(3)]
        assert [r.verdict for r in results] == ["parsed"] * 3
        assert len(built) == 1
        assert compatible.tls_context() is compatible.tls_context()
        assert compatible.tls_context().verify_mode == ssl.CERT_REQUIRED  # still verifies remote servers
    finally:
        compatible.tls_context.cache_clear()
