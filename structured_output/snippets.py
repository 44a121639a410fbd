"""The current ``Request`` as code, in the forms the reference shows: Python with the ``openai`` SDK
(``create``; for JSON Schema mode also a Pydantic class with ``parse``), Python with ``dashscope``
(``Generation.call``, or ``MultiModalConversation.call`` with images), Node.js with ``openai`` (the
``zod`` + ``parse`` form in JSON Schema mode), curl for the compatible and the native endpoint, and
Java with the DashScope SDK (JSON Object mode; the reference notes Java does not support JSON Schema).

The key always comes from the ``DASHSCOPE_API_KEY`` environment variable and never appears in the
code. Images given as bytes are read from a file path (a variable at the top of the snippet) and
sent as a ``data:`` URL, because inlining base64 makes the code unreadable; only tiny images are
inlined. The base URLs come from the request's endpoint unless given (tests point them at the
local engine).
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass
from typing import Any

from structured_output.catalog import load_catalog
from structured_output.request import ImageInput, Request, optional_params

KEY_ENV = "DASHSCOPE_API_KEY"
INLINE_DATA_URL_MAX = 2048  # characters of a data: URL still readable inline
_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


@dataclass(frozen=True)
class Snippet:
    """One piece of code. ``kind`` is a stable id (``python-openai``, ``curl-native``, …) for tests
    and widget keys; ``runnable`` is False for an explanatory note that is not a program."""

    language: str  # for syntax highlighting: python, javascript, bash, java
    label: str
    code: str
    filename: str
    kind: str = ""
    runnable: bool = True


@dataclass(frozen=True)
class _Var:
    """A value that is a variable in the generated code (an image URL read from a file)."""

    name: str


@dataclass(frozen=True)
class _ImageSlot:
    """How one image appears in code: inline URL, or a variable filled from a file path."""

    var: str  # the variable holding the URL ("" when inline)
    url: str  # the inline URL ("" when read from a file)
    path: str  # the file to read ("" when inline)
    mime: str

    @property
    def value(self) -> str | _Var:
        return _Var(self.var) if self.var else self.url


# ---------------------------------------------------------------- literals for each language

def py_str(s: str) -> str:
    """A Python string literal; multi-line text becomes a readable triple-quoted string."""
    if "\n" in s and len(s) > 60 and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", s):
        body = s.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
        if body.endswith('"'):
            body = body[:-1] + '\\"'
        return '"""\\\n' + body + '"""'
    return json.dumps(s, ensure_ascii=False)


def js_str(s: str) -> str:
    """A JavaScript string literal; multi-line text becomes a template literal."""
    if "\n" in s and len(s) > 60 and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", s):
        return "`" + s.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${") + "`"
    return json.dumps(s, ensure_ascii=False)


def java_str(s: str, indent: str) -> str:
    """A Java string literal (Java 8+); multi-line text is joined with ``+``, one line per line."""
    def lit(part: str) -> str:
        return '"' + part.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace(
            "\t", "\\t").replace("\n", "\\n") + '"'
    lines = s.split("\n")
    if len(lines) == 1:
        return lit(s)
    parts = [lit(line + "\n") for line in lines[:-1]] + ([lit(lines[-1])] if lines[-1] else [])
    return (" +\n" + indent).join(parts)


def _inline(value: Any, lang: str) -> str | None:
    if isinstance(value, _Var):
        return value.name
    if isinstance(value, str):
        return py_str(value) if lang == "python" else js_str(value) if lang == "js" else json.dumps(value)
    if isinstance(value, bool):
        return ("True" if value else "False") if lang == "python" else ("true" if value else "false")
    if value is None:
        return "None" if lang == "python" else "null"
    if isinstance(value, int | float):
        return json.dumps(value)
    return None


def _key(k: str, lang: str) -> str:
    if lang == "js" and re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", k):
        return k
    return json.dumps(k, ensure_ascii=False)


def literal(value: Any, lang: str, level: int = 0, width: int = 88) -> str:
    """``value`` as a Python (``lang="python"``) or JavaScript (``"js"``) literal, pretty-printed
    with 4-space indents, short containers kept on one line."""
    simple = _inline(value, lang)
    if simple is not None:
        return simple
    flat = _flat(value, lang)
    if flat is not None and "\n" not in flat and len(flat) + 4 * level <= width:
        return flat
    pad, end = "    " * (level + 1), "    " * level
    if isinstance(value, dict):
        items = [f"{pad}{_key(k, lang)}: {literal(v, lang, level + 1, width)}" for k, v in value.items()]
        return "{}" if not items else "{\n" + ",\n".join(items) + ",\n" + end + "}"
    if isinstance(value, list | tuple):
        items = [pad + literal(v, lang, level + 1, width) for v in value]
        return "[]" if not items else "[\n" + ",\n".join(items) + ",\n" + end + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a literal")


def _flat(value: Any, lang: str) -> str | None:
    """``value`` on one line (the caller decides whether it is short enough)."""
    simple = _inline(value, lang)
    if simple is not None:
        return simple
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k, lang)}: {_flat(v, lang)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(_flat(v, lang)) for v in value) + "]"
    return None


# ---------------------------------------------------------------- images

def _slots(req: Request, image_paths: list[str] | None) -> list[_ImageSlot]:
    slots = []
    many = len(req.images) > 1
    for i, img in enumerate(req.images, 1):
        var = f"image_url_{i}" if many else "image_url"
        if img.data is None:
            slots.append(_ImageSlot("", img.url or "", "", img.mime))
            continue
        url = img.to_url()
        if len(url) <= INLINE_DATA_URL_MAX:
            slots.append(_ImageSlot("", url, "", img.mime))
            continue
        path = image_paths[i - 1] if image_paths and len(image_paths) >= i else _default_name(img, i)
        slots.append(_ImageSlot(var, "", path, img.mime))
    return slots


def _default_name(img: ImageInput, i: int) -> str:
    name = (img.name or "").strip()
    if name and re.fullmatch(r"[\w.\- ]+", name):
        return name
    return f"image{i}.{_EXT.get(img.mime, 'png')}"


def _path_var(slot: _ImageSlot) -> str:
    return "IMAGE_PATH" if slot.var == "image_url" else slot.var.replace("image_url", "IMAGE_PATH").upper()


# ---------------------------------------------------------------- messages in each shape

def _compatible_messages(req: Request, slots: list[_ImageSlot]) -> list[dict[str, Any]]:
    msgs: list[dict[str, Any]] = []
    if req.system_prompt:
        msgs.append({"role": "system", "content": req.system_prompt})
    if slots:
        parts: list[dict[str, Any]] = [{"type": "image_url", "image_url": {"url": s.value}} for s in slots]
        parts.append({"type": "text", "text": req.user_text})
        msgs.append({"role": "user", "content": parts})
    else:
        msgs.append({"role": "user", "content": req.user_text})
    return msgs


def _native_messages(req: Request, slots: list[_ImageSlot]) -> list[dict[str, Any]]:
    if not slots:
        return _compatible_messages(req, slots)
    msgs: list[dict[str, Any]] = []
    if req.system_prompt:
        msgs.append({"role": "system", "content": [{"text": req.system_prompt}]})
    content: list[dict[str, Any]] = [{"image": s.value} for s in slots]
    content.append({"text": req.user_text})
    msgs.append({"role": "user", "content": content})
    return msgs


# ---------------------------------------------------------------- schema → Pydantic / zod

class NotExpressible(ValueError):
    """The schema uses something a simple Pydantic class or zod object cannot say exactly."""


_NODE_KEYS = {"type", "properties", "required", "additionalProperties", "title", "description", "items", "enum",
              "anyOf", "default", "$schema"}
_PY_RESERVED = {"model_config", "model_fields", "schema", "json", "dict", "copy", "construct", "validate",
                "fields", "parse_obj", "parse_raw", "from_orm", "update_forward_refs"}


@dataclass
class _Type:
    kind: str  # string, integer, number, boolean, array, object, enum
    nullable: bool = False
    item: _Type | None = None
    obj: _Object | None = None
    values: tuple[str, ...] = ()
    description: str = ""


@dataclass
class _Field:
    name: str
    type: _Type
    required: bool


@dataclass
class _Object:
    name: str
    fields: list[_Field]


def class_name(text: str) -> str:
    """``user_info`` → ``UserInfo`` (the reference's class for the user_info schema)."""
    words = re.findall(r"[A-Za-z0-9]+", text)
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Result"
    return name if name[0].isalpha() else "M" + name


def _parse_type(node: Any, name_hint: str, where: str, classes: list[_Object], used: set[str]) -> _Type:
    if not isinstance(node, dict):
        raise NotExpressible(f"{where} is not a schema object")
    extra = set(node) - _NODE_KEYS
    if extra:
        raise NotExpressible(f"{where} uses {', '.join(sorted(extra))}")
    if "default" in node and node["default"] is not None:
        raise NotExpressible(f"{where} has a non-null default")
    desc = node.get("description", "")
    if not isinstance(desc, str):
        raise NotExpressible(f"{where} has a non-string description")
    if "anyOf" in node:
        options = node["anyOf"]
        non_null = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
        if len(options) != 2 or len(non_null) != 1 or set(node) - {"anyOf", "title", "description", "default"}:
            raise NotExpressible(f"{where} uses anyOf other than T-or-null")
        t = _parse_type(non_null[0], name_hint, where, classes, used)
        t.nullable, t.description = True, desc or t.description
        return t
    typ = node.get("type")
    nullable = False
    if isinstance(typ, list):
        others = [t for t in typ if t != "null"]
        if len(typ) != 2 or len(others) != 1:
            raise NotExpressible(f"{where} has a type list other than [T, null]")
        typ, nullable = others[0], True
    if "enum" in node:
        values = node["enum"]
        if not values or not all(isinstance(v, str) for v in values) or typ not in (None, "string"):
            raise NotExpressible(f"{where} has an enum that is not all strings")
        return _Type("enum", nullable, values=tuple(values), description=desc)
    if typ in ("string", "integer", "number", "boolean"):
        if set(node) & {"properties", "items", "required", "additionalProperties"}:
            raise NotExpressible(f"{where} mixes {typ} with object/array keywords")
        return _Type(typ, nullable, description=desc)
    if typ == "array":
        if "items" not in node:
            raise NotExpressible(f"{where} is an array without items")
        item = _parse_type(node["items"], name_hint + "Item", f"{where}.items", classes, used)
        return _Type("array", nullable, item=item, description=desc)
    if typ == "object":
        return _Type("object", nullable, obj=_parse_object(node, name_hint, where, classes, used), description=desc)
    raise NotExpressible(f"{where} has type {typ!r}")


def _parse_object(node: dict[str, Any], name: str, where: str, classes: list[_Object], used: set[str]) -> _Object:
    props = node.get("properties")
    if not isinstance(props, dict) or not props:
        raise NotExpressible(f"{where} is an object without properties")
    if node.get("additionalProperties", False) is not False:
        raise NotExpressible(f"{where} allows additional properties, which parse always forbids")
    required = node.get("required", [])
    if not isinstance(required, list) or set(required) - set(props):
        raise NotExpressible(f"{where} has a `required` naming unknown properties")
    base, n = class_name(name), 2
    cls_name = base
    while cls_name in used:
        cls_name, n = f"{base}{n}", n + 1
    used.add(cls_name)
    obj = _Object(cls_name, [])
    for key, sub in props.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) or keyword.iskeyword(key) or key in _PY_RESERVED \
                or key.startswith("model_"):
            raise NotExpressible(f"property {key!r} at {where} is not a plain identifier")
        obj.fields.append(_Field(key, _parse_type(sub, key, f"{where}.{key}", classes, used), key in required))
    classes.append(obj)  # nested classes first, so each is defined before use
    return obj


