"""Every keyword a JSON Schema uses, and what each target does with it.

The rules are data (``data/keywords.json``): per target (DashScope as the reference documents it,
OpenAI's strict mode, the local engine as llguidance enforces it, and the custom servers of
``data/servers.json`` where their own docs say) and per keyword, whether it is
enforced while decoding, enforced in part, only checked afterwards by validation, refused, an
annotation, or not documented, each with its source. A new target is one more entry there.

The local engine also says, per answer, what it did not enforce (``unenforced_keywords`` in the
response, see ``local_engine/enforcement.py``); ``unenforced_in`` reads that list from a stored
response of either protocol, streamed or not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

import pandas as pd

from structured_output.result import ValidationOutcome
from structured_output.schema_walk import pointer, walk

# The local engine's wire names (local_engine/enforcement.py defines them; a test keeps the two equal).
UNENFORCED_FIELD = "unenforced_keywords"
ENFORCEMENT_PARAM = "keyword_enforcement"
UNKNOWN_GROUP = "not a JSON Schema keyword"
MAX_PLACES = 3  # pointers shown per keyword in the table ("and 4 more" after them)


@dataclass(frozen=True)
class Rule:
    """What one target does with one keyword, and where that is written."""

    status: str  # a key of KeywordRules.statuses
    note: str
    source: str


@dataclass(frozen=True)
class Target:
    id: str
    label: str
    endpoints: tuple[str, ...]  # catalog endpoint ids this target's rules describe
    default: Rule  # for keywords the rules do not name
    rules: dict[str, Rule]
    server: str = ""  # the known custom server (data/servers.json id) whose docs these rules follow

    def rule(self, keyword: str) -> Rule:
        return self.rules.get(keyword, self.default)


@dataclass(frozen=True)
class KeywordRules:
    statuses: dict[str, str]  # status key → the words shown
    short: dict[str, str]  # status key → the words in the table's cells
    groups: dict[str, str]  # keyword → what it applies to (any, object, array, string, ...)
    targets: tuple[Target, ...]

    def target_for(self, endpoint: str, server: str = "") -> Target | None:
        """The target describing ``endpoint``; on a custom URL whose server is picked, that server's."""
        if endpoint == "custom" and server:
            picked = next((t for t in self.targets if t.server == server), None)
            if picked is not None:
                return picked
        return next((t for t in self.targets if endpoint in t.endpoints), None)

    def shown(self, endpoint: str, server: str = "") -> tuple[Target, ...]:
        """The table's columns: the endpoint targets, and the picked custom server's target before them
        (the servers are many; only the one in use gets a column, first, where it is seen without
        scrolling the table sideways)."""
        picked = self.target_for(endpoint, server)
        first = (picked,) if picked is not None and picked.server else ()
        return first + tuple(t for t in self.targets if not t.server)


@dataclass(frozen=True)
class UnenforcedKeyword:
    """One keyword the local engine did not enforce while decoding an answer."""

    keyword: str
    path: str  # JSON pointer to the subschema holding it ("" is the root)
    reason: str = ""

    def place(self) -> str:
        return f"{self.keyword} at {self.path or '/ (the root)'}"


@lru_cache(maxsize=1)
def load_rules() -> KeywordRules:
    data = json.loads(files("structured_output").joinpath("data/keywords.json").read_text(encoding="utf-8"))
    statuses: dict[str, str] = data["statuses"]
    targets: list[Target] = []
    for t in data["targets"]:
        rules: dict[str, Rule] = {}
        for r in t["rules"]:
            if r["status"] not in statuses:
                raise ValueError(f"keywords.json: target {t['id']!r} uses an unknown status {r['status']!r}")
            for keyword in r["keywords"]:
                if keyword in rules:
                    raise ValueError(f"keywords.json: target {t['id']!r} has two rules for {keyword!r}")
                rules[keyword] = Rule(r["status"], r["note"], r["source"])
        targets.append(Target(t["id"], t["label"], tuple(t["endpoints"]), Rule(**t["default"]), rules,
                              t.get("server", "")))
    short: dict[str, str] = data["short_statuses"]
    if set(short) != set(statuses):
        raise ValueError("keywords.json: short_statuses must name exactly the statuses")
    return KeywordRules(statuses, short, dict(data["keywords"]), tuple(targets))


def keyword_uses(schema: Any) -> dict[str, list[str]]:
    """Keyword → the JSON pointers of the subschemas that use it, in document order. Only schema
    positions count: a property called ``format`` is not the ``format`` keyword."""
    uses: dict[str, list[str]] = {}
    for parts, node in walk(schema):
        for key in node:
            uses.setdefault(key, []).append(pointer(parts))
    return uses


