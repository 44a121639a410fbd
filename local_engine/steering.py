"""Steering: nudges, as logit biases on what the grammar already allows, towards answers an extraction
can justify. It never changes what the grammar allows (a biased token is still one the mask let through,
and a token the mask forbids stays at minus infinity), so every answer is still valid JSON (and valid
against the schema in JSON Schema mode).

Why: most structured-output requests are extraction, and their values are spans, numbers and words of
the input. A 270M model under a grammar writes valid JSON, but left alone it drifts: a number runs on
past the digits the input has (``"guests": 1000000000000000``), JSON-ish junk fills a string
(``"check_in": "}, {"``), a value is taken from the wrong place or made up. A larger model would not do
that, so the nudges make the small one behave more like the service it stands in for. All of them are
general (they read the request, never a particular example's wording) and work on bytes, so Chinese
gains as much as English:

- **spans**: inside a string value, favour tokens that start a span of the input (at a word start, or
  anywhere in CJK text) or continue the span written so far, and closing the string where such a span
  ends at a word boundary; once a value has left the input behind, favour closing it the longer it grows;
  disfavour JSON punctuation (``{ } [ ]``) inside a string when the input has none, running on across a
  clause break the input has after the span, and closing a value as a copy of another value of its object.
- **numbers**: while writing a number, favour digits that continue a number of the input, favour ending it
  where an input number ends, and disfavour digits that make it longer than every number of the input (a
  run of digits inside a string too: "14 September" does not gain an invented "2023");
  where the grammar asks for a number (and nothing else), favour starting one the input holds.
- **cues**: where a value starts, favour the places of the input whose neighbourhood names the key being
  filled (``"bedrooms"`` starts at the ``3`` of "3 bedrooms"; ``"罚款金额"`` beside "罚款200元") and disfavour
  places that name another key of the answer more: the words of each key (its identifier split into words,
  the instruction's own name for it, a schema property's description) against the words (or CJK
  characters) around each place, closer counting more. A money key also leans towards a place beside a
  currency sign, and a date key towards a date-shaped span.
- **yes or no**: where a boolean starts (the schema's, or one the instruction declares), towards what the
  input's clause naming its key says: ``true``, or ``false`` when that clause is negated
  (``local_engine.polarity``, which also reads which keys an instruction means as booleans).
- **keys** (JSON Object mode, which has no schema): read the field names the instruction spells out (``Plan``
  from ``read_plan``), then favour spelling the first named key not yet in the current object, a plain value
  for a named key, and not closing an object while named keys are missing (closing it once all are there).
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from dataclasses import dataclass, field

import numpy as np

from local_engine.guards import JsonShape
from local_engine.polarity import boolean_keys, polarity

KEY_BIAS = 6.0  # towards a key the instruction named, where a key starts; against leaving one out
KEY_BIAS_INSIDE = 10.0  # once a key has begun like a named one, towards finishing it as that one
SPAN_START = 2.0  # a string value that starts where a span of the input starts
SPAN_CONTINUE = 3.0  # a string value that goes on as the input goes on (not across a clause break)
SPAN_END = 3.0  # closing it where its span ends at a word boundary: as much, so the model chooses between them
SPAN_REPEAT = 4.0  # against closing a string value as a copy of another value of the same object
SPAN_BREAK = 2.0  # against running on across a clause break (", ") where the input has one after the span
DRIFT_FREE = 8  # characters a value may run past the input before closing it is favoured
DRIFT_BIAS = 0.4  # per character beyond that
JUNK_BIAS = 10.0  # against '{', '}', '[', ']' inside a string when the input has none of them
NUMBER_CONTINUE = 4.0  # a digit that continues a number of the input
NUMBER_END = 4.0  # ending a number where a number of the input ends
NUMBER_OVER = 8.0  # against a digit that makes the number longer than any of the input
FORM_BIAS = 8.0  # towards the value of the input, in the sample's form, that the object being written takes
MAX_BIAS = 12.0
BOOL_BIAS = 5.0  # towards true (or false) as the clause naming a boolean's key says, times how well it names it
CUE_BIAS = 4.0  # a value that starts where the input names its key (less where it names another key more)
CUE_MAX_INPUT = 4000  # characters of input the cues and yes-or-no read at most (longer: too slow per request)
CUE_REACH = 10.0  # characters at which a cue word counts half
_CUE_WINDOW = 32  # characters looked at on either side of a place
CUE_ACROSS = 0.35  # a cue word on the other side of a clause break counts this much
CUE_MINE = 0.3  # affinity below this is chance (a common character nearby), not a cue
CUE_RIVAL = 0.5  # another key disfavours a place only where it is named this clearly
_LONGEST = 24  # bytes of input looked at after a position (longer than any token)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CLAUSE_BREAK = re.compile(rb"[,.;:!?](?:\s|\\n|$)|(?:\xef\xbc[\x8c\x9a\x9b\x81\x9f]|\xe3\x80[\x81\x82])")
_INPUT_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


# ------------------------------------------------------------------ what to steer towards


@dataclass(frozen=True)
class Plan:
    """What one request's answer is steered towards.

    ``keys``: the field names the instruction names, in its order (JSON Object mode). ``groups``: named keys
    that hold fields of their own ("the ticket information (array type, including travel_date, ...)"), as
    arrays of objects when ``lists``; without groups every object is steered towards ``keys``, with them the
    top level gets the groups and the loose keys and an object under a group that group's keys.
    ``source``: the input the values come from (user messages and the text read from images). ``cues``: for
    every key the answer may hold, the words that name it (the cues nudge). ``types``: the JSON type the
    instruction declares for a key (``name (string)``, ``age: integer``, ``score is a string``), as the
    reference's prompts do. ``forms``: the form a JSON sample's value shows (``"01:25"``: digits, a colon,
    digits), which the value is steered to take from the input (``records``)."""

    keys: tuple[str, ...] = ()
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lists: bool = False
    source: str = ""
    cues: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key -> the words that name it (``cue_words``)
    types: dict[str, str] = field(default_factory=dict)  # key -> "string" / "number" / "boolean", as declared
    forms: dict[str, str] = field(default_factory=dict)  # key -> a regex of the form its sample value shows
    sample: bool = False  # read off a JSON sample: its keys are the answer's, so keys of its own are held back

    @property
    def top(self) -> tuple[str, ...]:
        inner = {k for ks in self.groups.values() for k in ks}
        return tuple(k for k in self.keys if k not in inner)

    def for_object(self, owner: str | None, depth: int) -> tuple[str, ...]:
        """The keys to steer towards in an object ``depth`` levels down, held under the key ``owner``."""
        if not self.groups:
            return self.keys
        if depth == 1:
            return self.top
        return self.groups.get(owner or "", ())


_TYPE_WORDS = {"string", "str", "integer", "int", "number", "float", "boolean", "bool", "array", "object", "json",
               "null", "list", "dict", "text", "type", "whole", "true", "false", "optional", "required", "format",
               "字符串", "整数", "数字", "数值", "布尔值", "数组", "对象", "列表", "可选", "必填", "json格式"}
# Words that end a list of fields ("..., and return them"): a verb or a connective, not a field. A preposition
# ends the item it is in ("date from the SMS": "date"); alone it can be a field ("from, to and price").
_STOP_WORDS = {"return", "returns", "output", "reply", "respond", "answer", "give", "provide", "extract", "show",
               "list", "format", "them", "it", "they", "etc", "so", "then", "use", "put", "write", "only", "please",
               "json", "if", "when", "which", "that", "is", "are", "be", "using", "without", "no", "do", "not"}
_PREPOSITIONS = {"from", "in", "into", "as", "to", "for", "on", "at", "by", "per", "within", "inside"}
_GENERIC = {"information", "info", "details", "data"}  # "the age information": the age
_ARTICLES = {"the", "a", "an", "its", "their", "his", "her", "each", "every", "all", "any", "your", "our", "my"}
_CONNECT = re.compile(r"\s*(?:[,，、;；]\s*(?:and\s+|or\s+|以及|和|及|与|或)?|\s+(?:and|or|as well as|plus)\s+"
                      r"|以及|和|及|与)\s*")
# Words after which a list names fields; the first group names keys outright.
_KEY_CUES = r"keys?|fields?|properties|property|attributes|columns|字段|键名|键|属性"
_CUES = re.compile(r"\b(?:keys?|fields?|properties|property|attributes|columns|extract|extracting|including|"
                   r"includes?|containing|contains?|with|need|capture|pull out|give me)\b"
                   r"|字段|键名|键|属性|提取|包含|包括|抽取|[:：]", re.I)
_KEY_CUE = re.compile(rf"^(?:{_KEY_CUES})$", re.I)
_IDENT = re.compile(r"(?<![\w@./-])(?:[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+|[a-z]+(?:[A-Z][a-z0-9]+)+)(?![\w@/-])")
_PAREN = re.compile(r"[(（]([^()（）]*)[)）]")
_PAIR = re.compile(r"(?:^|[{,，\n])\s*(?:[-*•]\s*)?"
                   r"(?:[\"'`]([A-Za-z][A-Za-z0-9_]*)[\"'`]|([a-z][A-Za-z0-9_]*))\s*[:：]", re.M)
_QUOTED = re.compile(r"[`\"“]([A-Za-z][A-Za-z0-9_]*)[`\"”]")
_SENTENCE_END = re.compile(r"[.!?。！？\n]|;(?=\s)")
_CONTAINERS = re.compile(r"\b(?:contains?|containing|with|has|holding)\s+(?:the\s+)?([a-z][\w ,]*?)\s+"
                         r"(arrays|lists|objects)\b|包含([\w、和与]+?)(数组|列表|对象)", re.I)


@dataclass
class _Field:
    key: str
    at: float  # where in the texts it is named: fields are keyed in this order
    explicit: bool  # spelled as an identifier, or listed after a word such as "keys" or "字段"
    alias: str = ""  # the instruction's own words for it: 比分 of "比分(score)"


def _item_key(item: str, paren: str) -> tuple[str, bool] | None:
    """The key an item of a list names and whether it is spelled as an identifier; None if the item reads as
    words that end the list ("return them") or as no field at all."""
    inner = paren.strip()
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", inner) and inner.lower() not in _TYPE_WORDS:
        return inner, True  # 姓名(name), the name (name)
    text = item.strip().strip("\"'`“”‘’")
    if not text:
        return None
    if _IDENT.fullmatch(text):
        return text, True
    if _CJK.search(text):
        text = re.sub(r"^(?:请|提取|抽取|包括|包含|以及|和|及|的)+", "", text)
        if not text or len(text) > 10 or not re.fullmatch(r"[\w\u3400-\u9fff]+", text) \
                or any(w in text for w in ("返回", "输出", "格式", "json", "JSON", "以下", "如下")):
            return None
        return (text, False) if text.lower() not in _TYPE_WORDS else None
    words = [w for w in re.split(r"\s+", text) if w]
    if not all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_'’]*", w) for w in words):
        return None
    while words and words[0].lower() in _ARTICLES:
        words = words[1:]
    for i, w in enumerate(words):
        if w.lower().endswith(("'s", "’s")):
            words = words[i + 1:]  # the person's name: the name
            break
    if len(words) > 1:
        cut = next((i for i, w in enumerate(words) if w.lower() in _PREPOSITIONS), None)
        if cut is not None:
            words = words[:cut]
        while len(words) > 1 and words[-1].lower() in _GENERIC:
            words = words[:-1]
    if not words or len(words) > 3 or any(w.lower() in _STOP_WORDS for w in words):
        return None
    if len(words) == 1 and (words[0].lower() in _TYPE_WORDS | _GENERIC):
        return None
    key = "_".join(w if _IDENT.fullmatch(w) else w.lower() for w in words)
    return key, bool(_IDENT.fullmatch(key)) and len(words) == 1


def _lists(text: str) -> list[list[_Field]]:
    """Fields named in lists: after a cue word, items separated by commas, '、' or 'and', each a short noun
    phrase (``unit price`` is one key, ``unit_price``) or an identifier, maybe with a parenthetical."""
    found: list[list[_Field]] = []
    # parentheticals are kept aside so that their commas do not split the list
    parens: list[str] = []

    def keep(m: re.Match[str]) -> str:
        parens.append(m.group(1))
        return f"\x00{len(parens) - 1}\x00"

    flat = _PAREN.sub(keep, text)
    for m in _PAREN.finditer(text):  # "(array type, including travel_date, trains, ...)": a list of its own
        found += [[_Field(f.key, m.start() + f.at / 1000, f.explicit, f.alias) for f in one]
                  for one in _lists(m.group(1))]
    for cue in _CUES.finditer(flat):
        rest = flat[cue.end():]
        end = _SENTENCE_END.search(rest)
        rest = rest[: end.start()] if end else rest
        explicit_cue = bool(_KEY_CUE.match(cue.group(0))) or (cue.group(0) in (":", "：") and bool(
            re.search(rf"(?:{_KEY_CUES})\W*$", flat[max(0, cue.start() - 20):cue.start()], re.I)))
        rest = re.sub(r"^\s*(?:the\s+)?(?:following|these|below)(?:\s+(?:fields|keys|information|details))?\s*[:：]?",
                      "", rest, flags=re.I)
        items: list[_Field] = []
        pos = cue.end()
        for piece in _CONNECT.split(rest):
            paren = ""
            m = re.search(r"\x00(\d+)\x00", piece)
            if m:
                paren = parens[int(m.group(1))]
                piece = piece[: m.start()] + " " + piece[m.end():]
            got = _item_key(piece, paren)
            if got is None:
                break
            alias = piece.strip() if paren and got[0] == paren.strip() else ""
            items.append(_Field(got[0], pos, got[1] or explicit_cue, alias))
            pos += 1
            words = piece.split()
            if len(words) > 1 and any(w.lower() in _PREPOSITIONS for w in words):
                break  # "... and date from the SMS": the list ends with "date"
        if any(f.explicit for f in items):
            items = [_Field(f.key, f.at, True, f.alias) for f in items]  # a list that names identifiers names fields
        if len(items) >= 2 or (items and items[0].explicit and explicit_cue):
            found.append(items)
    return found


def read_plan(texts: list[str], source: str = "") -> Plan:
    """The keys the texts name, with their grouping (see ``Plan``); no keys unless they name at least two.

    Keys are identifiers (``travel_date``, ``invoiceNumber``, ``姓名(name)``, ```ticket_id```, ``"app": str``,
    ``- event_name：活动名称``) and the items of lists that follow a cue (``Extract the product, quantity and
    unit price``: ``product``, ``quantity``, ``unit_price``; ``提取活动名称、日期和地点``). When some are spelled
    as identifiers or listed after a word such as "keys" or "字段", only those count: the prose around them
    describes the same fields. A noun phrase right before parentheses that list two or more of the keys holds
    them (a group); the instruction's own names for its containers ("an object that contains the ticket and
    invoice arrays") name the group and say it is a list."""
    sample = _sample_plan(texts, source)
    if sample is not None:
        return sample
    fields: list[_Field] = []
    for t, text in enumerate(texts):
        base = t * 100000
        fields += [_Field(m.group(0), base + m.start(), True) for m in _IDENT.finditer(text)
                   if m.group(0).lower() not in _TYPE_WORDS]
        pairs = list(_PAIR.finditer(text))
        if len(pairs) >= 2:
            fields += [_Field(m.group(1) or m.group(2), base + m.start(), True) for m in pairs
                       if (m.group(1) or m.group(2)).lower() not in _TYPE_WORDS | _STOP_WORDS]
        fields += [_Field(m.group(1), base + m.start(1), True) for m in _QUOTED.finditer(text)
                   if m.group(1).lower() not in _TYPE_WORDS]
        # Two lists naming some of the same fields ("Extract the city, date, high and low temperature. Return
        # JSON with city, date, high, low."): the later one restates the keys.
        kept: list[list[_Field]] = []
        for one in sorted(_lists(text), key=lambda one: one[0].at):
            keys_here = {f.key for f in one}
            kept = [k for k in kept if not keys_here & {f.key for f in k}] + [one]
        fields += [_Field(f.key, base + f.at, f.explicit, f.alias) for one in kept for f in one]
    if any(f.explicit for f in fields):
        fields = [f for f in fields if f.explicit]
    keys: list[str] = []
    for f in sorted(fields, key=lambda f: f.at):
        if f.key not in keys:
            keys.append(f.key)
    keys = keys[:20]
    if len(keys) < 2:
        return Plan(source=source)
    aliases: dict[str, list[str]] = {}
    for f in fields:
        if f.alias:
            aliases.setdefault(f.key, []).append(f.alias)
    cues = {k: cue_words(k, *aliases.get(k, ())) for k in keys}
    groups, lists = _groups(texts, keys)
    types = _declared_types(texts, keys)
    for k in boolean_keys(texts, keys):
        types.setdefault(k, "boolean")
    if not groups:
        return Plan(tuple(keys), source=source, cues=cues, types=types)
    grouped = {k for ks in groups.values() for k in ks}
    ordered = list(groups) + [k for k in keys if k not in grouped and k not in groups]
    return Plan(tuple(dict.fromkeys(ordered + [k for k in keys if k in grouped])), groups, lists, source, cues,
                types)


