"""schemathesis against the local engine's own OpenAPI description (``GET /openapi.json``): generated
requests, valid and invalid, to every route; none may get a 5xx.

Bounded: a few dozen examples a route, and every body that would generate asks for at most
``MAX_TOKENS`` tokens, so the whole run stays within a couple of minutes on two busy cores while the
bodies, schemas and parameters still vary freely.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from tests.hardening.figures import BadInput, Figures

pytestmark = [pytest.mark.engine, pytest.mark.hardening]

MAX_TOKENS = 4
EXAMPLES_PER_ROUTE = 25
TIMEOUT_S = 60
_seen: dict[str, list[int]] = {}


def _description() -> dict[str, Any]:
    """The engine's OpenAPI description, built by the engine's own app factory (no model is loaded).

    ``test_the_engine_serves_this_description`` checks it is what ``GET /openapi.json`` serves. (The
    lazy ``schemathesis.pytest.from_fixture`` loader does not run under pytest 9, so the schema is
    built at import and the base URL given per call.)
    """
    from local_engine.app import create_app
    from local_engine.engine import Engine

    return create_app(Engine()).openapi()


DESCRIPTION = _description()
# Fuzzing only, valid and invalid data: the coverage phase alone sends several hundred requests a route.
CONFIG = SchemathesisConfig.from_dict({
    "phases": {"coverage": {"enabled": False}, "examples": {"enabled": False}, "stateful": {"enabled": False}},
    "generation": {"max-examples": EXAMPLES_PER_ROUTE, "mode": "all"},
})
schema = schemathesis.openapi.from_dict(DESCRIPTION, config=CONFIG)


def test_the_engine_serves_this_description(local_engine_url: str) -> None:
    served = httpx.get(f"{local_engine_url}/openapi.json", timeout=30).json()
    assert served == DESCRIPTION
    body = served["paths"]["/compatible-mode/v1/chat/completions"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["required"] == ["model", "messages"]


def _cap(params: Any) -> None:
    """At most ``MAX_TOKENS`` tokens: a bound on the test's time, not on what is generated otherwise."""
    if not isinstance(params, dict):
        return
    for key in ("max_tokens", "max_completion_tokens"):
        value = params.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and value > MAX_TOKENS):
            params[key] = MAX_TOKENS


def _bounded(case: Any) -> None:
    body = case.body
    if not isinstance(body, dict):
        return
    if case.path.startswith("/api/"):
        if body.get("parameters") is None:
            body["parameters"] = {}
        _cap(body["parameters"])
    else:
        _cap(body)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
def test_no_server_errors(case: Any, local_engine_url: str) -> None:
    _bounded(case)
    response = case.call(base_url=local_engine_url, timeout=TIMEOUT_S)
    _seen.setdefault(f"{case.method} {case.path}", []).append(response.status_code)
    assert response.status_code < 500, (
        f"{case.method} {case.path} answered {response.status_code}: {response.text[:500]}\n"
        f"body: {str(case.body)[:1000]}")


@pytest.fixture(scope="module", autouse=True)
def _record(fig: Figures) -> Iterator[None]:
    yield
    for route, statuses in sorted(_seen.items()):
        counts = ", ".join(f"{s}×{statuses.count(s)}" for s in sorted(set(statuses)))
        fig.bad_inputs.append(BadInput(f"schemathesis {route} ({len(statuses)} generated requests)", "engine",
                                       counts, all(s < 500 for s in statuses)))
