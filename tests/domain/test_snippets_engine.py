"""The exported code really runs: the generated Python (openai, dashscope), Node.js (openai, zod) and
curl (compatible, native) snippets are executed against the local engine, with the key in
DASHSCOPE_API_KEY, and what they print is JSON (schema-valid in JSON Schema mode).

Node.js needs the ``openai`` and ``zod`` npm packages: they are installed once into ``tests/.node``
(git-ignored) with ``npm install``; the Node tests are skipped, saying why, when node/npm are missing
or the install fails (no network)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from structured_output.export import generate
from structured_output.export.shared import Snippet
from structured_output.presets import assets_dir, get_preset, preset_to_request
from structured_output.request import Request
from structured_output.result import content_of
from tests.node_env import node_modules as ensure_node_modules

pytestmark = pytest.mark.engine
ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / "tests" / ".node"
RUN_TIMEOUT_S = 600


@pytest.fixture(scope="session")
def node_modules() -> Path:
    return ensure_node_modules()


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """Where a snippet runs: holds receipt.png. Node snippets go under tests/.node so that their
    ``import "openai"`` finds tests/.node/node_modules."""
    d = tmp_path / "run"
    d.mkdir()
    shutil.copy(assets_dir() / "receipt.png", d / "receipt.png")
    yield d


def _run(snippet: Snippet, cwd: Path, node_dir: Path | None) -> str:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "DASHSCOPE_API_KEY": "sk-test", "HOME": str(cwd),
           "NO_PROXY": "127.0.0.1,localhost"}
    if snippet.language == "python":
        (cwd / snippet.filename).write_text(snippet.code)
        cmd = [sys.executable, snippet.filename]
    elif snippet.language == "bash":
        (cwd / snippet.filename).write_text(snippet.code)
        cmd = ["bash", snippet.filename]
    elif snippet.language == "javascript":
        assert node_dir is not None
        cwd = node_dir / f"run-{uuid.uuid4().hex[:8]}"
        cwd.mkdir()
        shutil.copy(assets_dir() / "receipt.png", cwd / "receipt.png")
        (cwd / snippet.filename).write_text(snippet.code)
        cmd = ["node", snippet.filename]
    else:
        raise AssertionError(snippet.language)
    try:
        r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    finally:
        if snippet.language == "javascript":
            shutil.rmtree(cwd, ignore_errors=True)
    assert r.returncode == 0, f"{snippet.kind} exited {r.returncode}:\n{r.stderr[-2000:]}\n--- code ---\n{snippet.code}"
    return r.stdout


def nullable_optionals(schema: Any) -> Any:
    """What ``parse`` (Pydantic or zod) accepts for ``schema``: optional fields may come back null."""
    schema = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if not isinstance(node, dict):
            return
        props = node.get("properties")
        if isinstance(props, dict):
            required = set(node.get("required") or [])
            for k, sub in list(props.items()):
                walk(sub)
                if k not in required:
                    props[k] = {"anyOf": [sub, {"type": "null"}]}
        walk(node.get("items"))

    walk(schema)
    return schema


def check_output(snippet: Snippet, req: Request, stdout: str) -> Any:
    """The JSON the snippet produced (for curl, the message content inside the response body)."""
    if snippet.language == "bash":
        body = json.loads(stdout)
        assert "error" not in body and "code" not in body, body
        value = json.loads(content_of(body) or "")
    else:
        value = json.loads(stdout)
    schema = req.schema()
    if req.mode == "json_schema" and schema is not None:
        if snippet.kind in ("python-openai-parse", "node-openai-parse"):
            schema = nullable_optionals(schema)
        errors = [e.message for e in Draft202012Validator(schema).iter_errors(value)]
        assert errors == [], f"{snippet.kind}: {value} violates the schema: {errors}"
    return value


def _snippets(req: Request, url: str) -> list[Snippet]:
    return [s for s in generate(req, compatible_base_url=f"{url}/compatible-mode/v1",
                                native_base_url=f"{url}/api/v1", image_paths=["receipt.png"] * len(req.images))
            if s.runnable]


CASES = {
    "json-object": lambda: preset_to_request(get_preset("getting-started-compatible")),
    "json-schema": lambda: preset_to_request(get_preset("json-schema-user-info")),
    # the schemas parse itself sends: the Pydantic form (Python) and the zod form (Node.js) are offered
    "pydantic": lambda: preset_to_request(get_preset("json-schema-getting-started", "python-openai-parse")),
    "zod": lambda: preset_to_request(get_preset("going-live-sdk-schemas", "node-openai-parse")),
    "image": lambda: preset_to_request(get_preset("image-ticket-invoice-native")),
    "stream": lambda: replace(preset_to_request(get_preset("getting-started-native")), stream=True),
}
EXPECTED_KINDS = {
    "json-object": {"python-openai", "python-dashscope", "node-openai", "curl-compatible", "curl-native"},
    "json-schema": {"python-openai", "python-dashscope", "node-openai", "curl-compatible", "curl-native"},
    "pydantic": {"python-openai-parse"},
    "zod": {"node-openai-parse"},
    "image": {"python-openai", "python-dashscope", "node-openai", "curl-compatible", "curl-native"},
    # curl prints server-sent events when streaming, not one JSON body
    "stream": {"python-openai", "python-dashscope", "node-openai"},
}
PARAMS = [(case, kind) for case, kinds in EXPECTED_KINDS.items() for kind in sorted(kinds)]


@pytest.mark.parametrize(("case", "kind"), PARAMS, ids=[f"{c}-{k}" for c, k in PARAMS])
def test_generated_snippet_runs_against_the_local_engine(case: str, kind: str, local_engine_url: str,
                                                         workdir: Path, request: pytest.FixtureRequest) -> None:
    req = CASES[case]()
    snippets = {s.kind: s for s in _snippets(req, local_engine_url)}
    assert EXPECTED_KINDS[case] <= set(snippets)
    snippet = snippets[kind]
    node_dir = request.getfixturevalue("node_modules") if snippet.language == "javascript" else None
    stdout = _run(snippet, workdir, node_dir)
    value = check_output(snippet, req, stdout)
    if case == "image":
        assert isinstance(value, dict)
