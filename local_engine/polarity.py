"""Yes-or-no fields: which keys the instruction means as booleans, and what the input says of each.

Why: a 270M model fills ``"has_parking"`` with ``"no"`` (a string, in JSON Object mode) or picks ``true`` for
"there is no parking on site" (the grammar allows either in JSON Schema mode). A larger model reads the
instruction's "whether ..." or "(true or false)" and the input's "no ..." / "不..." itself. Two general
readings, no example's wording:

- **boolean keys** (JSON Object mode, which has no schema): a key the instruction declares a boolean
  (``damaged (boolean)``, ``X, Y and Z as booleans``, ``true/false for X and Y``, a list ending in
  ``(true or false)`` / ``（布尔值）`` for the keys of it named as yes-or-no fields), a key the instruction
  asks "whether" / "是否" of, and a key named the way yes-or-no fields are (``is_…``, ``has_…``,
  ``…_allowed``, ``…_included``, ``是否…``).
- **polarity**: the clause of the input that names the key best (its words; CJK by character) says yes,
  unless it holds a negation (``no``, ``not``, ``without``, ``n't``; ``不``, ``没``, ``无``, ``未``), then no.
  Where no clause names the key, or two name it equally, nothing is said and the model decides.

``local_engine.steering`` turns a polarity into a nudge between ``true`` and ``false`` where the value starts.
"""

from __future__ import annotations

import functools
import re

_CJK = re.compile(r"[\u3400-\u9fff]")
# "true or false" first: the longest spelling wins
_BOOL_WORD = (r"true\s*(?:or|/|或)\s*false|yes\s*(?:or|/)\s*no|booleans?|bool|布尔值|布尔型|布尔|是/否|是或否")
_BOOL_AFTER = re.compile(rf"(?:\s*[(（]\s*|\s*[:：]\s*|\s+(?:is|as|are)\s+(?:an?\s+)?)(?:{_BOOL_WORD})(?![\w])",
                         re.I)
_BOOL_FOR = re.compile(rf"(?:{_BOOL_WORD})(?:\s+values?)?\s+(?:for|of)\s+([^.;。；\n]+)", re.I)
_PLURAL = re.compile(r"booleans|true\s*(?:or|/)\s*false\s+values", re.I)
_WHETHER = re.compile(r"\bwhether\b|是否", re.I)
_WHETHER_END = re.compile(r"[,.;:!?，。；：！？、\n]|\bwhether\b|是否", re.I)
_LIST_START = re.compile(r"[.;:!?。；：！？\n)）]")  # a list of keys runs back to here at most (a type said)
_SHAPE_EN = re.compile(r"^(?:is|has|have|can|should|was|were|will|allows?|needs?|requires?)(?:_|[A-Z])"
                       r"|_(?:allowed|included|requested|enabled|provided)$")  # not _available: seats_available: 3
_SHAPE_ZH = "是否"
_SHAPE_ZH_LISTED = ("是否", "有", "含", "允许", "提供", "需要", "要求", "可以", "可", "已", "带", "是")
_CLAUSE = re.compile(r"[,.;:!?，。；：！？、\n]|\b(?:but|though|although|however|except)\b|但是|但|却|不过", re.I)
_NEGATION = re.compile(r"\b(?:no|not|never|without|none|nor|cannot|unavailable)\b|n't\b"
                       r"|不(?!错|仅|但|久|少|过)|没|无|未|非(?!常)|别", re.I)
_WORD = re.compile(r"[a-z][a-z0-9]*|[\u3400-\u9fff]")


def _norm(text: str) -> str:
    """Letters, digits and CJK only, lower case: "Wi-Fi" and "wifi" are one word."""
    return re.sub(r"[^a-z0-9\u3400-\u9fff]", "", text.lower())


