"""The local engine under load: 50 requests at once, twice. The queue bound holds (never more than
one running and ``max_waiting`` waiting), the rest get a 429 that says why and when to retry, every
accepted request completes with output valid against its schema, the process's memory stays flat,
and it serves normally afterwards. Then the playground's own client under the same pressure: a
refused request is a clear rate-limit error, and with its retries (honouring ``Retry-After``) more
of them get through.

Requests are tiny (a one-key schema, at most 16 tokens) and loopback only, so a burst takes seconds.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import jsonschema
import pytest

from structured_output import clients
from structured_output.local import LocalEngine
from structured_output.request import Request
from tests.hardening.conftest import ready, rss_mb
from tests.hardening.figures import Figures, Load

pytestmark = [pytest.mark.engine, pytest.mark.hardening]

CONCURRENT = 50
BURST_TIMEOUT_S = 240.0
TINY_SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
               "additionalProperties": False}
BODY = {"model": "qwen-plus", "max_tokens": 16, "messages": [{"role": "user", "content": "Is water wet?"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "ok", "strict": True,
                                                                  "schema": TINY_SCHEMA}}}
RSS_GROWTH_LIMIT_MB = 150.0  # first burst: allocator pools and per-request buffers settle
RSS_DRIFT_LIMIT_MB = 40.0  # second burst on top of the first: no per-request leak


class QueueWatch:
    """Polls ``/health`` during a burst and keeps the largest number of requests in the engine."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.most = 0
        self.max_waiting = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self._stop.is_set():
                try:
                    h = client.get(f"{self.url}/health").json()
                    self.most = max(self.most, int(h["running"]) + int(h["waiting"]))
                    self.max_waiting = int(h["max_waiting"])
                except (httpx.HTTPError, KeyError, ValueError):
                    pass
                self._stop.wait(0.05)

    def __enter__(self) -> QueueWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


async def burst(url: str, n: int) -> list[tuple[int, dict[str, Any], dict[str, str]]]:
    limits = httpx.Limits(max_connections=n + 5, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=BURST_TIMEOUT_S, limits=limits) as client:
        async def one() -> tuple[int, dict[str, Any], dict[str, str]]:
            r = await client.post(f"{url}/compatible-mode/v1/chat/completions", json=BODY)
            return r.status_code, r.json(), dict(r.headers)

        return list(await asyncio.wait_for(asyncio.gather(*(one() for _ in range(n))), BURST_TIMEOUT_S))


def run_burst(engine: LocalEngine, name: str, fig: Figures) -> Load:
    pid = ready(engine)
    before = rss_mb(pid)
    started = time.monotonic()
    with QueueWatch(engine.url) as watch:
        results = asyncio.run(burst(engine.url, CONCURRENT))
    took = time.monotonic() - started
    after = rss_mb(pid)

    accepted = [body for status, body, _ in results if status == 200]
    refused = [(body, headers) for status, body, headers in results if status == 429]
    other = [status for status, _, _ in results if status not in (200, 429)]
    valid = 0
    for body in accepted:
        content = body["choices"][0]["message"]["content"]
        jsonschema.validate(json.loads(content), TINY_SCHEMA)
        assert body["choices"][0]["finish_reason"] == "stop"
        valid += 1
    for body, headers in refused:
        message = body["error"]["message"]
        assert "busy" in message and "retry in a few seconds" in message, message
        assert headers.get("retry-after") == "2"
    load = Load(name, CONCURRENT, len(accepted), len(refused), valid, len(other), before, after, took)
    fig.loads.append(load)

    assert not other, other
    assert watch.most <= 1 + watch.max_waiting, f"{watch.most} requests were in the engine at once"
    assert len(refused) >= CONCURRENT - (1 + watch.max_waiting) * 3, load  # a burst, not a trickle
    assert valid == len(accepted) >= 1
    assert engine.status().ready and engine.status().pid == pid  # no crash, no restart
    return load


def test_fifty_at_once_twice_queue_holds_memory_flat(private_engine: LocalEngine, fig: Figures) -> None:
    first = run_burst(private_engine, "50 concurrent (1st burst)", fig)
    second = run_burst(private_engine, "50 concurrent (2nd burst)", fig)
    assert first.rss_before_mb is not None and second.rss_after_mb is not None
    assert first.rss_after_mb is not None and second.rss_before_mb is not None
    assert first.rss_after_mb - first.rss_before_mb < RSS_GROWTH_LIMIT_MB, first
    assert second.rss_after_mb - first.rss_after_mb < RSS_DRIFT_LIMIT_MB, (first, second)


def _request() -> Request:
    return Request(model="qwen-plus", endpoint="local", mode="json_schema", schema_name="ok",
                   schema_text=json.dumps(TINY_SCHEMA), user_text="Is water wet?", max_tokens=16, stream=False)


@pytest.mark.parametrize("retries", [0, 2])
def test_the_playground_client_under_the_same_pressure(private_engine: LocalEngine, retries: int,
                                                       monkeypatch: pytest.MonkeyPatch, fig: Figures) -> None:
    """24 runs at once through ``clients.run`` (the openai SDK path the app uses)."""
    ready(private_engine)
    monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(private_engine.port))
    n = 24
    started = time.monotonic()
    with ThreadPoolExecutor(n) as pool:
        results = list(pool.map(lambda _: clients.run(_request(), max_retries=retries, timeout=120),
                                range(n)))
    took = time.monotonic() - started
    done = [r for r in results if r.error is None]
    limited = [r.error for r in results if r.error is not None and r.error.kind == "rate_limit"]
    other = [r.error for r in results if r.error is not None and r.error.kind != "rate_limit"]
    assert not other, other
    for r in done:
        assert r.verdict == "valid", (r.content, r.verdict)
    for err in limited:
        assert err.status == 429 and "busy" in err.message
        assert "Too many requests at once" in err.hint and "retry after 2 s" in err.hint
        assert err.retries == retries
    fig.loads.append(Load(f"{n} concurrent app runs, {retries} retries", n, len(done), len(limited), len(done),
                          len(other), seconds=took))
    if retries:
        assert len(done) > 1 + 8, "retries honouring Retry-After should let more than one queue-full through"
        assert any(r.retries for r in done), "some runs got through on a retry"
