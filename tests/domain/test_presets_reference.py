"""Every client form of every preset is copied exactly from the reference.

The reference (``shared/reference/model-studio-structured-output.md``, beside the checkout; the tests
skip when it is absent) is read here only; the product carries its own copy. For each form:

- its code is one of the reference's code blocks, word for word, and its documented result is the
  block the reference shows after that code (the "Return result", or what the code prints);
- what that code sends is what the playground sends for the form: the reference's own Python,
  Node.js and curl code is run against a recording server (its URLs pointed at it), the playground's
  request goes through ``clients.run`` to the same server, and the two bodies are compared (the image
  is the one difference: the reference's URL cannot be reached offline, so the playground sends the
  drawn receipt as a data: URL). Java cannot run without the DashScope jar, so its string literals
  (text blocks too) are read by Java's rules and compared;
- a form without code of its own (a lesson built on a documented example) reuses prompts that a form
  with code documents, and the configuration guide's schemas are its fragments. A preset of the
  project's own, for what the reference describes but shows no code for, says so in its ``source``
  ("Not a reference example: ..."), and its prompts are its own.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from structured_output.clients import run
from structured_output.presets import Preset, load_presets, preset_to_request
from tests.node_env import node_modules
from tests.unit.recording_server import RecordingServer, Reply, native_completion, openai_completion


def _reference() -> Path | None:
    """``<parents[3]>/shared/reference/...`` (the checkout's parent holds ``shared``), else any parent's."""
    here = Path(__file__).resolve()
    for parent in [here.parents[3], *here.parents]:
        path = parent / "shared" / "reference" / "model-studio-structured-output.md"
        if path.is_file():
            return path
    return None


REFERENCE = _reference()
pytestmark = pytest.mark.skipif(REFERENCE is None, reason="the reference is not beside the checkout")
TEXT = REFERENCE.read_text(encoding="utf-8") if REFERENCE else ""
FORMS = [v for p in load_presets() for v in p.variants()]
NODE_DIR = Path(__file__).resolve().parents[2] / "tests" / ".node"
HOSTS = ("https://dashscope-intl.aliyuncs.com", "https://dashscope.aliyuncs.com")
IMAGE = "<the image>"


def form_id(p: Preset) -> str:
    return f"{p.id}/{p.form_id}" if p.form_id else p.id


def code_blocks(text: str) -> tuple[list[str], list[str]]:
    """The reference's fenced blocks in order, each without the indentation of its fence, and the
    prose after each block (up to the next one)."""
    blocks, prose, lines, i = [], [], text.split("\n"), 0
    start = 0
    while i < len(lines):
        m = re.match(r"^(\s*)```\s*$", lines[i])
        if not m:
            i += 1
            continue
        if blocks:
            prose.append("\n".join(lines[start:i]))
        indent, body, i = m.group(1), [], i + 1
        while not re.match(r"^\s*```\s*$", lines[i]):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].strip())
            i += 1
        blocks.append("\n".join(body))
        i += 1
        start = i
    prose.append("\n".join(lines[start:]))
    return blocks, prose


BLOCKS, PROSE = code_blocks(TEXT)
CODES = {v.documented.code for v in FORMS if v.documented and v.documented.code} | {
    f.documented.code for v in FORMS for f in v.followups if f.documented and f.documented.code}
WITH_CODE = [v for v in FORMS if v.documented is not None and v.documented.code]


# ---------------------------------------------------------------- code and documented result, verbatim

@pytest.mark.parametrize("preset", FORMS, ids=form_id)
def test_code_and_documented_result_are_the_references(preset: Preset) -> None:
    docs = [preset.documented, *(f.documented for f in preset.followups)]
    for doc in docs:
        assert doc is not None
        if doc.code:
            assert doc.code in BLOCKS, "the code is not one of the reference's code blocks, word for word"
        if doc.kind in ("content", "response_body", "printed"):
            assert doc.code, "a verbatim result comes with the code that produced it"
            at = BLOCKS.index(doc.code)
            inline = re.findall(r"`([^`]+)`", PROSE[at])  # "generates the output `{...}`"
            shown = next((b for b in BLOCKS[at + 1:] if b not in CODES), "")  # both openai samples share one output
            assert doc.return_result in (shown, *inline), "not the result the reference shows after this code"
        else:  # described, or an error text: a sentence of the reference
            assert doc.return_result and doc.return_result in TEXT, doc.return_result[:80]
    for ref in preset.see_also:
        assert ref.quote in TEXT and ref.url.endswith(re.search(r"\]\(([^)]*)\)", ref.quote).group(1))


def test_every_documented_client_form_is_there() -> None:
    """Each runnable sample of the reference (a whole program, or a curl command) is some form's code."""
    samples = [b for b in BLOCKS if re.search(r"^(from openai|import OpenAI|import os|curl |# =+ Important)", b, re.M)
               or "public class Main" in b or b.startswith(("from pydantic", "import { z }"))]
    assert len(samples) >= 22
    missing = [b.split("\n", 1)[0][:60] + f"… (block {BLOCKS.index(b)})" for b in samples if b not in CODES]
    assert missing == []


# ---------------------------------------------------------------- what the reference's code sends

def _local(code: str, url: str) -> str:
    for host in HOSTS:
        code = code.replace(host, url)
    return code


def _reply(preset: Preset) -> Reply:
    doc = preset.documented
    value = doc.value if doc is not None and doc.has_value else {"name": "Alex Brown", "age": 25, "email": None}
    content = json.dumps(value, ensure_ascii=False)
    if preset.protocol == "native":
        return Reply(body=native_completion([{"text": content}] if preset.images else content))
    return Reply(body=openai_completion(content))


def _normalized(body: Any, preset: Preset) -> Any:
    """The body with the image (the reference's URL, or the playground's data: URL) as one placeholder,
    and two spellings the APIs define as the same written one way: a message content that is only
    text parts is its text (the openai SDK's parse adds ``"stream": false``, the default)."""
    urls = {ref.documented_url for ref in preset.images if ref.documented_url}
    text = json.dumps(body, ensure_ascii=False)
    text = re.sub(r'"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+"', json.dumps(IMAGE), text)
    for url in urls:
        text = text.replace(json.dumps(url), json.dumps(IMAGE))
    out = json.loads(text)
    if out.get("stream") is False:
        del out["stream"]
    for msg in out.get("messages", []):
        parts = msg.get("content")
        if isinstance(parts, list) and parts and all(p.get("type") == "text" and set(p) == {"type", "text"}
                                                     for p in parts):
            msg["content"] = "".join(p["text"] for p in parts)
    return out


def _playground_body(preset: Preset, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    with RecordingServer() as srv:
        monkeypatch.setenv("SOP_LOCAL_ENGINE_PORT", str(srv.port))
        srv.replies.append(_reply(preset))
        run(preset_to_request(preset, endpoint="local"), api_key="sk-test", max_retries=0)
        assert srv.requests, "the playground sent nothing"
        return _normalized(srv.requests[0].body, preset)


def _run_reference(preset: Preset, tmp_path: Path) -> tuple[str, Any]:
    """Run the form's reference code against a recording server: (path, body) of what it sent."""
    client, code = preset.form.client if preset.form else "", preset.documented.code
    with RecordingServer() as srv:
        url = f"http://127.0.0.1:{srv.port}"
        srv.replies.append(_reply(preset))
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "DASHSCOPE_API_KEY": "sk-test", "HOME": str(tmp_path),
               "NO_PROXY": "127.0.0.1,localhost"}
        cwd = tmp_path
        if client.startswith("python"):
            # the reference's DashScope JSON Schema sample sets no base URL: the SDK's default is pointed here
            head = f"import dashscope as _ds\n_ds.base_http_api_url = {url + '/api/v1'!r}\n" \
                if "dashscope" in code else ""
            (tmp_path / "sample.py").write_text(head + _local(code, url))
            cmd = [sys.executable, "sample.py"]
        elif client.startswith("node"):
            node_modules()  # installs openai and zod into tests/.node once, or skips saying why
            cwd = NODE_DIR / f"ref-{uuid.uuid4().hex[:8]}"
            cwd.mkdir()
            (cwd / "sample.mjs").write_text(_local(code, url))
            cmd = ["node", "sample.mjs"]
        elif client.startswith("curl"):
            if shutil.which("curl") is None:
                pytest.skip("curl is not installed")
            (tmp_path / "sample.sh").write_text(_local(code, url))
            cmd = ["bash", "sample.sh"]
        else:
            raise AssertionError(client)
        try:
            r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
        finally:
            if cwd != tmp_path:
                shutil.rmtree(cwd, ignore_errors=True)
        assert srv.requests, f"the reference's code sent nothing:\n{r.stderr[-1500:]}"
        sent = srv.requests[0]
        return sent.path, _normalized(sent.body, preset)


# every form whose code is a whole Python or Node.js program or a curl command
RUNNABLE = [v for v in WITH_CODE if v.form and v.form.client.split("-")[0] in ("python", "node", "curl")]


@pytest.mark.parametrize("preset", RUNNABLE, ids=form_id)
def test_the_playground_sends_what_the_references_code_sends(preset: Preset, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path, reference = _run_reference(preset, tmp_path)
    ours = _playground_body(preset, monkeypatch)
    native = preset.protocol == "native"
    assert ("/api/v1/services/aigc/" in path) is native, f"{path}: the form runs on its own protocol"
    assert ours == reference


def _java_literal(lit: str) -> str:
    """A Java string literal or text block, by the language's rules (text blocks strip the indentation
    common to their lines and trailing blanks, then process escapes)."""
    if lit.startswith('"""'):
        body = lit[3:-3]
        body = body[body.index("\n") + 1:]
        lines = body.split("\n")
        closing_alone = not lines[-1].strip()
        significant = [ln for ln in lines if ln.strip()] + ([lines[-1]] if closing_alone else [])
        indent = min(len(ln) - len(ln.lstrip(" ")) for ln in significant)
        lines = [ln[indent:].rstrip(" ") for ln in lines]
        text = "\n".join(lines[:-1]) + "\n" if closing_alone else "\n".join(lines)
        return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
    return json.loads(lit)


JAVA_LIT = r'("""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*")'


@pytest.mark.parametrize("preset", [v for v in WITH_CODE if v.form and v.form.client == "java-dashscope"],
                         ids=form_id)
def test_java_forms_hold_the_java_samples_strings(preset: Preset) -> None:
    code = preset.documented.code
    assert _java_literal(re.search(r"\.model\(" + JAVA_LIT + r"\)", code).group(1)) == preset.model
    assert preset.protocol == "native" and 'type("json_object")' in code and preset.mode == "json_object"
    if preset.images:
        texts = [_java_literal(m) for m in re.findall(r'singletonMap\("text", ' + JAVA_LIT + r"\)", code)]
        image = re.search(r'singletonMap\("image", ' + JAVA_LIT + r"\)", code).group(1)
        assert _java_literal(image) == preset.images[0].documented_url
    else:
        texts = [_java_literal(m) for m in re.findall(r"\.content\(" + JAVA_LIT + r"\)", code)]
    assert texts == [preset.system_prompt, preset.user_text]


def test_a_java_text_block_keeps_what_java_keeps() -> None:
    block = '"""\n        indented\n  a\n    b  \n        """'
    assert _java_literal(block) == "      indented\na\n  b\n"
    assert _java_literal('"""\n    first\nmargin"""') == "    first\nmargin"


# ---------------------------------------------------------------- forms built on a documented example

OWN_PRESET = "Not a reference example"


def test_forms_without_code_reuse_documented_prompts() -> None:
    documented = {x for v in WITH_CODE for x in (v.system_prompt, v.user_text)}
    for v in FORMS:
        if v.documented is not None and v.documented.code and "client = OpenAI(" in v.documented.code:
            continue
        if (v.source or "").startswith(OWN_PRESET):  # not built on a documented example: its own prompts
            assert not (v.documented and v.documented.code), f"{form_id(v)}: says it is not a reference example"
            continue
        for text in (v.system_prompt, v.user_text):
            in_code = v.documented is not None and json.dumps(text, ensure_ascii=False)[1:-1] in v.documented.code
            assert not text or text in documented or in_code, f"{form_id(v)}: {text[:80]!r} is not the reference's"


def _fragment(code: str) -> Any:
    return json.loads(re.sub(r"\s*//[^\n]*", "", code))


def test_configuration_guide_schemas_are_its_fragments() -> None:
    guide = [v for v in FORMS if v.id == "configuration-guide"]
    assert len(guide) == 4
    for v in guide:
        schema = dict(v.json_schema)
        assert schema.pop("type") == "object"  # added: the fragments show only the keywords discussed
        if v.documented.code:
            assert schema == _fragment(v.documented.code), v.form_id
        else:  # additionalProperties false: the true fragment with the other value of the table
            true = next(g for g in guide if g.form_id == "additional-properties-true")
            assert schema == dict(_fragment(true.documented.code), additionalProperties=False)
            assert "| `false` | Outputs only defined fields |" in TEXT


def test_user_info_schema_is_the_response_format_example() -> None:
    preset = next(v for v in FORMS if v.id == "json-schema-user-info")
    row = next(line for line in TEXT.split("\n") if '"name": "user_info"' in line)
    example = json.loads(row.split("```")[3])
    assert example["json_schema"] == {"name": preset.schema_name, "strict": preset.strict,
                                      "schema": preset.json_schema}
