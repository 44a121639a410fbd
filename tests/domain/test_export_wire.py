"""Code export never changes the request silently (issue 12).

For every client form of every shipped preset, each exported program is run against a recording
server (Python in this process, Node.js and curl as the user would run them) and what it sends is
compared with what the playground itself sends for the same request (``clients.run``, same server).
The ``parse`` forms (Pydantic, zod) are offered only when they send the same request; when they are
not offered, the export says what they would change, and running the form anyway shows that it
really sends what the export says (``parse_forms``' ``sends``).

Java is left out: it needs the DashScope jar, which is not installed here.
"""

from __future__ import annotations

import contextlib
import io
import json
import runpy
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from structured_output import parse_forms
from structured_output.clients import run
from structured_output.export import Snippet, generate, parse_form_snippets
from structured_output.export.shared import frame_files
from structured_output.presets import Preset, assets_dir, load_presets, preset_to_request
from structured_output.request import Request
from tests.node_env import node_modules
from tests.unit.recording_server import RecordingServer, Reply, native_completion, openai_completion

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / "tests" / ".node"
FORMS = [v for p in load_presets() for v in p.variants()]
SCHEMA_FORMS = [v for v in FORMS if v.mode == "json_schema"]


def form_id(p: Preset) -> str:
    return f"{p.id}/{p.form_id}" if p.form_id else p.id


def _reply(req: Request) -> Reply:
    content = '{"name": "Alex Brown", "age": 25, "email": null}'
    if req.protocol == "native":
        return Reply(body=native_completion([{"text": content}] if req.images else content))
    return Reply(body=openai_completion(content))


def _equivalent(body: Any) -> Any:
    """Two spellings the APIs define as the same, written one way: ``"stream": false`` (the default, which
    the openai SDK's parse sends) is left out, and a content of text parts only is its text."""
    out = json.loads(json.dumps(body))
    if isinstance(out, dict) and out.get("stream") is False:
        del out["stream"]
    # the Token view's logprobs are a way of looking at a run; the export leaves them out, as README says
    for holder in (out, out.get("parameters") if isinstance(out, dict) else None):
        if isinstance(holder, dict):
            holder.pop("logprobs", None)
            holder.pop("top_logprobs", None)
    for msg in out.get("messages", []) if isinstance(out, dict) else []:
        parts = msg.get("content")
        if isinstance(parts, list) and parts and all(isinstance(p, dict) and set(p) == {"type", "text"}
                                                     for p in parts):
            msg["content"] = "".join(p["text"] for p in parts)
    return out


def playground_sends(req: Request, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Any]:
    with RecordingServer() as srv:
        monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(srv.port))
        srv.replies.append(_reply(req))
        run(req, api_key="sk-test", max_retries=0)
        assert srv.requests, "the playground sent nothing"
        return srv.requests[0].path, _equivalent(srv.requests[0].body)


def _put_inputs(req: Request, cwd: Path) -> None:
    """The files an exported program reads, where the user puts them: the image, and a video's frames as the
    page's "Frames" download gives them (``frames/frame_001.jpg``, ...), so the program sends what the
    playground sends."""
    shutil.copy(assets_dir() / "receipt.png", cwd / "receipt.png")
    frames = frame_files(req)
    if frames:
        (cwd / "frames").mkdir(exist_ok=True)
        for name, data in frames:
            (cwd / "frames" / name).write_bytes(data)


def snippet_sends(snippet: Snippet, req: Request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  srv: RecordingServer) -> tuple[str, Any]:
    """Run one exported program against ``srv``; what it sent (it may fail on the canned answer after)."""
    srv.replies.append(_reply(req))
    before = len(srv.requests)
    _put_inputs(req, tmp_path)
    out = ""
    if snippet.language == "python":
        path = tmp_path / f"{uuid.uuid4().hex[:8]}_{snippet.filename}"
        path.write_text(snippet.code)
        monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-test")
        monkeypatch.chdir(tmp_path)
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.suppress(Exception):
            runpy.run_path(str(path), run_name="__main__")
        out = buf.getvalue()
    else:
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "DASHSCOPE_API_KEY": "sk-test", "HOME": str(tmp_path),
               "NO_PROXY": "127.0.0.1,localhost"}
        cwd = tmp_path
        if snippet.language == "javascript":
            node_modules()  # installs openai and zod into tests/.node once, or skips saying why
            cwd = NODE_DIR / f"wire-{uuid.uuid4().hex[:8]}"
            cwd.mkdir()
            _put_inputs(req, cwd)
            cmd = ["node", snippet.filename]
        else:
            if shutil.which("curl") is None:
                pytest.skip("curl is not installed")
            cmd = ["bash", snippet.filename]
        (cwd / snippet.filename).write_text(snippet.code)
        try:
            r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
            out = r.stderr[-1500:]
        finally:
            if cwd != tmp_path:
                shutil.rmtree(cwd, ignore_errors=True)
    assert len(srv.requests) > before, f"{snippet.kind} sent nothing:\n{out}\n--- code ---\n{snippet.code}"
    sent = srv.requests[before]
    return sent.path, _equivalent(sent.body)


