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
- Mode none (no grammar) is shown a chat-style worked example (an answer at length, and JSON asked for
  without a response format as a sentence and a fenced block), and stops where the model starts a new block
  or a new turn of a dialogue.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from local_engine import steering
from local_engine.chat import ChatRequest, Message, VideoInput
from local_engine.steering import Plan

JSON_EXAMPLE = ("Instruction: Extract the planet and return it in JSON format.\n"
                "Input: After seven years in space the probe reached Saturn.\n"
                "Output: {\"planet\": \"Saturn\"}\n\n")
# The words a copy of each worked example would give away. The decoder keeps them out of every answer whose
# request does not hold them (echo.py); they are the example's distinctive content, not the common words any
# answer needs ("because", "here"), which is why they are named here rather than read off the example.
JSON_EXAMPLE_TELLS = ("planet", "saturn")
# Plain mode answers the way the reference's chat models do: at the length the question needs and, asked for
# JSON without a response format, with a sentence and a ```json fenced block (the problem the reference's
# first sentence names, and the lesson of the Compare page). Its topics are far from any extraction.
TEXT_EXAMPLE = ("Instruction: You are a helpful assistant.\n"
                "Input: Why do leaves change colour in autumn?\n"
                "Output:\nLeaves change colour in autumn because trees stop making chlorophyll, the green pigment "
                "they use to capture sunlight. As the days grow shorter and cooler, the chlorophyll breaks down, "
                "and the yellow and orange pigments that were in the leaf all along start to show. Some trees, "
                "such as maples, also make red pigments from the sugars trapped in their leaves, which is why "
                "a sunny autumn gives the brightest colours.\n\n"
                "Instruction: Give the planet and its number of moons in JSON.\n"
                "Input: Mars has two small moons, Phobos and Deimos.\n"
                "Output:\nHere is the information in JSON format:\n\n"
                "```json\n{\n  \"planet\": \"Mars\",\n  \"moons\": 2\n}\n```\n\n")
TEXT_EXAMPLE_TELLS = ("chlorophyll", "pigment", "maples", "autumn", "planet", "mars", "moons", "phobos", "deimos")
# Where the model starts a new block or a new dialogue turn on its own: the answer is over.
BLOCK_STOPS = ["\nInstruction:", "\nInput:", "\nOutput:", "\n\n\n",
               "\nQ:", "\nA:", "\nQuestion:", "\nAnswer:", "\nUser:", "\nAssistant:", "\nHuman:", "\nAI:",
               "\n用户：", "\n问：", "\n答："]

# "Q: ..." / "A: ..." style example lines inside an instruction, as (question label, answer label).
_SHOT_LABELS = [("Q", "A"), ("Input", "Output"), ("Question", "Answer"), ("User", "Assistant"),
                ("问", "答"), ("输入", "输出")]
_SHOT_LINE = re.compile(r"^\s*(?P<label>Q|A|Input|Output|Question|Answer|User|Assistant|问|答|输入|输出)\s*[:：]\s?"
                        r"(?P<text>.*)$")

@dataclass(frozen=True)
class Prompt:
    text: str
    stop: list[str] = field(default_factory=list)  # only for unconstrained output; a grammar stops itself
    plan: Plan | None = None  # what the decoder steers towards (``steering``): the input, and the named keys
    example: str = ""  # the worked example at its head
    tells: tuple[str, ...] = ()  # its give-away words, which the decoder keeps out of the answer (echo)


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
    source = _source(req)
    if req.mode == "json_schema":
        hint = schema_hint(req.schema) if req.schema else ""
        plan = steering.Plan(source=source, cues=steering.schema_cues(req.schema) if req.schema else {})
    elif req.mode == "json_object":
        # The user's own words can carry the instruction too (the reference's image example does): read when
        # the instructions name no keys.
        plan = steering.read_plan(instructions, source)
        if not plan.keys:
            plan = steering.read_plan(instructions + [m.text for m in req.messages if m.role == "user"], source)
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
    tells = TEXT_EXAMPLE_TELLS if req.mode == "none" else JSON_EXAMPLE_TELLS
    return Prompt(example + "\n".join(lines), stop, plan, example, tells)


def _source(req: ChatRequest) -> str:
    """The text the answer's values come from: the user messages and the text read from their images."""
    chunks: list[str] = []
    for m in req.messages:
        if m.role != "user":
            continue
        for part in m.parts:
            if part.text:
                chunks.append(part.text)
            elif part.image is not None and part.image.ocr_text:
                chunks.append(part.image.ocr_text)
            elif part.video is not None:
                chunks.append(video_text(part.video))
    return "\n".join(chunks)


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
        elif part.video is not None:
            chunks.append(video_text(part.video))
    if not chunks:
        return ""
    return f"{label}: " + "\n".join(chunks)


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}" + (f".{round((seconds - whole) * 10) % 10}" if seconds % 1 else "")


def video_text(video: VideoInput) -> str:
    """A video as what its frames' OCR text says: the first frame's text as the start, then one line per
    change, with the time (mm:ss) and only the text lines that changed since the frame before (a frame
    that changed nothing is left out). A board whose clock ticks in every frame still gives each new
    score a short line of its own ("00:04 1-0 · MINUTE 64"), which a small model copies more reliably
    than a row of whole frames that all differ; and the start, which is no change, has no time."""
    start = ""
    lines: list[str] = []
    last: list[str] | None = None
    for frame, t in zip(video.frames, video.times, strict=True):
        now = [" ".join(line.split()) for line in (frame.ocr_text or "").splitlines() if line.strip()]
        if last is None:
            start = " · ".join(now) or "(no text)"
        elif now != last:
            changed = [line for line in now if line not in last] if last else now
            lines.append(f"{_clock(t)} " + (" · ".join(changed or now) if now else "(no text)"))
        last = now
    return (f"[Video: {len(video.frames)} frames, {video.timing}; the text read by OCR from its frames.]\n"
            f"At the start: {start}\n"
            + ("Then, at each time (mm:ss) the text changed, what changed:\n" + "\n".join(lines) if lines
               else "The text does not change."))


def key_plan(texts: list[str]) -> Plan | None:
    """The keys the texts name (``steering.read_plan``), or None when they name fewer than two."""
    plan = steering.read_plan(texts)
    return plan if plan.keys else None


def key_hint(plan: Plan | None) -> str:
    return steering.hint(plan)


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
