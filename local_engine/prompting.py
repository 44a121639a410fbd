"""Messages → a plain completion prompt for a base model.

Gemma 3 270M as shipped here is a base model with no chat template, so a chat is laid out as a short
document the model can continue: a worked example, then the request as ``Instruction`` / ``Input`` /
``Output`` blocks, ending on ``Output:`` as the cue where the answer starts. A worked example teaches
"only the asked fields, then stop" better than any instruction does at this
size. The example's content is deliberately unlike anything an extraction asks for (a planet: not a
person, a city or a price) so that neither its key nor its value is copied into a plausible answer;
and since a small model copies it anyway when the input holds little, the decoder masks its answer's
words out of every answer whose request does not hold them (``echo``).

Rules, all general (none knows a particular request):

- System/developer messages are the ``Instruction``; user messages are ``Input``; earlier assistant
  messages are ``Output`` blocks, so a multi-turn chat reads as worked examples.
- Few-shot examples written *inside* an instruction (``Q:``/``A:``, ``Input:``/``Output:``,
  ``问：``/``答：`` line pairs) are lifted out into their own ``Input``/``Output`` blocks ahead of the
  user's text. Left inside the instruction, a small model treats them as the text to answer from and
  copies them; as earlier turns they read as finished exchanges and the cue refers to the last input.
- Images are given as their OCR text, labelled as such.
- JSON Schema mode adds one line naming the schema's fields with their types (the grammar enforces
  the rest). JSON Object mode, which has no schema, adds the field names the instruction spells out
  as identifiers (``travel_date``, ``name (name)``, ``姓名(name)``) so the model uses those keys rather
  than the labels of the input text.
- Mode none (no grammar) stops where the model starts a new block or a new turn of a dialogue.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from local_engine.chat import ChatRequest, Message
from local_engine.guards import KeyPlan

JSON_EXAMPLE = ("Instruction: Extract the planet and return it in JSON format.\n"
                "Input: After seven years in space the probe reached Saturn.\n"
                "Output: {\"planet\": \"Saturn\"}\n\n")
TEXT_EXAMPLE = ("Instruction: Answer in one short sentence.\n"
                "Input: What is the capital of France?\n"
                "Output: The capital of France is Paris.\n\n")
# Where the model starts a new block or a new dialogue turn on its own: the answer is over.
BLOCK_STOPS = ["\nInstruction:", "\nInput:", "\nOutput:", "\n\n\n",
               "\nQ:", "\nA:", "\nQuestion:", "\nAnswer:", "\nUser:", "\nAssistant:", "\nHuman:", "\nAI:",
               "\n用户：", "\n问：", "\n答："]

# "Q: ..." / "A: ..." style example lines inside an instruction, as (question label, answer label).
_SHOT_LABELS = [("Q", "A"), ("Input", "Output"), ("Question", "Answer"), ("User", "Assistant"),
                ("问", "答"), ("输入", "输出")]
_SHOT_LINE = re.compile(r"^\s*(?P<label>Q|A|Input|Output|Question|Answer|User|Assistant|问|答|输入|输出)\s*[:：]\s?"
                        r"(?P<text>.*)$")
_WORD = r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*"
_WORD_LIST = re.compile(rf"(?<![\w.@/-]){_WORD}(?:(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+){_WORD})+(?![\w@/-])")
_TYPE_WORDS = {"string", "str", "integer", "int", "number", "float", "boolean", "bool", "array", "object", "json",
               "null", "list", "dict", "text", "in", "as", "with", "into", "the", "a", "an", "format"}
_NOT_FIELDS = {"return", "returns", "output", "reply", "respond", "answer", "give", "provide", "extract", "show",
               "list", "format", "them", "it", "they", "etc", "so", "then", "use", "put", "write"}
# "every product with its name, price and quantity": the fields of each item of a list
_EACH = re.compile(r"\b(?:every|each|all(?:\s+the)?)\s+([a-z]+)\b", re.I)
_LIST_CUE = re.compile(r"\b(extract|extracting|fields?|keys|properties|including|includes?)\b", re.I)
# "ticket information (array type, including travel_date, ...)": a word, maybe "information", then parentheses.
_GROUP = re.compile(r"\b([a-z][a-z0-9_]*)(?:\s+(?:information|info|details|data|fields))?\s*"
                    r"[(（]([^()（）]+)[)）]", re.I)
_PAREN_IDENT = re.compile(r"[(（]\s*([A-Za-z][A-Za-z0-9_]*)\s*[)）]")


@dataclass(frozen=True)
class Prompt:
    text: str
    stop: list[str] = field(default_factory=list)  # only for unconstrained output; a grammar stops itself
    plan: KeyPlan | None = None  # JSON Object mode: the keys the instructions name, for the decoder to steer
    example: str = ""  # the worked example at its head, whose content the decoder keeps out of the answer (echo)


def build_prompt(req: ChatRequest) -> Prompt:
    """The completion prompt for ``req`` (OCR text of images must already be filled in)."""
    example = TEXT_EXAMPLE if req.mode == "none" else JSON_EXAMPLE
    lines: list[str] = []
    shots: list[tuple[str, str]] = []
    instructions: list[str] = []
    for m in req.messages:
        if m.role in ("system", "developer") and m.text.strip():
            text, found = split_shots(m.text.strip())
            shots += found
            if text:
                instructions.append(text)
    if instructions:
        lines.append("Instruction: " + "\n".join(instructions))
    hint, plan = "", None
    if req.mode == "json_schema" and req.schema:
        hint = schema_hint(req.schema)
    elif req.mode == "json_object":
        # The user's own words can carry the instruction too (the reference's image example does).
        plan = key_plan(instructions + [m.text for m in req.messages if m.role == "user"])
        hint = key_hint(plan)
    if hint:
        lines.append(hint)
    for q, a in shots:
        lines.append(f"Input: {q}\nOutput: {a}\n")
    for m in req.messages:
        if m.role in ("system", "developer"):
            continue
        block = _block(m)
        if block:
            lines.append(block)
    lines.append("Output:")
    stop = [] if req.mode != "none" else list(BLOCK_STOPS)
    return Prompt(example + "\n".join(lines), stop, plan, example)


def split_shots(text: str) -> tuple[str, list[tuple[str, str]]]:
    """An instruction without its worked examples, and the examples as (input, output) pairs.

    Only complete pairs of one labelling style count (``Q:`` then ``A:``); anything else stays in
    the instruction untouched. A header line such as ``Examples:`` right before them is dropped."""
    lines = text.splitlines()
    pairs: list[tuple[str, str]] = []
    keep: list[str] = []
    i = 0
    while i < len(lines):
        m = _SHOT_LINE.match(lines[i])
        if m and i + 1 < len(lines):
            n = _SHOT_LINE.match(lines[i + 1])
            if n and (m["label"], n["label"]) in _SHOT_LABELS and m["text"].strip() and n["text"].strip():
                pairs.append((m["text"].strip(), n["text"].strip()))
                i += 2
                continue
        keep.append(lines[i])
        i += 1
    if not pairs:
        return text, []
    while keep and re.fullmatch(r"\s*(examples?|for example|e\.g\.|示例|例如|样例)\s*[:：]?\s*", keep[-1], re.I):
        keep.pop()
    return "\n".join(keep).strip(), pairs


def _block(m: Message) -> str:
    label = "Output" if m.role == "assistant" else "Input"
    chunks: list[str] = []
    for part in m.parts:
        if part.text and part.text.strip():
            chunks.append(part.text.strip())
        elif part.image is not None:
            ocr = (part.image.ocr_text or "").strip()
            chunks.append("[Image; its text, read by OCR:]\n" + (ocr or "(no text found in the image)"))
    if not chunks:
        return ""
    return f"{label}: " + "\n".join(chunks)


def named_keys(texts: list[str]) -> list[str]:
    """The keys the texts spell out, when they name at least two (JSON Object mode has no schema).

    Keys are identifiers in parentheses (``姓名(name)``), lists of words that contain at least one
    snake_case identifier (``travel_date, train, seat and price``), and comma lists of three or more
    words that follow "extract" or "fields" in the same sentence (``Extract the name, age and email``):
    such lists read as field names. "the name and age and return ..." is not one (no comma)."""
    keys: list[str] = []
    for text in texts:
        found = [(m.start(), m.group(1)) for m in _PAREN_IDENT.finditer(text)]
        for m in _WORD_LIST.finditer(text):
            items = [w for w in re.split(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", m.group(0)) if w]
            ends = [i for i, w in enumerate(items) if w.lower() in _NOT_FIELDS]  # "..., and return them"
            items = items[:ends[0]] if ends else items
            sentence = re.split(r"[.!?。！？\n]", text[:m.start()])[-1]
            listed = "," in m.group(0) and len(items) >= 3 and _LIST_CUE.search(sentence) is not None
            if listed or any("_" in w for w in items):
                found += [(m.start() + i, w) for i, w in enumerate(items)]
        for _, key in sorted(found):
            if key not in keys and key.lower() not in _TYPE_WORDS:
                keys.append(key)
    return keys[:20] if len(keys) >= 2 else []


def key_plan(texts: list[str]) -> KeyPlan | None:
    """``named_keys`` with their grouping: a word right before parentheses that list two or more of the
    keys (``the ticket information (array type, including travel_date, trains, ...)``) is a key that
    holds them; "array" or "list" in the texts makes such groups arrays of objects."""
    keys = named_keys(texts)
    if not keys:
        return None
    groups: dict[str, tuple[str, ...]] = {}
    order: list[tuple[int, str]] = []
    for text in texts:
        for m in _GROUP.finditer(text):
            name, inner = m.group(1), m.group(2)
            members = tuple(k for k in keys if re.search(rf"(?<![\w]){re.escape(k)}(?![\w])", inner))
            if len(members) >= 2 and name.lower() not in _TYPE_WORDS and name not in members:
                groups.setdefault(name, members)
                order.append((text.index(m.group(0)), name))
    if not groups:
        return _each_plan(texts, keys) or KeyPlan(tuple(keys))
    grouped = {k for ks in groups.values() for k in ks}
    ordered = [name for _, name in sorted(order)] + [k for k in keys if k not in grouped and k not in groups]
    lists = any(re.search(r"\b(arrays?|lists?)\b", t, re.I) for t in texts)
    return KeyPlan(tuple(dict.fromkeys(ordered + [k for k in keys if k in grouped])), groups, lists)


def _each_plan(texts: list[str], keys: list[str]) -> KeyPlan | None:
    """"Extract every product with its name, price and quantity": a list of products, each an object with
    those keys, under the plural of the noun (the reference's own lists are named so: ``ticket``, ``hobby``
    aside, a list of many reads best as ``products``)."""
    for text in texts:
        for sentence in re.split(r"(?<=[.!?。！？\n])", text):
            m = _EACH.search(sentence)
            if m is None or m.group(1).lower() in _TYPE_WORDS | _NOT_FIELDS:
                continue
            members = tuple(k for k in keys if re.search(rf"(?<![\w]){re.escape(k)}(?![\w])", sentence[m.end():]))
            if len(members) >= 2:
                name = _plural(m.group(1).lower())
                if name not in members:
                    return KeyPlan((name, *members), {name: members}, lists=True, many=True)
    return None


def _plural(noun: str) -> str:
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun if noun.endswith("s") else noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def key_hint(plan: KeyPlan | None) -> str:
    if plan is None:
        return ""
    if not plan.groups:
        return "Answer with a JSON object with the fields: " + ", ".join(plan.keys) + "."
    holder = "a list of objects with" if plan.lists else "an object with"
    fields = [f"{k} ({holder} {', '.join(plan.groups[k])})" if k in plan.groups else k for k in plan.top]
    return "Answer with a JSON object with the fields: " + ", ".join(fields) + "."


def schema_hint(schema: dict[str, Any]) -> str:
    """One line naming the top-level fields and their types, for schemas that have properties."""
    props = schema.get("properties")
    if not isinstance(props, dict) or not props:
        return ""
    required = set(schema.get("required") or [])
    fields = []
    for name, spec in list(props.items())[:20]:
        kind = _type_of(spec)
        fields.append(f"{name} ({kind}{'' if name in required else ', optional'})")
    return "Answer with a JSON object with the fields: " + ", ".join(fields) + "."


def _type_of(spec: Any) -> str:
    if not isinstance(spec, dict):
        return "any"
    if "enum" in spec and isinstance(spec["enum"], list):
        return "one of " + "/".join(json.dumps(v, ensure_ascii=False) for v in spec["enum"][:6])
    kind = spec.get("type")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    return str(kind) if kind else "any"
