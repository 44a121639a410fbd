"""Code export: the current ``Request`` as code, in the forms the reference shows: Python with the ``openai`` SDK
(``create``; for JSON Schema mode also a Pydantic class with ``parse``), Python with ``dashscope``
(``Generation.call``, or ``MultiModalConversation.call`` with images), Node.js with ``openai`` (the
``zod`` + ``parse`` form in JSON Schema mode), curl for the compatible and the native endpoint, and
Java with the DashScope SDK (JSON Object mode; the reference notes Java does not support JSON Schema).

The key always comes from the ``DASHSCOPE_API_KEY`` environment variable and never appears in the
code. Images given as bytes are read from a file path (a variable at the top of the snippet) and
sent as a ``data:`` URL, because inlining base64 makes the code unreadable; only tiny images are
inlined. The base URLs come from the request's endpoint unless given (tests point them at the
local engine).

Each language has its module (``python``, ``node``, ``curl``, ``java``); ``literals`` writes values
as each language's literals, ``shapes`` turns a schema into the classes of the Pydantic and zod
forms, ``shared`` holds the snippet type, image slots, message shapes and endpoints they share.
"""

from __future__ import annotations

from structured_output.export.curl import curl_compatible, curl_native
from structured_output.export.java import java_dashscope
from structured_output.export.node import node_openai
from structured_output.export.python import python_dashscope, python_openai, python_openai_parse
from structured_output.export.shapes import NotExpressible, parse_shape
from structured_output.export.shared import Snippet, _bases, _slots
from structured_output.request import Request


def generate(req: Request, *, compatible_base_url: str | None = None, native_base_url: str | None = None,
             image_paths: list[str] | None = None) -> list[Snippet]:
    """Every snippet for ``req``. The native ones (dashscope, curl native, Java) are left out when
    the endpoint has no native protocol (a custom OpenAI-compatible URL). ``image_paths`` names the
    files the snippets read images from (default: each image's own name)."""
    compat, native = _bases(req, compatible_base_url, native_base_url)
    slots = _slots(req, image_paths)
    out: list[Snippet] = []
    create = python_openai(req, compat, slots)
    out.append(create)
    if req.mode == "json_schema":
        try:
            parse_shape(req)
        except NotExpressible as e:
            out[-1] = Snippet(create.language, create.label,
                              f"# The schema is passed as a dict: a Pydantic class cannot express it exactly ({e}).\n"
                              + create.code, create.filename, create.kind)
        else:
            parse = python_openai_parse(req, compat, slots)
            if parse is not None:
                out.append(parse)
    if native:
        out.append(python_dashscope(req, native, slots))
    out.append(node_openai(req, compat, slots))
    out.append(curl_compatible(req, compat, slots))
    if native:
        out.append(curl_native(req, native, slots))
        out.append(java_dashscope(req, native, slots))
    return out