def _json_objects(text: str) -> list[dict]:
    """The JSON objects written out in a text (balanced braces that parse), outermost first."""
    found: list[dict] = []
    i = text.find("{")
    while i >= 0:
        depth, end, quoted, escaped = 0, -1, False, False
        for j in range(i, len(text)):
            ch = text[j]
            if quoted:
                escaped, quoted = (False, True) if escaped else (ch == "\\", ch != '"')
                continue
            if ch == '"':
                quoted = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    end = j + 1
                    break
        if end < 0:
            break
        try:
            value = json.loads(text[i:end])
        except ValueError:
            i = text.find("{", i + 1)
            continue
        if isinstance(value, dict) and value:
            found.append(value)
        i = text.find("{", end)
    return found


def _sample_plan(texts: list[str], source: str) -> Plan | None:
    """A plan read off a JSON sample the instruction writes out (``Reply in JSON like {"events": [{"time":
    "01:25", "score": "3-2"}]}``, or the reference's structure with a description in each value): its keys
    in order, the objects and lists of objects it nests as groups, and each leaf's JSON type. None without
    a sample that names two or more keys; the first such sample counts."""
    for text in texts:
        for sample in _json_objects(text):
            keys: list[str] = []
            groups: dict[str, tuple[str, ...]] = {}
            types: dict[str, str] = {}
            forms: dict[str, str] = {}
            lists = False
            for key, value in sample.items():
                keys.append(key)
                inner = value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else value
                if isinstance(inner, dict) and inner:
                    groups[key] = tuple(inner)
                    lists = lists or inner is not value
                    for k, v in inner.items():
                        keys.append(k)
                        types.setdefault(k, _json_type(v))
                        if isinstance(v, str) and (form := _form(v)):
                            forms.setdefault(k, form)
                else:
                    types[key] = _json_type(value)
                    if isinstance(value, str) and (form := _form(value)):
                        forms[key] = form
            if len(keys) >= 2:
                all_keys = tuple(dict.fromkeys(keys))
                return Plan(all_keys, groups, lists, source, {k: cue_words(k) for k in all_keys},
                            {k: t for k, t in types.items() if t}, forms, sample=True)
    return None