def _generate(req: Request, srv: RecordingServer, *, parse_forms_too: bool = False) -> list[Snippet]:
    kw = {"compatible_base_url": f"http://127.0.0.1:{srv.port}/compatible-mode/v1",
          "native_base_url": f"http://127.0.0.1:{srv.port}/api/v1", "image_paths": ["receipt.png"] * len(req.images)}
    return parse_form_snippets(req, **kw) if parse_forms_too else generate(req, **kw)


@pytest.mark.parametrize("preset", FORMS, ids=form_id)
def test_every_exported_form_sends_the_playgrounds_request(preset: Preset, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    req = preset_to_request(preset, endpoint="local")
    path, ours = playground_sends(req, monkeypatch)
    with RecordingServer() as srv:
        snippets = [s for s in _generate(req, srv) if s.runnable and s.language != "java"]
        kinds = {s.kind for s in snippets}
        assert {"python-openai", "node-openai", "curl-compatible", "python-dashscope", "curl-native"} <= kinds
        for snippet in snippets:
            their_path, theirs = snippet_sends(snippet, req, tmp_path, monkeypatch, srv)
            native = snippet.kind in ("python-dashscope", "curl-native")
            assert ("/api/v1/services/aigc/" in their_path) is native, (snippet.kind, their_path)
            if snippet.kind.endswith("-parse"):  # parse does not stream, and its code says so
                assert not req.stream or "parse does not stream" in snippet.code
                drop = {"stream", "stream_options"}
                assert {k: v for k, v in theirs.items() if k not in drop} == {
                    k: v for k, v in ours.items() if k not in drop}, snippet.kind
            elif native == (req.protocol == "native"):
                assert (their_path, theirs) == (path, ours), snippet.kind
            else:  # the other protocol: the same messages and response_format in its own shape
                messages = theirs["input"]["messages"] if native else theirs["messages"]
                rf = theirs["parameters"].get("response_format") if native else theirs.get("response_format")
                assert rf == req.response_format(), snippet.kind
                assert [m["role"] for m in messages] == [m["role"] for m in (
                    ours["input"]["messages"] if not native else ours["messages"])], snippet.kind


@pytest.mark.parametrize("preset", SCHEMA_FORMS, ids=form_id)
def test_a_parse_form_is_offered_only_when_it_sends_the_same_schema(preset: Preset, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    req = preset_to_request(preset, endpoint="local")
    checks = {c.kind: c for c in (parse_forms.python_parse_check(req), parse_forms.zod_parse_check(req))}
    with RecordingServer() as srv:
        offered = {s.kind: s for s in _generate(req, srv)}
        for kind, check in checks.items():
            shown = offered.get(kind)
            assert shown is not None, f"{kind}: offered, or a note saying why not"
            assert shown.runnable is check.same, kind
            if not check.same:  # it says what would change, each change
                assert all(why in shown.code for why in check.changes or [check.why_not]), kind
        # run each parse form anyway: it sends exactly what the export says it sends
        for snippet in _generate(req, srv, parse_forms_too=True):
            check = checks[snippet.kind]
            if check.sends is None:
                continue
            _, theirs = snippet_sends(snippet, req, tmp_path, monkeypatch, srv)
            assert theirs["response_format"] == check.sends, snippet.kind
            assert check.same is (theirs["response_format"] == req.response_format()), snippet.kind


def test_the_optional_email_example_says_what_parse_would_change() -> None:
    """The issue's own example: an optional email becomes required and nullable, additionalProperties
    false is added; the Node.js create form is offered all the same."""
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "email": {"type": "string"}},
              "required": ["name"]}
    req = Request(model="qwen-plus", mode="json_schema", user_text="I am Alex.", schema_name="UserInfo",
                  schema_text=json.dumps(schema))
    check = parse_forms.python_parse_check(req)
    assert not check.same
    assert "parse makes $.properties.email required" in check.changes
    assert "parse lets $.properties.email be null" in check.changes
    assert "parse adds additionalProperties: false at $" in check.changes
    kinds = {s.kind: s for s in generate(req)}
    assert kinds["node-openai"].runnable and "chat.completions.create" in kinds["node-openai"].code
    assert not kinds["python-openai-parse"].runnable and not kinds["node-openai-parse"].runnable