def _own_words(key: str) -> list[str]:
    """The words of the key's own name (``pets_allowed``: pets, allowed; ``isVegan``: vegan), the shape's prefix
    left out; a CJK key is its characters after ``是否``."""
    if _CJK.search(key):
        return [key.removeprefix(_SHAPE_ZH)] if key.removeprefix(_SHAPE_ZH) else []
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key).lower()
    words = [w for w in re.split(r"[^a-z0-9]+", spaced) if w]
    if len(words) > 1 and _SHAPE_EN.match(key):
        words = words[1:]
    return words


def _shaped(key: str, listed: bool = False) -> bool:
    if _CJK.search(key):
        return key.startswith(_SHAPE_ZH_LISTED if listed else (_SHAPE_ZH,)) and len(key) > 1
    return bool(_SHAPE_EN.search(key))


def _mentions(text: str, key: str) -> bool:
    return bool(re.search(rf"(?<![\w]){re.escape(key)}(?![\w])", text))


def _named_in(key: str, text: str) -> bool:
    words = _own_words(key)
    hay = _norm(text)
    return bool(words) and all(_norm(w) in hay for w in words)


def boolean_keys(texts: list[str], keys: list[str]) -> set[str]:
    """The keys the instruction means as booleans (module doc)."""
    found = {k for k in keys if _shaped(k)}
    for text in texts:
        for m in _WHETHER.finditer(text):  # "whether pets are allowed", "是否提供住宿"
            end = _WHETHER_END.search(text, m.end())
            asked = text[m.end(): end.start() if end else len(text)]
            found |= {k for k in keys if _named_in(k, asked)}
        for m in _BOOL_FOR.finditer(text):  # "true/false for remote, full_time and visa_sponsorship"
            found |= {k for k in keys if _mentions(m.group(1), k)}
        for m in _BOOL_AFTER.finditer(text):  # the type word after a key, or after a list of keys
            starts = [s.end() for s in _LIST_START.finditer(text, 0, m.start())]
            listed = text[starts[-1] if starts else 0: m.start()]
            plural = bool(_PLURAL.search(m.group(0)))
            for k in keys:
                # the key right before it (``damaged (boolean)``, ``damaged: true/false``) is declared; the
                # list's others when the word is plural or they are named as yes-or-no fields
                if _mentions(listed, k) and (listed.endswith(k) or plural or _shaped(k, listed=True)):
                    found.add(k)
    return found


@functools.lru_cache(maxsize=256)
def polarity(text: str, cues: tuple[str, ...]) -> float:
    """What the input says of the key whose cue words are ``cues``: +coverage (yes), -coverage (no) or 0."""
    ascii_cues = [c for c in cues if not _CJK.match(c)]
    cjk_chars = {ch for c in cues if _CJK.match(c) for ch in c.removeprefix(_SHAPE_ZH)}  # 是否 asks, not names
    if not ascii_cues and not cjk_chars:
        return 0.0
    scored: list[tuple[float, bool]] = []
    at = 0
    for m in [*_CLAUSE.finditer(text), None]:
        clause = text[at: m.start() if m else len(text)]
        at = m.end() if m else len(text)
        if not clause.strip():
            continue
        hay, words = _norm(clause), set(_WORD.findall(clause.lower()))
        cover = 0.0
        if ascii_cues:
            cover = sum(1.0 if c in words or c.rstrip("s") in words or (len(c) >= 4 and c in hay) else 0.0
                        for c in ascii_cues) / len(ascii_cues)
        if cjk_chars:
            cover = max(cover, sum(ch in clause for ch in cjk_chars) / len(cjk_chars))
        scored.append((cover, bool(_NEGATION.search(clause))))
    scored.sort(key=lambda s: s[0], reverse=True)
    if not scored or scored[0][0] < 0.5:
        return 0.0
    if len(scored) > 1 and scored[1][0] == scored[0][0] and scored[1][1] != scored[0][1]:
        return 0.0  # two clauses name it as well and disagree: the model decides
    cover, negated = scored[0]
    return -cover if negated else cover