def schema_shape(schema: dict[str, Any] | None, name: str) -> list[_Object]:
    """The classes for ``schema`` (nested first, the root last); ``NotExpressible`` says why not."""
    if not isinstance(schema, dict):
        raise NotExpressible("the schema is empty or not JSON")
    if schema.get("type") != "object":
        raise NotExpressible("the root is not an object")
    classes: list[_Object] = []
    _parse_object(schema, name, "the root", classes, set())
    return classes


def parse_shape(req: Request) -> list[_Object]:
    """The classes for the request's schema as ``parse`` would send them; ``NotExpressible`` when the
    parse form would change the request (parse and zodResponseFormat always send ``strict: true``)."""
    if not req.strict:
        raise NotExpressible("strict is false, and parse always sends strict: true")
    return schema_shape(req.schema(), req.schema_name or "Result")


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


# ---------------------------------------------------------------- resolving the endpoint

def _bases(req: Request, compatible_base_url: str | None, native_base_url: str | None) -> tuple[str, str | None]:
    cat = load_catalog()
    try:
        ep = cat.endpoint(req.endpoint)
    except KeyError:
        ep = cat.endpoint("intl")
    if req.endpoint == "custom":
        compat = compatible_base_url or req.custom_base_url.strip().rstrip("/") or "http://localhost:8000/v1"
        return compat, native_base_url
    compat = compatible_base_url or ep.base_url("compatible") or ""
    native = native_base_url or ep.base_url("native")
    return compat.rstrip("/"), native.rstrip("/") if native else None