FORM_MAX = 24  # characters: a longer sample value is a description, not a value to copy the form of


def _form(value: str) -> str:
    """The form of a sample value that holds a digit ("01:25", "3-2", "2024-01-31", "￥394.0") as a regex:
    runs of digits and of letters stand for any such run, other characters for themselves. Empty for a
    value without digits or longer than ``FORM_MAX``: its words are an example, not a form."""
    if not any(c.isdigit() for c in value) or len(value) > FORM_MAX or not value.strip():
        return ""
    parts = []
    for run in re.finditer(r"\d+|[^\W\d_]+|\s+|.", value.strip()):
        text = run.group(0)
        parts.append(r"\d+" if text[0].isdigit() else r"\s+" if text[0].isspace()
                     else r"[^\W\d_]+" if text[0].isalpha() else re.escape(text))
    return r"(?<!\w)" + "".join(parts) + r"(?!\w)"


def records(plan: Plan, group: str | None) -> list[dict[str, str]]:
    """Where the values of a list's objects come from: the lines of the input that hold a value of every
    form the group's keys have (a timeline's changes, a table's rows), each as key -> the value there, in
    the input's order. Without a group: the one object's keys, each at its first match anywhere."""
    keys = [k for k in (plan.groups.get(group or "", ()) if group else plan.keys) if k in plan.forms]
    if not keys or not plan.source:
        return []
    if not group:
        first = {k: m.group(0) for k in keys if (m := re.search(plan.forms[k], plan.source))}
        return [first] if first else []
    rows = []
    for line in plan.source.splitlines():
        found = {k: m.group(0) for k in keys if (m := re.search(plan.forms[k], line))}
        if len(found) == len(keys):
            rows.append(found)
    return rows


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else ""