def _places(paths: list[str]) -> str:
    shown = ", ".join(p or "/" for p in paths[:MAX_PLACES])
    return shown + (f" and {len(paths) - MAX_PLACES} more" if len(paths) > MAX_PLACES else "")


def keyword_table(schema: Any, rules: KeywordRules | None = None,
                  targets: tuple[Target, ...] | None = None) -> pd.DataFrame:
    """One row per keyword the schema uses: where, and one column per target with what it does (in
    the short words of ``short_statuses``; ``keyword_details`` has the full words, notes and sources).

    ``df.attrs["targets"]`` maps each target column to its target id.
    """
    rules = rules or load_rules()
    targets = rules.targets if targets is None else targets
    rows = []
    for keyword, paths in keyword_uses(schema).items():
        row: dict[str, str] = {"keyword": keyword, "applies to": rules.groups.get(keyword, UNKNOWN_GROUP),
                               "used at": _places(paths)}
        for t in targets:
            row[t.label] = rules.short[t.rule(keyword).status]
        rows.append(row)
    columns = ["keyword", "applies to", "used at", *(t.label for t in targets)]
    df = pd.DataFrame(rows, columns=columns)
    df.attrs["targets"] = {t.label: t.id for t in targets}
    return df


def legend(rules: KeywordRules | None = None) -> str:
    """What the table's short words stand for: ``✓ decoding = enforced while decoding · ...``"""
    rules = rules or load_rules()
    return " · ".join(f"{rules.short[k]} = {words}" for k, words in rules.statuses.items())


def keyword_details(schema: Any, rules: KeywordRules | None = None,
                    targets: tuple[Target, ...] | None = None) -> pd.DataFrame:
    """The same keywords in long form: one row per keyword and target, with the note and its source."""
    rules = rules or load_rules()
    targets = rules.targets if targets is None else targets
    rows = [{"keyword": keyword, "target": t.label, "status": rules.statuses[t.rule(keyword).status],
             "note": t.rule(keyword).note, "source": t.rule(keyword).source}
            for keyword in keyword_uses(schema) for t in targets]
    return pd.DataFrame(rows, columns=["keyword", "target", "status", "note", "source"])


def unenforced_in(raw: Any) -> list[UnenforcedKeyword] | None:
    """The local engine's list of keywords it did not enforce, from a stored response: a compatible body
    (top level), a native body (in ``output``), or a list of stream chunks (the one that carries it).
    None when the response has no such list (another server, or not JSON Schema mode)."""
    bodies = raw if isinstance(raw, list) else [raw]
    for body in reversed(bodies):
        if not isinstance(body, dict):
            continue
        output = body.get("output")
        found = body.get(UNENFORCED_FIELD)
        if found is None and isinstance(output, dict):
            found = output.get(UNENFORCED_FIELD)
        if isinstance(found, list):
            return [UnenforcedKeyword(str(i.get("keyword", "?")), str(i.get("path", "")), str(i.get("reason", "")))
                    for i in found if isinstance(i, dict)]
    return None


def unenforced_line(items: list[UnenforcedKeyword]) -> str:
    """``not enforced while decoding: uniqueItems at /properties/tags; not at /``"""
    return "not enforced while decoding: " + "; ".join(i.place() for i in items)


def satisfied(item: UnenforcedKeyword, validation: ValidationOutcome | None) -> bool | None:
    """Whether the answer happened to satisfy a keyword that was not enforced, as validation afterwards
    found: False when an error of that keyword comes from its place (or from behind a ``$ref``, whose
    errors carry the path through the reference); None when nothing was validated."""
    if validation is None or not validation.checked:
        return None
    for row in validation.errors:
        if row.keyword != item.keyword:
            continue
        where = "/" + row.schema_path if row.schema_path != "(root)" else ""
        if where == f"{item.path}/{item.keyword}" or "$ref" in row.schema_path:
            return False
    return True


def attention(schema: Any, target: Target, rules: KeywordRules | None = None) -> dict[str, list[str]]:
    """For one target, the keywords of ``schema`` worth a word before sending, by status words: refused,
    not enforced while decoding, enforced in part, not documented."""
    rules = rules or load_rules()
    out: dict[str, list[str]] = {}
    for status in ("refused", "validation", "partial", "undocumented"):
        names = [k for k in keyword_uses(schema) if target.rule(k).status == status]
        if names:
            out[rules.statuses[status]] = names
    return out
