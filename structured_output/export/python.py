"""Python snippets: ``openai`` (``create``, and the Pydantic + ``parse`` form in JSON Schema mode)
and ``dashscope`` (``Generation.call``, or ``MultiModalConversation.call`` with images)."""

from __future__ import annotations

import json
from typing import Any

from structured_output.export.literals import _Var, literal, py_str
from structured_output.export.shapes import NotExpressible, _Object, _Type, parse_shape
from structured_output.export.shared import (
    FRAMES_GLOB,
    KEY_ENV,
    VIDEO_VAR,
    Snippet,
    _call_args,
    _compatible_messages,
    _ImageSlot,
    _key_comment,
    _native_messages,
    _path_var,
    frames_comment,
    has_frames,
    multimodal,
)
from structured_output.request import Request
from structured_output.wire.common import optional_params


def _py_type(t: _Type, typing: set[str]) -> str:
    if t.kind == "enum":
        typing.add("Literal")
        inner = "Literal[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in t.values) + "]"
    elif t.kind == "array":
        inner = f"list[{_py_type(t.item, typing)}]" if t.item else "list"
    elif t.kind == "object":
        inner = t.obj.name if t.obj else "dict"
    else:
        inner = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}[t.kind]
    if t.nullable:
        typing.add("Optional")
        return f"Optional[{inner}]"
    return inner


def pydantic_classes(classes: list[_Object]) -> tuple[str, set[str]]:
    """Python source of the classes and the ``typing`` names they need."""
    typing: set[str] = set()
    out = []
    for obj in classes:
        lines = [f"class {obj.name}(BaseModel):"]
        for f in obj.fields:
            hint = _py_type(f.type, typing)
            args = [f"description={py_str(f.type.description)}"] if f.type.description else []
            if f.type.bounds is not None:
                args += [f"ge={f.type.bounds[0]!r}", f"le={f.type.bounds[1]!r}"]
            if not f.required:  # optional as the reference writes it: Optional[...] = None
                if not f.type.nullable:
                    typing.add("Optional")
                    hint = f"Optional[{hint}]"
                args.insert(0, "default=None")
            if args == ["default=None"]:
                lines.append(f"    {f.name}: {hint} = None")
            elif args:
                lines.append(f"    {f.name}: {hint} = Field({', '.join(args)})")
            else:
                lines.append(f"    {f.name}: {hint}")
        out.append("\n".join(lines))
    return "\n\n\n".join(out), typing


# ---------------------------------------------------------------- Python · openai

def _py_image_reads(slots: list[_ImageSlot],
                    header: str = "# The image is read from a file and sent as a data: URL (base64).\n") -> str:
    lines = []
    for s in slots:
        if not s.var:
            continue
        pv = _path_var(s)
        lines += [f"{pv} = {py_str(s.path)}  # the image to send; change to your file",
                  f"with open({pv}, \"rb\") as f:",
                  f"    {s.var} = \"data:{s.mime};base64,\" + base64.b64encode(f.read()).decode(\"ascii\")"]
    if not lines:
        return ""
    return header + "\n".join(lines) + "\n\n"


def _py_frame_reads(req: Request) -> str:
    if not has_frames(req):
        return ""
    return (frames_comment(req, "#") +
            f"FRAME_PATHS = sorted(glob.glob({py_str(FRAMES_GLOB)}))  # the frames to send, in order\n"
            f"{VIDEO_VAR} = []\nfor path in FRAME_PATHS:\n    with open(path, \"rb\") as f:\n"
            f"        {VIDEO_VAR}.append(\"data:image/jpeg;base64,\"\n"
            f"                            + base64.b64encode(f.read()).decode(\"ascii\"))\n\n")


def _py_imports(req: Request, slots: list[_ImageSlot]) -> list[str]:
    imports = ["import os"] + (["import base64"] if any(s.var for s in slots) or has_frames(req) else [])
    return imports + (["import glob"] if has_frames(req) else [])


def python_openai(req: Request, base_url: str, slots: list[_ImageSlot]) -> Snippet:
    args: list[tuple[str, Any]] = [("model", req.model), ("messages", _compatible_messages(req, slots))]
    args += optional_params(req).items()  # response_format, temperature, max_tokens: as the playground sends
    if req.enable_thinking is not None:
        args.append(("extra_body", {"enable_thinking": req.enable_thinking}))
    if req.stream:  # as the playground streams: the last chunk carries the usage
        args += [("stream", True), ("stream_options", {"include_usage": True})]
    imports = _py_imports(req, slots)
    code = "\n".join(sorted(imports)) + "\n\nfrom openai import OpenAI\n\n"
    code += (f"client = OpenAI(\n{_key_comment(req, '    #')}\n    api_key=os.getenv({py_str(KEY_ENV)}),\n"
             f"    base_url={py_str(base_url)},\n)\n\n")
    code += _py_image_reads(slots) + _py_frame_reads(req)
    code += "completion = client.chat.completions.create(\n" + _call_args(args, "python") + ")\n\n"
    if req.stream:
        code += ("json_string = \"\"\nfor chunk in completion:\n"
                 "    if chunk.choices and chunk.choices[0].delta.content is not None:\n"
                 "        json_string += chunk.choices[0].delta.content\n")
    else:
        code += "json_string = completion.choices[0].message.content\n"
    code += "print(json_string)\n"
    return Snippet("python", "Python · openai", code, "structured_output_openai.py", "python-openai")