_TYPE_OF = {"string": "string", "str": "string", "text": "string", "字符串": "string",
            "integer": "number", "int": "number", "number": "number", "float": "number", "整数": "number",
            "数字": "number", "数值": "number", "boolean": "boolean", "bool": "boolean", "布尔值": "boolean"}
_TYPE_WORD = "|".join(sorted(map(re.escape, _TYPE_OF), key=len, reverse=True))


def _declared_types(texts: list[str], keys: list[str]) -> dict[str, str]:
    """The JSON type the texts give a key: ``name (string)``, ``age (integer, in years)``, ``age: int``,
    ``score is a string``, ``score as a string``. Only leaf types: a key declared an array or an object is
    a container, which the groups already describe."""
    types: dict[str, str] = {}
    for key in keys:
        k = re.escape(key)
        pattern = (rf"(?<![\w]){k}(?![\w])\s*(?:[(（]\s*|[:：]\s*|\s+(?:is|as)\s+(?:an?\s+)?)({_TYPE_WORD})(?![\w])")
        for text in texts:
            m = re.search(pattern, text, re.I)
            if m:
                types[key] = _TYPE_OF[m.group(1).lower()]
                break
    return types


def _groups(texts: list[str], keys: list[str]) -> tuple[dict[str, tuple[str, ...]], bool]:
    """Noun phrases followed by parentheses that list two or more of ``keys``, and whether they are lists."""
    groups: dict[str, tuple[str, ...]] = {}
    lists = False
    for text in texts:
        named: dict[str, str] = {}  # container name -> arrays / lists / objects
        for m in _CONTAINERS.finditer(text):
            names, kind = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            for n in _CONNECT.split(names):
                if n.strip():
                    named[n.strip().lower()] = kind.lower()
        for m in _PAREN.finditer(text):
            inner = m.group(1)
            members = tuple(k for k in keys if re.search(rf"(?<![\w]){re.escape(k)}(?![\w])", inner))
            if len(members) < 2:
                continue
            before = re.split(r"[,，、;；.。:：]|\band\b|\bthe\b", text[: m.start()])[-1]
            words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9_]*|[\u3400-\u9fff]+", before)
                     if w.lower() not in _ARTICLES | _STOP_WORDS]
            if not words:
                continue
            name = next((w for w in words if w.lower() in named), None)
            while len(words) > 1 and words[-1].lower() in _GENERIC:
                words = words[:-1]  # "the order details": the order
            if name is None:
                name = "_".join(w.lower() for w in words[-3:])
            if name in members or name.lower() in _TYPE_WORDS:
                continue
            groups.setdefault(name, members)
            is_list = named.get(name.lower()) in ("arrays", "lists", "数组", "列表") or bool(
                re.search(r"\b(?:arrays?|lists?)\b|数组|列表", inner, re.I))
            lists = lists or is_list
    return groups, lists


_CUE_STOP = _ARTICLES | _PREPOSITIONS | _TYPE_WORDS | {
    "of", "and", "or", "is", "are", "was", "were", "with", "this", "that", "these", "value", "field", "key", "if",
    "none", "not", "what", "which", "who", "how", "many", "much", "one", "two", "it", "its", "be", "been", "has",
    "have", "had", "can", "may", "must", "should", "will", "would", "e", "g", "eg", "ie", "etc", "such", "also"}
_CUE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*|[\u3400-\u9fff]+")


