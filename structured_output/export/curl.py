"""curl snippets for the compatible and the native endpoint."""

from __future__ import annotations

import json
import re
from typing import Any

from structured_output.export.shared import (
    FRAMES_GLOB,
    KEY_ENV,
    VIDEO_VAR,
    Snippet,
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


def _curl(url: str, body: dict[str, Any], slots: list[_ImageSlot], req: Request, extra_headers: list[str]) -> str:
    head = _key_comment(req, "#") + "\n"
    headers = ['-H "Authorization: Bearer $' + KEY_ENV + '"', '-H "Content-Type: application/json"', *extra_headers]
    text = json.dumps(body, indent=4, ensure_ascii=False, default=lambda v: f"__VAR__{v.name}__")
    if any(s.var for s in slots) or has_frames(req):
        # A heredoc keeps a large base64 image out of the command line (which has a length limit).
        reads = "".join(f'{_path_var(s)}={_sh_quote(s.path)}  # the image to send; change to your file\n'
                        f'{s.var.upper()}="data:{s.mime};base64,$(base64 < "${_path_var(s)}" | tr -d \'\\n\')"\n'
                        for s in slots if s.var)
        if has_frames(req):
            reads += (frames_comment(req, "#") +
                      f"{VIDEO_VAR.upper()}=$(for f in {FRAMES_GLOB}; do printf '\"data:image/jpeg;base64,%s\",' "
                      f"\"$(base64 < \"$f\" | tr -d '\\n')\"; done)\n{VIDEO_VAR.upper()}=${{{VIDEO_VAR.upper()}%,}}\n")
        text = text.replace("\\", "\\\\").replace("$", "\\$").replace("`", "\\`")
        text = text.replace(f'"__VAR__{VIDEO_VAR}__"', "[${" + VIDEO_VAR.upper() + "}]")
        text = re.sub(r'"__VAR__(\w+)__"', lambda m: '"${' + m.group(1).upper() + '}"', text)
        images_read = any(s.var for s in slots)
        what = "# The image is read from a file and sent as a data: URL (base64).\n" if images_read else ""
        return (head + what + reads + "\n" +
                f"curl -X POST {url} \\\n" + " \\\n".join(headers) + " \\\n--data-binary @- <<EOF\n" + text + "\nEOF\n")
    return (head + f"curl -X POST {url} \\\n" + " \\\n".join(headers) + " \\\n-d '" +
            text.replace("'", "'\\''") + "'\n")


def _sh_quote(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


def curl_compatible(req: Request, base_url: str, slots: list[_ImageSlot]) -> Snippet:
    body: dict[str, Any] = {"model": req.model, "messages": _compatible_messages(req, slots),
                            **optional_params(req)}
    if req.enable_thinking is not None:
        body["enable_thinking"] = req.enable_thinking
    if req.stream:  # as the playground streams: the last chunk carries the usage
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    code = _curl(f"{base_url}/chat/completions", body, slots, req, [])
    return Snippet("bash", "curl · OpenAI compatible", code, "structured_output_compatible.sh", "curl-compatible")


def curl_native(req: Request, native_url: str, slots: list[_ImageSlot]) -> Snippet:
    mm = multimodal(req, slots)
    path = "multimodal-generation" if mm else "text-generation"
    params: dict[str, Any] = {} if mm else {"result_format": "message"}
    params.update(optional_params(req))  # the same as the playground's native body
    if req.enable_thinking is not None:
        params["enable_thinking"] = req.enable_thinking
    headers = []
    if req.stream:
        params["incremental_output"] = True
        headers.append('-H "X-DashScope-SSE: enable"')
    body: dict[str, Any] = {"model": req.model, "input": {"messages": _native_messages(req, slots)},
                            "parameters": params}
    code = _curl(f"{native_url}/services/aigc/{path}/generation", body, slots, req, headers)
    return Snippet("bash", "curl · DashScope native", code, "structured_output_native.sh", "curl-native")
