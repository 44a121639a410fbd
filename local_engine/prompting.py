"""Messages → a plain completion prompt for a base model.

Gemma 3 270M as shipped here is a base model with no chat template, so a chat is laid out as a short
document the model can continue: an example exchange, then the request as ``Instruction`` /
``Input`` / ``Output`` blocks, ending on ``Output:`` as the cue where the answer starts. A worked
example teaches "only the asked fields, then stop" better than any instruction does at this size.
The example's content is deliberately unlike the reference's (a city, not a person) so that a
copied example never looks like a plausible answer.

This module is the place a later issue tunes (layout, examples, schema hints); it has no other job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from local_engine.chat import ChatRequest, Message

JSON_EXAMPLE = ("Instruction: Extract the city and return it in JSON format.\n"
                "Input: I moved to Lisbon in 2019 and work as a nurse.\n"
                "Output: {\"city\": \"Lisbon\"}\n\n")
TEXT_EXAMPLE = ("Instruction: Answer in one short sentence.\n"
                "Input: What is the capital of France?\n"
                "Output: The capital of France is Paris.\n\n")
# Where the model starts a new block on its own: the answer is over.
BLOCK_STOPS = ["\nInstruction:", "\nInput:", "\nOutput:", "\n\n\n"]


@dataclass(frozen=True)
class Prompt:
    text: str
    stop: list[str] = field(default_factory=list)  # only for unconstrained output; a grammar stops itself


def build_prompt(req: ChatRequest) -> Prompt:
    """The completion prompt for ``req`` (OCR text of images must already be filled in)."""
    example = TEXT_EXAMPLE if req.mode == "none" else JSON_EXAMPLE
    lines: list[str] = []
    instructions = [m.text.strip() for m in req.messages if m.role in ("system", "developer") and m.text.strip()]
    if instructions:
        lines.append("Instruction: " + "\n".join(instructions))
    hint = schema_hint(req.schema) if req.mode == "json_schema" and req.schema else ""
    if hint:
        lines.append(hint)
    for m in req.messages:
        if m.role in ("system", "developer"):
            continue
        block = _block(m)
        if block:
            lines.append(block)
    lines.append("Output:")
    stop = [] if req.mode != "none" else list(BLOCK_STOPS)
    return Prompt(example + "\n".join(lines), stop)


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