def cue_words(key: str, *texts: str) -> tuple[str, ...]:
    """The words that name ``key``: its identifier split into words (``monthlyRent``, ``monthly_rent``: monthly,
    rent) and the content words of ``texts`` (the instruction's name for it, a schema description), lower
    case; a CJK run stays whole (its characters are matched one by one)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key)
    words: list[str] = []
    for text in (spaced, *texts):
        for w in _CUE_WORD.findall(text):
            w = w.lower()
            if w not in _CUE_STOP and (len(w) >= 2 or _CJK.match(w)):
                words.append(w)
    return tuple(dict.fromkeys(words))[:10]


def schema_cues(schema: object) -> dict[str, tuple[str, ...]]:
    """``cue_words`` for every property name of a JSON Schema, at any depth, with its title and description."""
    found: dict[str, list[str]] = {}
    stack = [schema]
    while stack and len(found) < 60:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        props = node.get("properties")
        if isinstance(props, dict):
            for name, spec in props.items():
                texts = found.setdefault(str(name), [])
                if isinstance(spec, dict):
                    texts += [str(spec[k]) for k in ("title", "description") if isinstance(spec.get(k), str)]
        stack.extend(v for k, v in node.items() if k != "enum" and k != "const" and isinstance(v, dict | list))
    return {name: cue_words(name, *texts) for name, texts in found.items()}


def hint(plan: Plan | None) -> str:
    """The prompt line naming the keys of a plan (empty without keys)."""
    if plan is None or not plan.keys:
        return ""
    def typed(k: str) -> str:
        kind = plan.types.get(k)
        return f"{k} ({'a list' if kind == 'array' else kind})" if kind else k

    if not plan.groups:
        return "Answer with a JSON object with the fields: " + ", ".join(map(typed, plan.keys)) + "."
    holder = "a list of objects with" if plan.lists else "an object with"
    fields = [f"{k} ({holder} {', '.join(map(typed, plan.groups[k]))})" if k in plan.groups else typed(k)
              for k in plan.top]
    return "Answer with a JSON object with the fields: " + ", ".join(fields) + "."


# ------------------------------------------------------------------ the nudges


@dataclass
class _Source:
    """One input, prepared for one vocabulary: its JSON-escaped bytes, where spans may start, and its numbers."""

    text: bytes
    starts: np.ndarray  # tokens that start a span of the input
    numbers: tuple[str, ...]
    longest: int  # digits of its longest number
    has_brackets: bool
    escaped: str = ""
    places: tuple[tuple[int, int], ...] = ()  # where spans may start: (character, byte) offsets in ``escaped``
    cue_tables: dict[tuple[str, bool, int], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    affinities: dict[tuple[tuple[str, tuple[str, ...]], ...], dict[str, np.ndarray]] = field(default_factory=dict)


def _number_forms(text: str) -> tuple[tuple[str, ...], int]:
    forms: set[str] = set()
    longest = 0
    for m in _INPUT_NUMBER.finditer(text):
        raw = m.group(0)
        plain = raw.replace(",", "")
        forms.update({raw, plain})
        if "." in plain:
            whole, frac = plain.split(".")
            forms.update({whole, f"{whole}.{frac.rstrip('0')}".rstrip(".")})
        longest = max(longest, sum(c.isdigit() for c in plain))
    return tuple(sorted(forms)), longest


class Steerer:
    """Token tables for one vocabulary (built once) and the biases of the module doc."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces
        self.by_piece: dict[bytes, list[int]] = {}
        self.closing: dict[bytes, list[int]] = {}  # text before a token's first '"' -> tokens that close there
        for i, p in enumerate(pieces):
            if not p:
                continue
            self.by_piece.setdefault(p, []).append(i)
            q = p.find(b'"')
            if q >= 0 and not p[:q].endswith(b"\\"):
                self.closing.setdefault(p[:q], []).append(i)
        self.longest = max(map(len, self.by_piece), default=1)
        squeezed = [bytes(c for c in p if c not in b" \n\t\r") for p in pieces]

        def tokens(test) -> np.ndarray:  # type: ignore[no-untyped-def]
            return np.flatnonzero([test(q) for q in squeezed])

        self.quote = np.flatnonzero([p[:1] == b'"' for p in pieces])
        self.digit = np.flatnonzero([p[:1].isdigit() for p in pieces])
        # digits a token starts with (after one space at most), for numbers written inside strings
        lead = [re.match(rb" ?(\d*)", p) for p in pieces]
        self.lead_digits = np.array([len(m.group(1)) if m else 0 for m in lead])
        self.lead_space = np.array([p[:1] == b" " for p in pieces])
        self._over: dict[tuple[int, int], np.ndarray] = {}
        # a token that ends a number: what follows it in JSON (',', '}', ']'), not more of it
        self.number_end = tokens(lambda q: q[:1] in (b",", b"}", b"]"))
        before_quote = [p.split(b'"')[0] for p in pieces]
        self.junk = np.flatnonzero([any(c in b for c in b"{}[]") for b in before_quote])
        self.open = tokens(lambda q: q[:1] in (b"{", b"["))
        self.open_object = tokens(lambda q: q[:1] == b"{")
        self.open_array = tokens(lambda q: q in (b"[", b"[{") or q.startswith(b'[{"'))
        self.open_scalar_array = tokens(lambda q: q[:1] == b"[" and q[1:2] not in (b"", b"{"))
        self.scalar_start = tokens(lambda q: q[:1] == b'"' or q[:1].isdigit() or q[:1] == b"-")
        self.string_start = tokens(lambda q: q[:1] == b'"')
        self.number_start = tokens(lambda q: q[:1].isdigit() or q[:1] == b"-")
        self.literal_start = tokens(lambda q: q[:1] in (b"t", b"f", b"n"))
        self.boolean_start = tokens(lambda q: q[:1] in (b"t", b"f"))
        self.true_start = tokens(lambda q: q[:1] == b"t")
        self.false_start = tokens(lambda q: q[:1] == b"f")
        self.comma = tokens(lambda q: q[:1] == b",")
        self.close_object = tokens(lambda q: q[:1] == b"}")
        self.close_one = tokens(lambda q: q == b"}")
        self.close_more = tokens(lambda q: len(q) > 1 and all(c in b"}]" for c in q))
        self.close_and_continue = tokens(lambda q: q.startswith(b"},"))
        self.close_out_and_continue = tokens(lambda q: q[:1] == b"}" and b"," in q and not q.startswith(b"},"))
        self.close_array_only = tokens(lambda q: q == b"]")
        self.close_array_and_continue = tokens(lambda q: q.startswith(b"],"))
        self.close_array_and_object = tokens(lambda q: q.startswith(b"]}"))
        self.quote_close_object = tokens(lambda q: q.startswith(b'"}'))
        self.quote_comma = tokens(lambda q: q.startswith(b'",'))
        self.quote_close_continue = tokens(lambda q: q.startswith(b'"},'))
        self.quote_close_list = tokens(lambda q: q.startswith(b'"}]'))
        self.quote_close_list_continue = tokens(lambda q: q.startswith(b'"}],'))
        self._sources: dict[str, _Source] = {}

    # -------------------------------------------------------------- entry point

    def apply(self, shape: JsonShape, logits: np.ndarray, plan: Plan | None) -> None:
        """Add the biases for the next token to ``logits`` (already masked by the grammar)."""
        if plan is None:
            return
        if plan.keys:
            self.steer_keys(shape, logits, plan)
        if plan.source:
            source = self._source(plan.source)
            if shape.in_string and not shape.in_key:
                self._spans(shape, logits, source)
                if plan.forms and shape.string_key in plan.forms:
                    self._form_value(shape, logits, plan)
                if not shape.string_text and not shape.pending:
                    self._cues(shape, logits, source, plan, numbers=False)
            elif not shape.in_string:
                self._numbers(shape, logits, source)
                if not shape.number_text and shape.last in (":", "[", ","):
                    self._cues(shape, logits, source, plan, numbers=True)
                    self._yes_or_no(shape, logits, plan)

    def _yes_or_no(self, shape: JsonShape, logits: np.ndarray, plan: Plan) -> None:
        """Where a boolean starts (the schema's, or one the instruction declares): towards what the input's
        clause that names the key says (``local_engine.polarity``)."""
        key = _value_key(shape)
        if key is None or key not in plan.cues or len(plan.source) > CUE_MAX_INPUT:
            return
        says = polarity(plan.source, plan.cues[key])  # cached: most keys say nothing, and cost no mask scan
        if not says:
            return
        # a key not declared a boolean: only where the grammar allows nothing but a literal (the schema's boolean)
        if plan.types.get(key) != "boolean" and (np.isfinite(logits[self.string_start]).any()
                                                  or np.isfinite(logits[self.number_start]).any()):
            return
        logits[self.true_start] += BOOL_BIAS * says
        logits[self.false_start] -= BOOL_BIAS * says

    def _cues(self, shape: JsonShape, logits: np.ndarray, source: _Source, plan: Plan, numbers: bool) -> None:
        """The cues nudge (module doc) where the value of a key starts: a string's first token, or a number's."""
        key = _value_key(shape)
        if key is None or key not in plan.cues or len(source.escaped) > CUE_MAX_INPUT:
            return
        table_key = (key, numbers, hash(tuple(sorted(plan.cues.items()))))
        table = source.cue_tables.get(table_key)
        if table is None:
            table = self._cue_table(source, plan, key, numbers)
            source.cue_tables[table_key] = table
        tokens, bias = table
        if tokens.size:
            logits[tokens] += bias

    def _cue_table(self, source: _Source, plan: Plan, key: str, numbers: bool) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and their biases for a value of ``key`` starting at each place of the input."""
        scores = _place_affinities(source, plan)
        mine_all = scores[key]
        others = [scores[k] for k in plan.cues if k != key and set(plan.cues[k]) != set(plan.cues[key])]
        rival_all = np.max(others, axis=0) if others else np.zeros_like(mine_all)
        best: dict[int, float] = {}
        for (char_at, byte_at), mine, rival in zip(source.places, mine_all, rival_all, strict=True):
            if numbers and not source.escaped[char_at].isdigit():
                continue
            score = (mine if mine >= CUE_MINE else 0.0) - (rival if rival >= CUE_RIVAL else 0.0)
            if abs(score) < 0.05:
                continue
            chunk = source.text[byte_at:byte_at + self.longest]
            for n in range(1, len(chunk) + 1):
                for t in self.by_piece.get(chunk[:n], ()):
                    best[t] = max(best.get(t, -9.0), CUE_BIAS * float(score))
        if not best:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        ids = np.array(list(best), dtype=np.int64)
        return ids, np.array([best[t] for t in ids.tolist()])

    def _source(self, text: str) -> _Source:
        cached = self._sources.get(text)
        if cached is not None:
            return cached
        escaped = json.dumps(text, ensure_ascii=False)[1:-1]
        raw = escaped.encode("utf-8")
        starts: set[int] = set()
        places: list[tuple[int, int]] = []
        at = 0  # byte offset of character i
        for i, ch in enumerate(escaped):
            width = len(ch.encode("utf-8"))
            prev = escaped[i - 1] if i else " "
            # a span starts at a word start and anywhere in CJK text; a cue may also point right after CJK
            # text ("罚款200元"), but such a place gets no start nudge of its own
            word_start = not ch.isspace() and (_CJK.match(ch) or not prev.isalnum())
            if word_start or (not ch.isspace() and _CJK.match(prev)):
                places.append((i, at))
            if not word_start:
                at += width
                continue
            chunk = raw[at:at + self.longest]
            at += width
            for n in range(1, len(chunk) + 1):
                starts.update(self.by_piece.get(chunk[:n], ()))
        numbers, longest = _number_forms(text)
        source = _Source(raw, np.array(sorted(starts), dtype=np.int64), numbers, longest,
                         any(c in text for c in "{}[]"), escaped, tuple(places))
        if len(self._sources) > 16:
            self._sources.clear()
        self._sources[text] = source
        return source

    # -------------------------------------------------------------- values

    def _spans(self, shape: JsonShape, logits: np.ndarray, source: _Source) -> None:
        value = shape.string_text.encode("utf-8") + shape.pending
        if not source.has_brackets and self.junk.size:
            logits[self.junk] -= JUNK_BIAS
        if len(value) >= 2 and shape.values and shape.at_object and shape.string_text in shape.values[-1]:
            logits[self.closing.get(b"", [])] -= SPAN_REPEAT  # "项目": "100" after "运动员": "100": go on or not
        self._digits_in_string(shape.string_text, logits, source)
        if not value:
            if source.starts.size:
                logits[source.starts] += SPAN_START
            return
        hay = source.text
        ends: list[int] = []
        at = hay.find(value)
        while at >= 0 and len(ends) < 64:
            ends.append(at + len(value))
            at = hay.find(value, at + 1)
        if not ends:
            matched = _longest_prefix_in(value, hay)
            drift = len(value.decode("utf-8", "ignore")) - len(value[:matched].decode("utf-8", "ignore"))
            if drift > DRIFT_FREE:
                logits[self.quote] += min(MAX_BIAS, DRIFT_BIAS * (drift - DRIFT_FREE))
            return
        cont: set[int] = set()
        close: set[int] = set()
        across: set[int] = set()
        for end in ends:
            chunk = hay[end:end + self.longest]
            if not _CLAUSE_BREAK.match(chunk):  # "Laura Chen, your room": a value rarely runs on past ", "
                for n in range(1, len(chunk) + 1):
                    cont.update(self.by_piece.get(chunk[:n], ()))
            else:
                for n in range(1, len(chunk) + 1):
                    across.update(self.by_piece.get(chunk[:n], ()))
            for n in range(0, len(chunk) + 1):
                if _boundary(hay, end + n):
                    close.update(self.closing.get(chunk[:n], ()))
        if cont:
            logits[list(cont)] += SPAN_CONTINUE
        across -= cont
        if across:
            logits[list(across)] -= SPAN_BREAK
        if close:
            logits[list(close)] += SPAN_END

    def _digits_in_string(self, text: str, logits: np.ndarray, source: _Source) -> None:
        """A run of digits inside a string is held to the longest number of the input too ("14 September"
        does not become "14 September 2023" when no number of the input has four digits)."""
        run = len(text) - len(text.rstrip("0123456789"))
        over = self._over.get((run, source.longest))
        if over is None:
            grows = self.lead_digits + np.where(self.lead_space, 0, run)
            over = np.flatnonzero((self.lead_digits > 0) & (grows > source.longest))
            self._over[(run, source.longest)] = over
        if over.size:
            logits[over] -= MAX_BIAS  # a small model writes a year it was never given even against less

    def _numbers(self, shape: JsonShape, logits: np.ndarray, source: _Source) -> None:
        written = shape.number_text
        if not written:
            # where the grammar allows a number and no string, start one the input holds
            if shape.last in (":", "[", ",") and source.numbers and self.digit.size and \
                    np.isfinite(logits[self.digit]).any() and not np.isfinite(logits[self.quote]).any():
                starts = {t for n in source.numbers for t in self._prefix_tokens(n.encode())}
                if starts:
                    logits[list(starts)] += NUMBER_CONTINUE
            return
        # JSON numbers have no thousands separators: "565,000" goes on as 565000, not as 565 and a comma
        candidates = [n for n in source.numbers if n.startswith(written) and "," not in n]
        if not candidates:
            if sum(c.isdigit() for c in written) >= source.longest:
                logits[self.digit] -= NUMBER_OVER
                logits[self.number_end] += NUMBER_END
            return
        cont = {t for n in candidates if len(n) > len(written) for t in self._prefix_tokens(n[len(written):].encode())}
        if cont:
            logits[list(cont)] += NUMBER_CONTINUE
        if written in candidates:
            logits[self.number_end] += NUMBER_END
            over = np.setdiff1d(self.digit, np.array(sorted(cont), dtype=np.int64))
            logits[over] -= NUMBER_OVER

    def _form_value(self, shape: JsonShape, logits: np.ndarray, plan: Plan) -> None:
        """A string value whose key has a sample form: towards the value of that form in the object's record
        (the n-th record for the n-th object of a list), and closing it there."""
        target = self._record_value(shape, plan)
        if target is None:
            return
        want = json.dumps(target, ensure_ascii=False)[1:-1].encode("utf-8")
        value = shape.string_text.encode("utf-8") + shape.pending
        if not want.startswith(value):
            return  # the model went its own way: the span nudges still apply
        rest = want[len(value):]
        boosted = self._prefix_tokens(rest) | set(self.closing.get(rest, ()))
        if boosted:
            logits[list(boosted)] += FORM_BIAS
        group = self._list_group(shape, plan)
        if rest or group is None:
            return
        # the value is complete; if it is the object's last, its closing decides whether the list goes on
        if set(plan.groups[group]) - (shape.keys[-1] if shape.keys else set()) - {shape.string_key}:
            return
        more = shape.stack[-2][1] < len(records(plan, group))
        logits[self.quote_close_list] -= FORM_BIAS if more else -FORM_BIAS
        logits[self.quote_close_continue] += FORM_BIAS if more else -FORM_BIAS
        if not more:
            logits[self.quote_close_list_continue] -= 2 * FORM_BIAS  # the list was the object's last key

    @staticmethod
    def _list_group(shape: JsonShape, plan: Plan) -> str | None:
        """The group whose list holds the object being written, if it is one."""
        if len(shape.stack) >= 2 and shape.stack[-2][0] == ord("[") and shape.owners[-2] in plan.groups:
            return shape.owners[-2]
        return None

    def _record_value(self, shape: JsonShape, plan: Plan) -> str | None:
        key = shape.string_key or ""
        group = self._list_group(shape, plan)
        rows = records(plan, group)
        index = shape.stack[-2][1] - 1 if group is not None else 0
        return rows[index].get(key) if 0 <= index < len(rows) else None

    def _declared(self, key: str, logits: np.ndarray, plan: Plan) -> None:
        """Where a named key's value starts: the type the instruction declared for it, if any."""
        kind = plan.types.get(key)
        if kind not in ("string", "number", "boolean"):
            return
        wanted = {"string": self.string_start, "number": self.number_start, "boolean": self.boolean_start}[kind]
        others = [t for t in (self.string_start, self.number_start, self.literal_start)
                  if t is not wanted and not (kind == "boolean" and t is self.literal_start)]
        for t in others:
            logits[t] -= KEY_BIAS
        logits[wanted] += KEY_BIAS

    def _prefix_tokens(self, rest: bytes) -> set[int]:
        out: set[int] = set()
        for n in range(1, min(len(rest), self.longest) + 1):
            out.update(self.by_piece.get(rest[:n], ()))
        return out

    # -------------------------------------------------------------- keys

    def steer_keys(self, shape: JsonShape, logits: np.ndarray, plan: Plan) -> None:
        """Favour spelling the first named key not yet in this object, a plain value for a named key and
        a container for a group (see the module doc and ``Plan``)."""
        if shape.value_of is not None:  # right after '"key":'
            if plan.groups and shape.depth == 1 and shape.value_of in plan.groups:
                logits[self.open_array if plan.lists else self.open_object] += KEY_BIAS
                logits[self.open_scalar_array] -= KEY_BIAS
            elif shape.value_of in plan.for_object(shape.owner, shape.depth):
                if plan.types.get(shape.value_of) == "array":  # a list of values, as the sample shows
                    logits[self.open_scalar_array] += KEY_BIAS
                    logits[self.open_object] -= KEY_BIAS
                    return
                logits[self.open] -= KEY_BIAS  # a named field is a leaf: a nested object there runs away
                self._declared(shape.value_of, logits, plan)
            return
        if not shape.in_string and shape.stack and shape.stack[-1][0] == ord("[") and shape.owner in plan.groups:
            rows = records(plan, shape.owner) if plan.forms else []
            if shape.last == "}" and rows:  # one object per record of the input: go on while records remain
                more = shape.items < len(rows)
                logits[self.comma] += KEY_BIAS if more else -KEY_BIAS
                logits[self.close_array_only] -= KEY_BIAS if more else -KEY_BIAS
                logits[self.close_array_and_object] -= KEY_BIAS if more else -KEY_BIAS
                logits[self.close_array_and_continue] -= KEY_BIAS
            elif shape.last == "}":  # one object done: the source rarely holds more, and a small model repeats
                parent_used = shape.keys[-1] if shape.keys else set()
                if set(plan.for_object(None, shape.depth - 1)) <= parent_used:  # the object around it is done
                    logits[self.close_array_only] += KEY_BIAS
                    logits[self.close_array_and_object] += KEY_BIAS
                    logits[self.close_array_and_continue] -= KEY_BIAS
                else:
                    logits[self.close_array_only] += KEY_BIAS
                    logits[self.close_array_and_continue] += KEY_BIAS
                    logits[self.close_array_and_object] -= KEY_BIAS
            else:
                logits[self.open_object] += KEY_BIAS  # a group's array holds objects (the mask decides where)
                logits[self.scalar_start] -= KEY_BIAS
            return
        if not shape.at_object:
            return
        keys = plan.for_object(shape.owner, shape.depth)
        if not keys:
            return
        used = shape.keys[-1] if shape.keys else set()
        if not shape.at_key:
            # In or after a value: an object that holds named keys is not closed while others are missing,
            # and is closed once it holds them all and its last value is complete.
            if used & set(keys) and not set(keys) <= used:
                logits[self.quote_close_object if shape.in_string else self.close_object] -= KEY_BIAS
            elif set(keys) <= used:
                if shape.in_string:
                    logits[self.quote_comma] -= KEY_BIAS
                    logits[self.quote_close_continue] -= KEY_BIAS
                else:
                    logits[self.comma] -= KEY_BIAS  # after a number too: no key of its own after the named ones
                    if _enclosing_done(shape, plan, 1):
                        logits[self.close_out_and_continue] -= KEY_BIAS
                if not shape.in_string and shape.last in ('"', "}", "]"):
                    logits[self.close_one] += KEY_BIAS
                    logits[self.close_and_continue] -= KEY_BIAS
                    if shape.depth > 1:
                        logits[self.close_more] -= KEY_BIAS  # what is around it decides for itself
            return
        if shape.in_string and not shape.in_key:
            return
        typed = shape.key_text if shape.in_string else ""
        key = next((k for k in keys if k not in used and k.startswith(typed)), None)
        if key is None:
            return
        if shape.in_string:
            rests = [f'{key[len(typed):]}"'.encode()]
            if typed != key:
                logits[self.quote] -= KEY_BIAS  # "employee" is not yet "employees"
        else:
            rests = [f'"{key}"'.encode(), f' "{key}"'.encode(), f'\n"{key}"'.encode()]
        boosted: set[int] = set()
        for rest in rests:
            boosted |= self._prefix_tokens(rest)
        if plan.sample:  # the sample spells the keys: one of the model's own ("event_time" for "events") is held back
            logits -= KEY_BIAS
            if boosted:
                logits[list(boosted)] += KEY_BIAS
        if boosted:
            logits[list(boosted)] += KEY_BIAS_INSIDE if shape.in_string else KEY_BIAS


