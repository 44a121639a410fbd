"""Node.js snippets with the ``openai`` SDK: ``create`` always, and in JSON Schema mode the zod +
``parse`` form (offered by ``export.generate`` only when it sends the request's own schema)."""

from __future__ import annotations

import json
import re
from typing import Any

from structured_output.export.literals import _key, js_str
from structured_output.export.shapes import SAFE_INT_BOUNDS, NotExpressible, _Object, _Type, parse_shape
from structured_output.export.shared import (
    KEY_ENV,
    Snippet,
    _call_args,
    _compatible_messages,
    _ImageSlot,
    _key_comment,
    _path_var,
    frames_comment,
    has_frames,
)
from structured_output.request import Request
from structured_output.wire.common import optional_params


def _zod_type(t: _Type, level: int) -> str:
    if t.kind == "enum":
        z = "z.enum([" + ", ".join(json.dumps(v, ensure_ascii=False) for v in t.values) + "])"
    elif t.kind == "array":
        z = f"z.array({_zod_type(t.item, level) if t.item else 'z.any()'})"
    elif t.kind == "object" and t.obj is not None:
        z = zod_object(t.obj, level)
    else:
        z = {"string": "z.string()", "integer": "z.number().int()", "number": "z.number()",
             "boolean": "z.boolean()"}[t.kind]
        if t.bounds is not None and not (t.kind == "integer" and t.bounds == SAFE_INT_BOUNDS):  # .int() sends those
            z += f".gte({t.bounds[0]!r}).lte({t.bounds[1]!r})"
    if t.nullable:
        z += ".nullable()"
    if t.description:
        z += f".describe({js_str(t.description)})"
    return z


def zod_object(obj: _Object, level: int = 0) -> str:
    pad, end = "  " * (level + 1), "  " * level
    lines = []
    for f in obj.fields:
        z = _zod_type(f.type, level + 1)
        if not f.required:  # as the reference writes optional fields: .optional().nullable()
            z += ".optional()" + ("" if f.type.nullable else ".nullable()")
        lines.append(f"{pad}{_key(f.name, 'js')}: {z},")
    return "z.object({\n" + "\n".join(lines) + "\n" + end + "})"


def _js_image_reads(slots: list[_ImageSlot]) -> str:
    lines = []
    for s in slots:
        if not s.var:
            continue
        pv = _path_var(s)
        var = re.sub(r"_(\d+|[a-z])", lambda m: m.group(1).upper(), s.var)  # image_url_1 -> imageUrl1
        lines += [f"const {pv} = {js_str(s.path)};  // the image to send; change to your file",
                  f"const {var} = `data:{s.mime};base64,${{fs.readFileSync({pv}).toString(\"base64\")}}`;"]
    if not lines:
        return ""
    return "// The image is read from a file and sent as a data: URL (base64).\n" + "\n".join(lines) + "\n\n"


def _js_frame_reads(req: Request) -> str:
    if not has_frames(req):
        return ""
    return (frames_comment(req, "//") +
            'const FRAME_DIR = "frames";  // the frames to send, in order\n'
            'const videoFrames = fs.readdirSync(FRAME_DIR).filter((f) => /^frame_.*\\.jpg$/.test(f)).sort()\n'
            '    .map((f) => `data:image/jpeg;base64,${fs.readFileSync(`${FRAME_DIR}/${f}`).toString("base64")}`);\n\n')


def _js_slots(slots: list[_ImageSlot]) -> list[_ImageSlot]:
    return [_ImageSlot(re.sub(r"_(\d+|[a-z])", lambda m: m.group(1).upper(), s.var) if s.var else "",
                       s.url, s.path, s.mime) for s in slots]


def _node_args(req: Request, js_slots: list[_ImageSlot], *, with_format: bool,
               stream: bool) -> list[tuple[str, Any]]:
    args: list[tuple[str, Any]] = [("model", req.model),
                                   ("messages", _compatible_messages(req, js_slots, "videoFrames"))]
    args += [(k, v) for k, v in optional_params(req).items() if with_format or k != "response_format"]
    if req.enable_thinking is not None:
        args.append(("enable_thinking", req.enable_thinking))
    if stream:  # as the playground streams: the last chunk carries the usage
        args += [("stream", True), ("stream_options", {"include_usage": True})]
    return args


def _node_head(req: Request, base_url: str, slots: list[_ImageSlot], *, zod: bool) -> str:
    code = 'import OpenAI from "openai";\n'
    if zod:
        code += 'import { zodResponseFormat } from "openai/helpers/zod";\nimport { z } from "zod";\n'
    if any(s.var for s in slots) or has_frames(req):
        code += 'import fs from "node:fs";\n'
    code += ("\nconst openai = new OpenAI({\n" + _key_comment(req, "    //") +
             f"\n    apiKey: process.env.{KEY_ENV},\n    baseURL: {js_str(base_url)},\n}});\n\n")
    return code + _js_image_reads(slots) + _js_frame_reads(req)


def node_openai(req: Request, base_url: str, slots: list[_ImageSlot]) -> Snippet:
    """``chat.completions.create`` with the request's own response_format: always offered (issue 12)."""
    args = _node_args(req, _js_slots(slots), with_format=True, stream=req.stream)
    code = _node_head(req, base_url, slots, zod=False)
    code += "const completion = await openai.chat.completions.create({\n" + _call_args(args, "js") + "});\n\n"
    if req.stream:
        code += ("let jsonString = \"\";\nfor await (const chunk of completion) {\n"
                 "    jsonString += chunk.choices[0]?.delta?.content ?? \"\";\n}\nconsole.log(jsonString);\n")
    else:
        code += "const jsonString = completion.choices[0].message.content;\nconsole.log(jsonString);\n"
    return Snippet("javascript", "Node.js · openai", code, "structured_output.mjs", "node-openai")


def node_openai_zod(req: Request, base_url: str, slots: list[_ImageSlot]) -> Snippet | None:
    """The zod + ``parse`` form, or None when the schema cannot be a zod object at all. It may still send
    another schema than the request's: ``export.generate`` offers it only when ``parse_forms`` finds it
    sends the same one."""
    try:
        classes = parse_shape(req)
    except NotExpressible:
        return None
    root = classes[-1]
    args = _node_args(req, _js_slots(slots), with_format=False, stream=False)
    code = _node_head(req, base_url, slots, zod=True)
    code += f"const {root.name} = {zod_object(root)};\n\n"
    if req.stream:
        code += "// parse does not stream; the create snippet shows streaming.\n"
    code += ("// parse sends the zod object as a strict JSON Schema and checks the answer against it.\n"
             "const completion = await openai.chat.completions.parse({\n" + _call_args(args, "js") +
             f"    response_format: zodResponseFormat({root.name}, {js_str(req.schema_name or 'result')}),\n"
             "});\n\n")
    code += "console.log(JSON.stringify(completion.choices[0].message.parsed, null, 2));\n"
    return Snippet("javascript", "Node.js · openai (zod + parse)", code, "structured_output_zod.mjs",
                   "node-openai-parse")
