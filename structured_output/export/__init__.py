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
from structured_output.export.node import node_openai, node_openai_zod
from structured_output.export.python import python_dashscope, python_openai, python_openai_parse
from structured_output.export.shared import Snippet, _bases, _slots
from structured_output.request import Request

PARSE_LABELS = {"python-openai-parse": ("python", "#", "Python · openai (Pydantic + parse)", "Python · openai"),
                "node-openai-parse": ("javascript", "//", "Node.js · openai (zod + parse)", "Node.js · openai")}


def _not_offered(kind: str, why: list[str]) -> Snippet:
    """A note in place of a parse form that would change the request: what it would change."""
    language, c, label, plain = PARSE_LABELS[kind]
    lines = [f"{c} {label} is not offered for this request: it would not send the request the playground sends."]
    lines += [f"{c}   - {w}" for w in why]
    lines.append(f"{c} The \"{plain}\" tab sends this request exactly (chat.completions.create with the schema as it")
    lines.append(f"{c} is). Change the schema (or strict) to what the form sends to get the form.")
    return Snippet(language, f"{label}: not offered", "\n".join(lines) + "\n", "", kind, runnable=False)


def parse_form_snippets(req: Request, *, compatible_base_url: str | None = None,
                        image_paths: list[str] | None = None, native_base_url: str | None = None) -> list[Snippet]:
    """The Pydantic and zod parse forms for ``req`` whether or not they send the same request (tests run
    them to check what ``parse_forms`` says they send)."""
    compat, _ = _bases(req, compatible_base_url, native_base_url)
    slots = _slots(req, image_paths)
    forms = [python_openai_parse(req, compat, slots), node_openai_zod(req, compat, slots)]
    return [f for f in forms if f is not None]


def generate(req: Request, *, compatible_base_url: str | None = None, native_base_url: str | None = None,
             image_paths: list[str] | None = None) -> list[Snippet]:
    """Every snippet for ``req``. The native ones (dashscope, curl native, Java) are left out when
    the endpoint has no native protocol (a custom OpenAI-compatible URL). ``image_paths`` names the
    files the snippets read images from (default: each image's own name)."""
    compat, native = _bases(req, compatible_base_url, native_base_url)
    slots = _slots(req, image_paths)
    from structured_output.parse_forms import python_parse_check, zod_parse_check  # it uses export.shapes

    out: list[Snippet] = [python_openai(req, compat, slots)]
    schema_mode = req.mode == "json_schema"
    if schema_mode:  # offered only when it sends the very request; else a note says what it would change
        check = python_parse_check(req)
        parse = python_openai_parse(req, compat, slots) if check.same else None
        out.append(parse or _not_offered(check.kind, check.changes or [check.why_not]))
    if native:
        out.append(python_dashscope(req, native, slots))
    out.append(node_openai(req, compat, slots))  # the plain create form, always
    if schema_mode:
        check = zod_parse_check(req)
        zod = node_openai_zod(req, compat, slots) if check.same else None
        out.append(zod or _not_offered(check.kind, check.changes or [check.why_not]))
    out.append(curl_compatible(req, compat, slots))
    if native:
        out.append(curl_native(req, native, slots))
        out.append(java_dashscope(req, native, slots))
    return out