def python_openai_parse(req: Request, base_url: str, slots: list[_ImageSlot]) -> Snippet | None:
    """The Pydantic + ``parse`` form, or None when the schema cannot be a Pydantic class at all. It may
    still send another schema than the request's: ``export.generate`` offers it only when
    ``parse_forms`` finds it sends the same one."""
    try:
        classes = parse_shape(req)
    except NotExpressible:
        return None
    src, typing = pydantic_classes(classes)
    root = classes[-1].name
    args: list[tuple[str, Any]] = [("model", req.model), ("messages", _compatible_messages(req, slots))]
    if req.temperature is not None:
        args.append(("temperature", req.temperature))
    if req.max_tokens is not None:
        args.append(("max_tokens", req.max_tokens))
    if req.enable_thinking is not None:
        args.append(("extra_body", {"enable_thinking": req.enable_thinking}))
    imports = _py_imports(req, slots)
    if typing:
        imports.append(f"from typing import {', '.join(sorted(typing))}")
    code = "\n".join(sorted(imports, key=lambda s: (s.startswith("from"), s))) + "\n\n"
    code += "from openai import OpenAI\nfrom pydantic import BaseModel, Field\n\n"
    code += (f"client = OpenAI(\n{_key_comment(req, '    #')}\n    api_key=os.getenv({py_str(KEY_ENV)}),\n"
             f"    base_url={py_str(base_url)},\n)\n\n\n")
    code += src + "\n\n\n"
    code += _py_image_reads(slots) + _py_frame_reads(req)
    note = ("# parse turns the class into a strict JSON Schema named after it: it adds\n"
            "# additionalProperties: false and lists every field as required (optional ones may be null).\n")
    if req.stream:
        note += "# parse does not stream; the create snippet shows streaming.\n"
    code += note
    code += ("completion = client.chat.completions.parse(\n" + _call_args(args, "python") +
             f"    response_format={root},\n)\n\n")
    code += ("result = completion.choices[0].message.parsed  # a " + root + " instance\n"
             "print(result.model_dump_json(indent=2))\n")
    return Snippet("python", "Python · openai (Pydantic + parse)", code, "structured_output_openai_parse.py",
                   "python-openai-parse")


# ---------------------------------------------------------------- Python · dashscope

def python_dashscope(req: Request, native_url: str, slots: list[_ImageSlot]) -> Snippet:
    mm = multimodal(req, slots)
    api = "MultiModalConversation" if mm else "Generation"
    args: list[tuple[str, Any]] = [("model", req.model), ("messages", _Var("messages"))]
    if not mm:
        args.append(("result_format", "message"))
    args += optional_params(req).items()  # response_format, temperature, max_tokens: as the playground sends
    if req.enable_thinking is not None:
        args.append(("enable_thinking", req.enable_thinking))
    if req.stream:
        args += [("stream", True), ("incremental_output", True)]
    imports = _py_imports(req, slots)
    code = "\n".join(sorted(imports)) + "\n\nimport dashscope\n\n"
    code += f"dashscope.base_http_api_url = {py_str(native_url)}\n\n"
    code += _py_image_reads(slots, "# The image is read from a file and sent as a data: URL (base64): given a local\n"
                                   "# file path, the SDK would first upload the file to cloud storage.\n")
    code += _py_frame_reads(req)
    code += f"messages = {literal(_native_messages(req, slots), 'python')}\n\n"
    code += (f"response = dashscope.{api}.call(\n{_key_comment(req, '    #')}\n"
             f"    api_key=os.getenv({py_str(KEY_ENV)}),\n" + _call_args(args, "python") + ")\n\n")
    text = 'message.content[0]["text"] if {c}.output.choices[0].message.content else ""' if mm \
        else "message.content"
    if req.stream:
        piece = (f"chunk.output.choices[0].{text.format(c='chunk')}" if mm
                 else "chunk.output.choices[0].message.content or \"\"")
        code += ("json_string = \"\"\nfor chunk in response:\n"
                 "    if chunk.status_code != 200:  # an HTTP error does not raise: check the status\n"
                 "        raise SystemExit(f\"{chunk.status_code} {chunk.code}: {chunk.message}\")\n"
                 f"    json_string += {piece}\n")
    else:
        code += ("if response.status_code != 200:  # an HTTP error does not raise: check the status\n"
                 "    raise SystemExit(f\"{response.status_code} {response.code}: {response.message}\")\n")
        if mm:
            code += 'json_string = response.output.choices[0].message.content[0]["text"]\n'
        else:
            code += "json_string = response.output.choices[0].message.content\n"
    code += "print(json_string)\n"
    label = f"Python · dashscope ({api})"
    return Snippet("python", label, code, "structured_output_dashscope.py", "python-dashscope")