def _key_comment(req: Request, prefix: str) -> str:
    if req.endpoint == "local":
        return (f"{prefix} The key comes from the environment, never from the code. The local engine accepts any key:\n"
                f"{prefix}   export {KEY_ENV}=sk-local")
    return (f"{prefix} The key comes from the environment, never from the code: export {KEY_ENV}=sk-...\n"
            f"{prefix} Keys are per region (Singapore, US and Beijing keys are separate).")


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


def _call_args(pairs: list[tuple[str, Any]], lang: str, level: int = 1) -> str:
    pad = "    " * level
    if lang == "python":
        return "".join(f"{pad}{k}={literal(v, 'python', level)},\n" for k, v in pairs)
    return "".join(f"{pad}{_key(k, 'js')}: {literal(v, 'js', level)},\n" for k, v in pairs)


def python_openai(req: Request, base_url: str, slots: list[_ImageSlot]) -> Snippet:
    args: list[tuple[str, Any]] = [("model", req.model), ("messages", _compatible_messages(req, slots))]
    rf = req.response_format()
    if rf is not None:
        args.append(("response_format", rf))
    if req.temperature is not None:
        args.append(("temperature", req.temperature))
    if req.max_tokens is not None:
        args.append(("max_tokens", req.max_tokens))
    if req.enable_thinking is not None:
        args.append(("extra_body", {"enable_thinking": req.enable_thinking}))
    if req.stream:
        args.append(("stream", True))
    imports = ["import os"] + (["import base64"] if any(s.var for s in slots) else [])
    code = "\n".join(sorted(imports)) + "\n\nfrom openai import OpenAI\n\n"
    code += (f"client = OpenAI(\n{_key_comment(req, '    #')}\n    api_key=os.getenv({py_str(KEY_ENV)}),\n"
             f"    base_url={py_str(base_url)},\n)\n\n")
    code += _py_image_reads(slots)
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
    """The Pydantic + ``parse`` form, or None when the schema cannot be a Pydantic class exactly
    (the ``create`` snippet then carries the schema as a dict, with a note saying why)."""
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
    imports = ["import os"] + (["import base64"] if any(s.var for s in slots) else [])
    if typing:
        imports.append(f"from typing import {', '.join(sorted(typing))}")
    code = "\n".join(sorted(imports, key=lambda s: (s.startswith("from"), s))) + "\n\n"
    code += "from openai import OpenAI\nfrom pydantic import BaseModel, Field\n\n"
    code += (f"client = OpenAI(\n{_key_comment(req, '    #')}\n    api_key=os.getenv({py_str(KEY_ENV)}),\n"
             f"    base_url={py_str(base_url)},\n)\n\n\n")
    code += src + "\n\n\n"
    code += _py_image_reads(slots)
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
    multimodal = bool(slots)
    api = "MultiModalConversation" if multimodal else "Generation"
    args: list[tuple[str, Any]] = [("model", req.model), ("messages", _Var("messages"))]
    if not multimodal:
        args.append(("result_format", "message"))
    rf = req.response_format()
    if rf is not None:
        args.append(("response_format", rf))
    if req.temperature is not None:
        args.append(("temperature", req.temperature))
    if req.max_tokens is not None:
        args.append(("max_tokens", req.max_tokens))
    if req.enable_thinking is not None:
        args.append(("enable_thinking", req.enable_thinking))
    if req.stream:
        args += [("stream", True), ("incremental_output", True)]
    imports = ["import os"] + (["import base64"] if any(s.var for s in slots) else [])
    code = "\n".join(sorted(imports)) + "\n\nimport dashscope\n\n"
    code += f"dashscope.base_http_api_url = {py_str(native_url)}\n\n"
    code += _py_image_reads(slots, "# The image is read from a file and sent as a data: URL (base64): given a local\n"
                                   "# file path, the SDK would first upload the file to cloud storage.\n")
    code += f"messages = {literal(_native_messages(req, slots), 'python')}\n\n"
    code += (f"response = dashscope.{api}.call(\n{_key_comment(req, '    #')}\n"
             f"    api_key=os.getenv({py_str(KEY_ENV)}),\n" + _call_args(args, "python") + ")\n\n")
    text = 'message.content[0]["text"] if {c}.output.choices[0].message.content else ""' if multimodal \
        else "message.content"
    if req.stream:
        piece = (f"chunk.output.choices[0].{text.format(c='chunk')}" if multimodal
                 else "chunk.output.choices[0].message.content or \"\"")
        code += ("json_string = \"\"\nfor chunk in response:\n"
                 "    if chunk.status_code != 200:  # an HTTP error does not raise: check the status\n"
                 "        raise SystemExit(f\"{chunk.status_code} {chunk.code}: {chunk.message}\")\n"
                 f"    json_string += {piece}\n")
    else:
        code += ("if response.status_code != 200:  # an HTTP error does not raise: check the status\n"
                 "    raise SystemExit(f\"{response.status_code} {response.code}: {response.message}\")\n")
        if multimodal:
            code += 'json_string = response.output.choices[0].message.content[0]["text"]\n'
        else:
            code += "json_string = response.output.choices[0].message.content\n"
    code += "print(json_string)\n"
    label = f"Python · dashscope ({api})"
    return Snippet("python", label, code, "structured_output_dashscope.py", "python-dashscope")