_TEXT_WORD = re.compile(r"[A-Za-z][A-Za-z0-9']*|[\u3400-\u9fff]")
_MONEY_WORDS = {"price", "cost", "fee", "fare", "rent", "salary", "wage", "pay", "amount", "total", "balance",
                "budget", "income", "refund", "charge", "deposit", "spent", "spend", "paid", "payment", "subtotal"}
_MONEY_CJK = re.compile(r"金额|价|费|租金|工资|薪|收入|余额|消费|退款|押金|钱")
_MONEY_NEAR = re.compile(r"[$€£¥₹]|(?:USD|EUR|GBP|CNY|RMB|JPY|HKD|SGD|AUD|CAD|INR|dollars?|euros?|pounds?|yuan|bucks)\b"
                         r"|元|块|美元|欧元|英镑|日元", re.I)
_BREAK = re.compile(r"[,;!?，。；！？、\n]|\.(?!\d)")
_AMOUNT_OR_WORD = re.compile(r"^[\d,.]+|^\w+")  # the value itself, whose own commas are not a break
_AMOUNT = re.compile(r"[\d,.]+\s*(?:k|K|m|million|thousand|万|千|百万|亿)?\s*")
_DATE_WORDS = {"date", "day", "when", "dob", "birthday", "deadline", "due", "dated"}
_DATE_CJK = re.compile(r"日期|生日|截止")
_TIME_WORDS = {"time", "duration", "clock", "hour", "lap"}
_TIME_CJK = re.compile(r"时间|时长|用时|成绩|几点")
_TIME_AT = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?"
                      r"|\d{1,2}(?:\.\d+)?\s?(?:h|hrs?|hours?|min|minutes?|s|sec|seconds?)\b"
                      r"|\d+(?:\.\d+)?\s?(?:小时|分钟|秒)|\d+秒\d+|\d{1,2}点", re.I)
