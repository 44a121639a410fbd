"""Code export, without a server: which snippets a Request gets, that each is syntactically valid
(Python compiles, Node.js passes ``node --check``, curl passes ``bash -n``), that the key only ever
comes from DASHSCOPE_API_KEY, how images are written, and that the Pydantic class generated from a
schema makes the openai SDK send that same schema. ``test_snippets_engine.py`` executes them."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from structured_output.export import generate, parse_form_snippets
from structured_output.export.literals import java_str, js_str, literal, py_str
from structured_output.export.shapes import NotExpressible, schema_shape
from structured_output.export.shared import INLINE_DATA_URL_MAX, Snippet
from structured_output.presets import assets_dir, get_preset, load_presets, preset_to_request
from structured_output.request import ImageInput, Request

PRESETS = load_presets()
SECRET = "sk-this-must-never-appear-0123456789"
USER_INFO = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
             "required": ["name", "age"], "additionalProperties": False}


def by_kind(snippets: list[Snippet]) -> dict[str, Snippet]:
    kinds = [s.kind for s in snippets]
    assert len(kinds) == len(set(kinds)), kinds
    return {s.kind: s for s in snippets}


def schema_req(schema: dict, **kw) -> Request:
    return Request(model="qwen-plus", mode="json_schema", system_prompt="Extract.", user_text="I am Alex, 25.",
                   schema_text=json.dumps(schema), **kw)


# ---------------------------------------------------------------- which snippets

def test_json_object_request_gets_every_form() -> None:
    s = by_kind(generate(Request(user_text="json please")))
    assert list(s) == ["python-openai", "python-dashscope", "node-openai", "curl-compatible", "curl-native",
                       "java-dashscope"]
    assert "chat.completions.create(" in s["python-openai"].code
    assert "dashscope.Generation.call(" in s["python-dashscope"].code
    assert 'result_format="message"' in s["python-dashscope"].code
    assert 'response_format={"type": "json_object"}' in s["python-openai"].code
    assert "/compatible-mode/v1/chat/completions" in s["curl-compatible"].code
    assert "/api/v1/services/aigc/text-generation/generation" in s["curl-native"].code
    assert 'ResponseFormat.builder().type("json_object")' in s["java-dashscope"].code
    assert all(x.runnable for x in s.values())


def test_json_schema_request_gets_parse_zod_and_the_java_note() -> None:
    req = schema_req(USER_INFO, schema_name="user_info")
    s = by_kind(generate(req))
    # parse would send another schema than the editor's (titles, the class's name, ...): a note says so
    assert list(s) == ["python-openai", "python-openai-parse", "python-dashscope", "node-openai",
                       "node-openai-parse", "curl-compatible", "curl-native", "java-dashscope"]
    for kind in ("python-openai-parse", "node-openai-parse"):
        assert not s[kind].runnable and "is not offered for this request" in s[kind].code
    assert 'parse names the schema "UserInfo" (the request says "user_info")' in s["python-openai-parse"].code
    assert s["node-openai"].runnable and "chat.completions.create(" in s["node-openai"].code  # always offered
    forms = by_kind(parse_form_snippets(req))  # the forms themselves, offered or not
    parse = forms["python-openai-parse"].code
    assert "class UserInfo(BaseModel):" in parse and "response_format=UserInfo" in parse
    assert "chat.completions.parse(" in parse
    node = forms["node-openai-parse"]
    assert 'zodResponseFormat(UserInfo, "user_info")' in node.code and "z.number().int()" in node.code
    java = s["java-dashscope"]
    assert not java.runnable and "The Java SDK is not currently supported." in java.code


def test_images_switch_dashscope_to_multimodal() -> None:
    png = (assets_dir() / "receipt.png").read_bytes()
    req = Request(model="qwen3-vl-plus", user_text="Output JSON.", images=[ImageInput(data=png, name="receipt.png")])
    s = by_kind(generate(req))
    assert "dashscope.MultiModalConversation.call(" in s["python-dashscope"].code
    assert "result_format" not in s["python-dashscope"].code
    assert "/multimodal-generation/generation" in s["curl-native"].code
    assert "MultiModalConversation" in s["java-dashscope"].code


def test_custom_endpoint_has_no_native_snippets() -> None:
    req = Request(endpoint="custom", custom_base_url="http://localhost:11434/v1/", user_text="json")
    s = by_kind(generate(req))
    assert list(s) == ["python-openai", "node-openai", "curl-compatible"]
    assert 'base_url="http://localhost:11434/v1"' in s["python-openai"].code


def test_base_urls_follow_the_endpoint_or_the_arguments() -> None:
    intl = by_kind(generate(Request(endpoint="intl", user_text="json")))
    assert 'base_url="https://dashscope-intl.aliyuncs.com/compatible-mode/v1"' in intl["python-openai"].code
    assert "dashscope.base_http_api_url = \"https://dashscope-intl.aliyuncs.com/api/v1\"" in \
        intl["python-dashscope"].code
    assert "Keys are per region" in intl["python-openai"].code
    local = by_kind(generate(Request(user_text="json"), compatible_base_url="http://127.0.0.1:9/compatible-mode/v1",
                             native_base_url="http://127.0.0.1:9/api/v1"))
    assert "http://127.0.0.1:9/compatible-mode/v1/chat/completions" in local["curl-compatible"].code
    assert "http://127.0.0.1:9/api/v1/services/aigc/text-generation/generation" in local["curl-native"].code


def test_parameters_reach_every_form() -> None:
    req = Request(user_text="json", temperature=0.3, max_tokens=50, enable_thinking=False, stream=True)
    s = by_kind(generate(req))
    py = s["python-openai"].code
    assert "temperature=0.3" in py and "max_tokens=50" in py and 'extra_body={"enable_thinking": False}' in py
    assert "stream=True" in py and "for chunk in completion" in py
    ds = s["python-dashscope"].code
    assert "enable_thinking=False" in ds and "incremental_output=True" in ds
    assert "enable_thinking: false" in s["node-openai"].code and "for await" in s["node-openai"].code
    assert '"incremental_output": true' in s["curl-native"].code and "X-DashScope-SSE: enable" in s["curl-native"].code
    java = s["java-dashscope"].code
    assert ".temperature(0.3f)" in java and ".maxTokens(50)" in java and ".enableThinking(false)" in java


# ---------------------------------------------------------------- syntax of every snippet of every preset

def _all_snippets() -> list[tuple[str, Snippet]]:
    out = []
    for p in PRESETS:
        for s in generate(preset_to_request(p), image_paths=["receipt.png"] * len(p.images)):
            out.append((f"{p.id}:{s.kind}", s))
    return out


ALL = _all_snippets()


@pytest.mark.parametrize(("name", "snippet"), [a for a in ALL if a[1].language == "python"], ids=lambda x: x
                         if isinstance(x, str) else "")
def test_python_snippets_compile(name: str, snippet: Snippet) -> None:
    compile(snippet.code, snippet.filename, "exec")


def test_node_snippets_pass_node_check(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    for name, s in ALL:
        if s.language != "javascript":
            continue
        f = tmp_path / f"{name.replace(':', '_')}.mjs"
        f.write_text(s.code)
        r = subprocess.run(["node", "--check", str(f)], capture_output=True, text=True)
        assert r.returncode == 0, f"{name}: {r.stderr}"


def test_curl_snippets_pass_bash_n(tmp_path: Path) -> None:
    for name, s in ALL:
        if s.language != "bash":
            continue
        r = subprocess.run(["bash", "-n"], input=s.code, capture_output=True, text=True)
        assert r.returncode == 0, f"{name}: {r.stderr}"


def test_curl_bodies_are_the_json_the_request_describes(tmp_path: Path) -> None:
    """Replace curl by a stub that prints its body: what the shell would send is valid JSON, including
    quotes, backslashes and dollar signs in the prompt and the heredoc form with an image."""
    stub = tmp_path / "curl"
    stub.write_text('#!/bin/bash\nwhile [ $# -gt 0 ]; do case "$1" in -d|--data-binary) shift; '
                    'if [ "$1" = "@-" ]; then cat; else printf %s "$1"; fi;; esac; shift; done\n')
    stub.chmod(0o755)
    (tmp_path / "receipt.png").write_bytes((assets_dir() / "receipt.png").read_bytes())
    tricky = "It's \"quoted\", a back\\slash, $HOME, `ls` and ${x}\nline two, json"
    png = (assets_dir() / "receipt.png").read_bytes()
    for req in (Request(user_text=tricky, system_prompt=tricky),
                Request(model="qwen3-vl-plus", user_text=tricky, images=[ImageInput(data=png, name="receipt.png")])):
        for s in generate(req):
            if s.language != "bash":
                continue
            r = subprocess.run(["bash", "-c", s.code], capture_output=True, text=True, cwd=tmp_path,
                               env={"PATH": f"{tmp_path}:/usr/bin:/bin", "DASHSCOPE_API_KEY": "k"})
            assert r.returncode == 0, r.stderr
            body = json.loads(r.stdout)
            msgs = body["messages"] if "messages" in body else body["input"]["messages"]
            user = msgs[-1]["content"]
            text = user if isinstance(user, str) else next(c for c in user if "text" in c)["text"]
            assert text == tricky
            if req.images:
                part = user[0]
                url = part["image_url"]["url"] if "image_url" in part else part["image"]
                assert url == req.images[0].to_url()


# ---------------------------------------------------------------- the key

def test_the_key_comes_only_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", SECRET)
    for _, s in ALL + [("x", s) for s in generate(Request(endpoint="intl", user_text=f"json {SECRET[:6]}"))]:
        assert SECRET not in s.code
        if s.runnable:
            assert "DASHSCOPE_API_KEY" in s.code
            assert not any(line.strip().startswith(("api_key=\"", "apiKey: \"", ".apiKey(\""))
                           for line in s.code.splitlines())


# ---------------------------------------------------------------- images

def test_large_images_are_read_from_a_file_small_ones_inlined_urls_kept() -> None:
    big = (assets_dir() / "receipt.png").read_bytes()
    tiny = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
    req = Request(model="qwen3-vl-plus", user_text="JSON", images=[
        ImageInput(data=big, name="receipt.png"), ImageInput(data=tiny, name="dot.png"),
        ImageInput(url="https://example.com/r.jpg")])
    s = by_kind(generate(req, image_paths=["/data/receipt.png"]))
    py = s["python-openai"].code
    assert 'IMAGE_PATH_1 = "/data/receipt.png"' in py and "image_url_1" in py
    assert req.images[1].to_url() in py and len(req.images[1].to_url()) <= INLINE_DATA_URL_MAX
    assert "https://example.com/r.jpg" in py
    assert req.images[0].to_url()[:200] not in py  # the big base64 is not inlined
    for code in (x.code for x in s.values()):
        assert len(code) < 20_000


def test_default_image_path_is_the_image_name() -> None:
    big = (assets_dir() / "receipt.png").read_bytes()
    s = by_kind(generate(Request(model="qwen3-vl-plus", user_text="JSON", images=[ImageInput(data=big, name="r.png")])))
    assert 'IMAGE_PATH = "r.png"' in s["python-openai"].code
    assert 'const IMAGE_PATH = "r.png"' in s["node-openai"].code
    assert "IMAGE_PATH='r.png'" in s["curl-compatible"].code
    assert 'String IMAGE_PATH = "r.png"' in s["java-dashscope"].code


# ---------------------------------------------------------------- schema → Pydantic / zod

def _sdk_schema_of(code: str, class_name: str) -> dict:
    from openai.lib._parsing._completions import type_to_response_format_param
    ns: dict = {}
    src = code[code.index("\nclass ") + 1:]
    src = src[: src.index("\n\n\n# ") if "\n\n\n# " in src else src.index("completion =")]
    head = "from typing import Literal, Optional\nfrom pydantic import BaseModel, Field\n"
    exec(compile(head + src, "<generated>", "exec", dont_inherit=True), ns)
    return type_to_response_format_param(ns[class_name])["json_schema"]["schema"]


@pytest.mark.parametrize("preset_id", ["json-schema-parse-userinfo", "going-live-parse-optional-email"])
def test_generated_class_makes_parse_send_the_presets_schema(preset_id: str) -> None:
    """The reference's parse presets store what the SDK sends for the reference's class; the class
    generated back from that schema makes the SDK send the very same schema."""
    preset = get_preset(preset_id)  # the form that was a preset of its own
    s = by_kind(generate(preset_to_request(preset)))
    assert _sdk_schema_of(s["python-openai-parse"].code, "UserInfo") == preset.json_schema


def test_optional_fields_follow_the_reference() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string", "description": "User name"},
                                               "email": {"type": "string"}}, "required": ["name"]}
    s = by_kind(parse_form_snippets(schema_req(schema, schema_name="user_info")))
    assert "    email: Optional[str] = None" in s["python-openai-parse"].code
    assert "email: z.string().optional().nullable()," in s["node-openai-parse"].code


def test_nested_objects_arrays_enums_and_nullables() -> None:
    schema = {"type": "object", "additionalProperties": False, "required": ["info", "hobby", "level", "note"],
              "properties": {
                  "info": {"type": "object", "additionalProperties": False, "required": ["name"],
                           "properties": {"name": {"type": "string"}}},
                  "hobby": {"type": "array", "items": {"type": "string"}},
                  "level": {"type": "string", "enum": ["low", "high"]},
                  "note": {"type": ["string", "null"]}}}
    s = by_kind(parse_form_snippets(schema_req(schema, schema_name="profile")))
    parse = s["python-openai-parse"].code
    assert "class Info(BaseModel):" in parse and parse.index("class Info") < parse.index("class Profile")
    assert "info: Info" in parse and "hobby: list[str]" in parse
    assert 'level: Literal["low", "high"]' in parse and "note: Optional[str]" in parse
    sent = _sdk_schema_of(parse, "Profile")
    assert sent["required"] == ["info", "hobby", "level", "note"]
    node = s["node-openai-parse"].code
    assert 'z.enum(["low", "high"])' in node and "z.array(z.string())" in node and "z.string().nullable()" in node


@pytest.mark.parametrize(("schema", "why"), [
    ({"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}}, "minimum"),
    ({"type": "object", "properties": {"name": {"type": "string"}}, "additionalProperties": True},
     "additional properties"),
    ({"type": "array", "items": {"type": "string"}}, "root is not an object"),
    ({"type": "object", "properties": {"first-name": {"type": "string"}}}, "not a plain identifier"),
    ({"type": "object", "properties": {"x": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}}, "oneOf"),
])
def test_schemas_a_class_cannot_express_fall_back_to_a_dict(schema: dict, why: str) -> None:
    with pytest.raises(NotExpressible, match=why):
        schema_shape(schema, "x")
    s = by_kind(generate(schema_req(schema)))
    assert parse_form_snippets(schema_req(schema)) == []
    for kind in ("python-openai-parse", "node-openai-parse"):  # a note says why, in place of the form
        assert not s[kind].runnable and "cannot express this schema" in s[kind].code and why in s[kind].code
    assert '"type": "json_schema"' in s["python-openai"].code
    assert "zodResponseFormat" not in s["node-openai"].code and "json_schema" in s["node-openai"].code


# ---------------------------------------------------------------- literals

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)


@given(TEXT)
def test_py_str_round_trips(s: str) -> None:
    assert eval(py_str(s)) == s


@given(TEXT)
def test_js_str_is_a_valid_literal_shape(s: str) -> None:
    lit = js_str(s)
    if lit.startswith("`"):
        assert "${" not in lit.replace("\\${", "") and lit.count("`") - lit.count("\\`") == 2
    else:
        assert json.loads(lit) == s


def test_js_and_java_literals_round_trip_in_their_languages(tmp_path: Path) -> None:
    samples = ["plain", "multi\nline with `tick` and ${x} and \\ and \"q\" and 'a' — ü", "tab\tand\r\nCRLF " * 5]
    if shutil.which("node"):
        for s in samples:
            r = subprocess.run(["node", "-e", f"process.stdout.write(JSON.stringify({js_str(s)}))"],
                               capture_output=True, text=True)
            assert json.loads(r.stdout) == s
    if shutil.which("java"):
        src = tmp_path / "Lit.java"
        body = "\n".join(f'        System.out.println(java.util.Base64.getEncoder().encodeToString(('
                         f'{java_str(s, "            ")}).getBytes(java.nio.charset.StandardCharsets.UTF_8)));'
                         for s in samples)
        src.write_text("public class Lit {\n    public static void main(String[] a) {\n" + body + "\n    }\n}\n")
        r = subprocess.run(["java", str(src)], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert [base64.b64decode(x).decode() for x in r.stdout.split()] == samples


def test_literal_keeps_short_containers_on_one_line() -> None:
    assert literal({"type": "json_object"}, "python") == '{"type": "json_object"}'
    assert literal({"a": True, "b": None}, "python") == '{"a": True, "b": None}'
    assert literal({"a": True, "b": None}, "js") == "{a: true, b: null}"
    long = literal({"k": "x" * 100}, "python")
    assert long.startswith("{\n    \"k\": ") and long.endswith(",\n}")
    assert eval(literal({"deep": [{"x": [1, 2.5, "s\n" * 40]}]}, "python")) == {"deep": [{"x": [1, 2.5, "s\n" * 40]}]}


def test_strict_false_has_no_parse_form_because_parse_is_always_strict() -> None:
    s = by_kind(generate(schema_req(USER_INFO, strict=False)))
    assert not s["python-openai-parse"].runnable and "strict is false" in s["python-openai-parse"].code
    assert '"strict": False' in s["python-openai"].code
    assert "zodResponseFormat" not in s["node-openai"].code