# ---------------------------------------------------------------- Node.js · openai

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


def _js_slots(slots: list[_ImageSlot]) -> list[_ImageSlot]:
    return [_ImageSlot(re.sub(r"_(\d+|[a-z])", lambda m: m.group(1).upper(), s.var) if s.var else "",
                       s.url, s.path, s.mime) for s in slots]


def node_openai(req: Request, base_url: str, slots: list[_ImageSlot]) -> Snippet:
    js_slots = _js_slots(slots)
    classes = None
    why = ""
    if req.mode == "json_schema":
        try:
            classes = parse_shape(req)
        except NotExpressible as e:
            why = str(e)
    args: list[tuple[str, Any]] = [("model", req.model), ("messages", _compatible_messages(req, js_slots))]
    if classes is None:
        rf = req.response_format()
        if rf is not None:
            args.append(("response_format", rf))
    if req.temperature is not None:
        args.append(("temperature", req.temperature))
    if req.max_tokens is not None:
        args.append(("max_tokens", req.max_tokens))
    if req.enable_thinking is not None:
        args.append(("enable_thinking", req.enable_thinking))
    stream = req.stream and classes is None
    if stream:
        args.append(("stream", True))
    code = 'import OpenAI from "openai";\n'
    if classes is not None:
        code += 'import { zodResponseFormat } from "openai/helpers/zod";\nimport { z } from "zod";\n'
    if any(s.var for s in slots):
        code += 'import fs from "node:fs";\n'
    code += ("\nconst openai = new OpenAI({\n" + _key_comment(req, "    //") +
             f"\n    apiKey: process.env.{KEY_ENV},\n    baseURL: {js_str(base_url)},\n}});\n\n")
    code += _js_image_reads(slots)
    if classes is not None:
        root = classes[-1]
        code += f"const {root.name} = {zod_object(root)};\n\n"
        code += ("// parse sends the zod object as a strict JSON Schema and checks the answer against it.\n"
                 "const completion = await openai.chat.completions.parse({\n" + _call_args(args, "js") +
                 f"    response_format: zodResponseFormat({root.name}, {js_str(req.schema_name or 'result')}),\n"
                 "});\n\n")
        code += "console.log(JSON.stringify(completion.choices[0].message.parsed, null, 2));\n"
        return Snippet("javascript", "Node.js · openai (zod + parse)", code, "structured_output.mjs", "node-openai")
    if why:
        code += f"// The schema is passed as an object: a zod object cannot express it exactly ({why}).\n"
    code += "const completion = await openai.chat.completions.create({\n" + _call_args(args, "js") + "});\n\n"
    if stream:
        code += ("let jsonString = \"\";\nfor await (const chunk of completion) {\n"
                 "    jsonString += chunk.choices[0]?.delta?.content ?? \"\";\n}\nconsole.log(jsonString);\n")
    else:
        code += "const jsonString = completion.choices[0].message.content;\nconsole.log(jsonString);\n"
    return Snippet("javascript", "Node.js · openai", code, "structured_output.mjs", "node-openai")