_DATE_AT = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{4}年\d{1,2}月|\d{1,2}月\d{1,2}日|\d{1,2}/\d{1,2}/\d{2,4}"
                      r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b"
                      r"|\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", re.I)


def _place_affinities(source: _Source, plan: Plan) -> dict[str, np.ndarray]:
    """``_affinity`` of every cue key at every place of ``source``, once per source and set of cues."""
    cache_key = tuple(sorted(plan.cues.items()))
    found = source.affinities.get(cache_key)
    if found is None:
        text, words = source.escaped, _text_words(source.escaped)
        keys = [_KeyCues.of(cues) for cues in plan.cues.values()]
        rows = [_affinity_all(keys, text, words, at) for at, _b in source.places]
        matrix = np.array(rows).reshape(len(source.places), len(keys))
        found = {k: matrix[:, i] for i, k in enumerate(plan.cues)}
        source.affinities[cache_key] = found
    return found


def _text_words(text: str) -> list[tuple[int, int, str]]:
    """The words of the input (CJK one character each), with their character offsets, lower case."""
    return [(m.start(), m.end(), m.group(0).lower()) for m in _TEXT_WORD.finditer(text)]


@functools.lru_cache(maxsize=65536)
def _word_match(cue: str, word: str) -> float:
    a, b = cue.rstrip("s") if len(cue) > 3 else cue, word.rstrip("s") if len(word) > 3 else word
    if a == b:
        return 1.0
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return 0.8 if common >= 4 and common >= 0.6 * min(len(a), len(b)) else 0.0