# ---------------------------------------------------------------- curl

def _curl(url: str, body: dict[str, Any], slots: list[_ImageSlot], req: Request, extra_headers: list[str]) -> str:
    head = _key_comment(req, "#") + "\n"
    headers = ['-H "Authorization: Bearer $' + KEY_ENV + '"', '-H "Content-Type: application/json"', *extra_headers]
    text = json.dumps(body, indent=4, ensure_ascii=False, default=lambda v: f"__VAR__{v.name}__")
    if any(s.var for s in slots):
        # A heredoc keeps a large base64 image out of the command line (which has a length limit).
        reads = "".join(f'{_path_var(s)}={_sh_quote(s.path)}  # the image to send; change to your file\n'
                        f'{s.var.upper()}="data:{s.mime};base64,$(base64 < "${_path_var(s)}" | tr -d \'\\n\')"\n'
                        for s in slots if s.var)
        text = text.replace("\\", "\\\\").replace("$", "\\$").replace("`", "\\`")
        text = re.sub(r'"__VAR__(\w+)__"', lambda m: '"${' + m.group(1).upper() + '}"', text)
        return (head + "# The image is read from a file and sent as a data: URL (base64).\n" + reads + "\n" +
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
    if req.stream:
        body["stream"] = True
    code = _curl(f"{base_url}/chat/completions", body, slots, req, [])
    return Snippet("bash", "curl · OpenAI compatible", code, "structured_output_compatible.sh", "curl-compatible")


def curl_native(req: Request, native_url: str, slots: list[_ImageSlot]) -> Snippet:
    path = "multimodal-generation" if slots else "text-generation"
    params: dict[str, Any] = {} if slots else {"result_format": "message"}
    rf = req.response_format()
    if rf is not None:
        params["response_format"] = rf
    if req.temperature is not None:
        params["temperature"] = req.temperature
    if req.max_tokens is not None:
        params["max_tokens"] = req.max_tokens
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


# ---------------------------------------------------------------- Java · DashScope SDK

def _java_builder(req: Request, ind: str, calls: list[str]) -> str:
    head = [f'.apiKey(System.getenv("{KEY_ENV}"))', f".model({java_str(req.model, ind)})"]
    return "\n".join(f"{ind}{c}" for c in head + calls)


def java_dashscope(req: Request, native_url: str, slots: list[_ImageSlot]) -> Snippet:
    if req.mode == "json_schema":
        code = ("// Java · DashScope SDK and JSON Schema mode\n"
                "//\n"
                "// The reference (\"Get output in a specified format\", DashScope) notes:\n"
                "//   \"The Java SDK is not currently supported.\"\n"
                "// for JSON Schema mode. From Java, switch this request to JSON Object mode (and say \"JSON\"\n"
                "// in the prompt), or use the Python, Node.js or curl snippets for JSON Schema mode.\n")
        return Snippet("java", "Java · DashScope SDK (JSON Schema not supported)", code, "Main.java",
                       "java-dashscope", runnable=False)
    ind = " " * 16
    opts = []
    if req.temperature is not None:
        opts.append(f".temperature({req.temperature}f)")
    if req.max_tokens is not None:
        opts.append(f".maxTokens({req.max_tokens})")
    if req.enable_thinking is not None:
        opts.append(f".enableThinking({'true' if req.enable_thinking else 'false'})")
    rf_line = ("        ResponseFormat jsonMode = ResponseFormat.builder().type(\"json_object\").build();\n"
               if req.mode == "json_object" else "")
    rf_opt = [".responseFormat(jsonMode)"] if req.mode == "json_object" else []
    note = "// Streaming: call streamCall(param) instead of call(param) and read each chunk.\n" if req.stream else ""
    key_comment = _key_comment(req, "//")
    if slots:
        return _java_multimodal(req, native_url, slots, ind, opts + rf_opt, rf_line, note, key_comment)
    sys_msg = (f"        Message systemMsg = Message.builder()\n                .role(Role.SYSTEM.getValue())\n"
               f"                .content({java_str(req.system_prompt, ind)})\n                .build();\n"
               if req.system_prompt else "")
    msgs = "systemMsg, userMsg" if req.system_prompt else "userMsg"
    builder = _java_builder(req, ind, [f".messages(Arrays.asList({msgs}))",
                                       ".resultFormat(GenerationParam.ResultFormat.MESSAGE)", *rf_opt, *opts])
    code = (f"// The DashScope Java SDK version must be 2.18.4 or later.\n{key_comment}\n{note}\n"
            "import java.util.Arrays;\nimport java.lang.System;\n"
            "import com.alibaba.dashscope.aigc.generation.Generation;\n"
            "import com.alibaba.dashscope.aigc.generation.GenerationParam;\n"
            "import com.alibaba.dashscope.aigc.generation.GenerationResult;\n"
            "import com.alibaba.dashscope.common.Message;\nimport com.alibaba.dashscope.common.Role;\n"
            "import com.alibaba.dashscope.exception.ApiException;\n"
            "import com.alibaba.dashscope.exception.InputRequiredException;\n"
            "import com.alibaba.dashscope.exception.NoApiKeyException;\n"
            "import com.alibaba.dashscope.common.ResponseFormat;\n"
            "import com.alibaba.dashscope.protocol.Protocol;\n\n"
            "public class Main {\n"
            "    public static GenerationResult callWithMessage() throws ApiException, NoApiKeyException, "
            "InputRequiredException {\n"
            f"        Generation gen = new Generation(Protocol.HTTP.getValue(), {java_str(native_url, ind)});\n"
            + sys_msg +
            f"        Message userMsg = Message.builder()\n                .role(Role.USER.getValue())\n"
            f"                .content({java_str(req.user_text, ind)})\n                .build();\n"
            + rf_line +
            "        GenerationParam param = GenerationParam.builder()\n" + builder + "\n                .build();\n"
            "        return gen.call(param);\n    }\n\n"
            "    public static void main(String[] args) {\n        try {\n"
            "            GenerationResult result = callWithMessage();\n"
            "            System.out.println(result.getOutput().getChoices().get(0).getMessage().getContent());\n"
            "        } catch (ApiException | NoApiKeyException | InputRequiredException e) {\n"
            "            System.err.println(\"An error occurred while calling the generation service: \" "
            "+ e.getMessage());\n        }\n    }\n}\n")
    return Snippet("java", "Java · DashScope SDK (Generation)", code, "Main.java", "java-dashscope")


def _java_multimodal(req: Request, native_url: str, slots: list[_ImageSlot], ind: str, opts: list[str],
                     rf_line: str, note: str, key_comment: str) -> Snippet:
    reads = ""
    items = []
    for s in slots:
        if s.var:
            pv = _path_var(s)
            var = re.sub(r"_(\d+|[a-z])", lambda m: m.group(1).upper(), s.var)
            reads += (f"        String {pv} = {java_str(s.path, ind)};  // the image to send; change to your file\n"
                      f"        String {var} = \"data:{s.mime};base64,\"\n                + Base64.getEncoder()"
                      f".encodeToString(Files.readAllBytes(Paths.get({pv})));\n")
            items.append(f'Collections.singletonMap("image", {var})')
        else:
            items.append(f'Collections.singletonMap("image", {java_str(s.url, ind)})')
    items.append(f'Collections.singletonMap("text", {java_str(req.user_text, ind)})')
    sys_msg = ("        MultiModalMessage systemMessage = MultiModalMessage.builder().role(Role.SYSTEM.getValue())\n"
               f"                .content(Arrays.asList(\n                        Collections.singletonMap(\"text\", "
               f"{java_str(req.system_prompt, ind)}))).build();\n" if req.system_prompt else "")
    msgs = "systemMessage, userMessage" if req.system_prompt else "userMessage"
    builder = _java_builder(req, ind, [f".messages(Arrays.asList({msgs}))", *opts])
    code = (f"// The DashScope Java SDK version must be 2.21.4 or later.\n{key_comment}\n{note}\n"
            "import java.io.IOException;\nimport java.nio.file.Files;\nimport java.nio.file.Paths;\n"
            "import java.util.Arrays;\nimport java.util.Base64;\nimport java.util.Collections;\n"
            "import com.alibaba.dashscope.aigc.multimodalconversation.MultiModalConversation;\n"
            "import com.alibaba.dashscope.aigc.multimodalconversation.MultiModalConversationParam;\n"
            "import com.alibaba.dashscope.aigc.multimodalconversation.MultiModalConversationResult;\n"
            "import com.alibaba.dashscope.common.MultiModalMessage;\nimport com.alibaba.dashscope.common.Role;\n"
            "import com.alibaba.dashscope.exception.ApiException;\n"
            "import com.alibaba.dashscope.exception.NoApiKeyException;\n"
            "import com.alibaba.dashscope.exception.UploadFileException;\n"
            "import com.alibaba.dashscope.common.ResponseFormat;\nimport com.alibaba.dashscope.utils.Constants;\n\n"
            "public class Main {\n"
            f"    static {{\n        Constants.baseHttpApiUrl = {java_str(native_url, ind)};\n    }}\n\n"
            "    public static void simpleMultiModalConversationCall()\n"
            "            throws ApiException, NoApiKeyException, UploadFileException, IOException {\n"
            "        MultiModalConversation conv = new MultiModalConversation();\n"
            "        // Images go as data: URLs: given a local file path, the SDK would upload it first.\n"
            + reads + sys_msg +
            "        MultiModalMessage userMessage = MultiModalMessage.builder().role(Role.USER.getValue())\n"
            "                .content(Arrays.asList(\n" +
            ",\n".join(f"                        {i}" for i in items) + ")).build();\n"
            + rf_line +
            "        MultiModalConversationParam param = MultiModalConversationParam.builder()\n" + builder +
            "\n                .build();\n"
            "        MultiModalConversationResult result = conv.call(param);\n"
            "        System.out.println(result.getOutput().getChoices().get(0).getMessage().getContent().get(0)"
            ".get(\"text\"));\n    }\n\n"
            "    public static void main(String[] args) {\n        try {\n"
            "            simpleMultiModalConversationCall();\n"
            "        } catch (ApiException | NoApiKeyException | UploadFileException | IOException e) {\n"
            "            System.out.println(e.getMessage());\n        }\n    }\n}\n")
    return Snippet("java", "Java · DashScope SDK (MultiModalConversation)", code, "Main.java", "java-dashscope")


# ---------------------------------------------------------------- all of them

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