@dataclass(frozen=True)
class _KeyCues:
    """One key's cue words, split the way ``_affinity_all`` matches them."""

    ascii: tuple[str, ...]
    cjk: frozenset[str]
    money: bool
    date: bool
    time: bool

    @staticmethod
    def of(cues: tuple[str, ...]) -> _KeyCues:
        return _KeyCues(tuple(c for c in cues if not _CJK.match(c)),
                        frozenset(ch for c in cues if _CJK.match(c) for ch in c),
                        _names_kind(cues, _MONEY_WORDS, _MONEY_CJK), _names_kind(cues, _DATE_WORDS, _DATE_CJK),
                        _names_kind(cues, _TIME_WORDS, _TIME_CJK))


def _affinity(cues: tuple[str, ...], text: str, words: list[tuple[int, int, str]], at: int) -> float:
    """How strongly the input around character ``at`` names the key whose cue words are ``cues`` (0 to 1)."""
    return _affinity_all([_KeyCues.of(cues)], text, words, at)[0]


def _affinity_all(keys: list[_KeyCues], text: str, words: list[tuple[int, int, str]], at: int) -> list[float]:
    """``_affinity`` for several keys at one place: the words around it are read once."""
    lo, hi = at - _CUE_WINDOW, at + _CUE_WINDOW
    around: list[tuple[str, float]] = []
    i = bisect.bisect_left(words, (lo - 40,))  # no word that matters here is longer than 40 characters
    while i < len(words) and words[i][0] <= hi:
        start, end, word = words[i]
        i += 1
        if end < lo or start == at:  # a value rarely starts with its own label ("Price: 15,900")
            continue
        d = at - end if end <= at else max(0, start - at)
        near = 1.0 / (1.0 + d / CUE_REACH)
        between = text[end:at] if end <= at else _AMOUNT_OR_WORD.sub("", text[at:start], count=1)
        if _BREAK.search(between):
            near *= CUE_ACROSS  # "3 bedrooms, 2 bathrooms": the 2 is not the bedrooms'
        around.append((word, near))
    money = date = time = None
    scores: list[float] = []
    for key in keys:
        score = 0.0
        nearest: dict[str, float] = {}
        for word, near in around:
            if _CJK.match(word):
                if word in key.cjk:
                    nearest[word] = max(nearest.get(word, 0.0), near)
            elif key.ascii and near > score:
                score = max(score, near * max(_word_match(c, word) for c in key.ascii))
        if key.cjk:
            score = max(score, sum(nearest.values()) / len(key.cjk))
        if key.money:
            money = _money_beside(text, at) if money is None else money
            score = max(score, 0.8) if money else score
        if key.date:
            date = bool(_DATE_AT.match(text, at)) if date is None else date
            score = max(score, 0.8) if date else score
        if key.time:
            time = bool(_TIME_AT.match(text, at)) if time is None else time
            score = max(score, 0.8) if time else score
        scores.append(score)
    return scores


def _names_kind(cues: tuple[str, ...], words: set[str], cjk: re.Pattern[str]) -> bool:
    return any(c.rstrip("s") in words or c in words or bool(cjk.search(c)) for c in cues)


def _money_beside(text: str, at: int) -> bool:
    """A currency sign or word right before ``at`` or right after the amount that starts there."""
    before = text[max(0, at - 6):at].rstrip()
    if before and _MONEY_NEAR.search(before[-4:]) and _MONEY_NEAR.search(before[-4:]).end() == len(before[-4:]):
        return True
    amount = _AMOUNT.match(text, at)
    return bool(amount and amount.end() > at and _MONEY_NEAR.match(text, amount.end()))


def _value_key(shape: JsonShape) -> str | None:
    """The key whose value is being started: the object's last key, or the key an array is the value of."""
    if shape.value_of is not None:
        return shape.value_of
    if not shape.stack:
        return None
    if shape.stack[-1][0] == ord("{"):
        return shape.key_text or None
    return shape.owner


def _boundary(hay: bytes, at: int) -> bool:
    """Whether a span of the input may end before byte ``at``: at its end, before a non-word character, or
    inside CJK text (which has no spaces between words)."""
    if at >= len(hay):
        return True
    nxt = hay[at:at + 4].decode("utf-8", "ignore")[:1]
    prev = hay[max(0, at - 4):at].decode("utf-8", "ignore")[-1:]
    return not nxt or not nxt.isalnum() or bool(_CJK.match(nxt)) or bool(prev and _CJK.match(prev))


def _longest_prefix_in(value: bytes, hay: bytes) -> int:
    lo, hi = 0, len(value)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if value[:mid] in hay:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _enclosing_done(shape: JsonShape, plan: Plan, up: int) -> bool:
    """Whether the object ``up`` objects out from the innermost object (0: the innermost) holds all of its
    named keys."""
    objects = [i for i, (kind, _items) in enumerate(shape.stack) if kind == ord("{")]
    if len(objects) <= up or len(shape.keys) != len(objects):
        return False
    at = objects[-1 - up]
    keys = plan.for_object(shape.owners[at], at + 1)
    return bool(keys) and set(keys) <= shape.keys[-1 - up]
