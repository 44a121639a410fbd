"""Where the schema in the editor came from, and whether the prompts still belong to it.

In JSON Object and plain mode the schema is not sent; checking the answer against it is the user's
choice. A newcomer who replaces the example's prompts with their own task and keeps the example's
schema in the editor must not read "3 validation errors" as the model failing, so the default is to
validate only while the prompts are still the ones the schema came with (or the user wrote the schema
themselves). The schema name (and so the Pydantic class and zod name of exported code) follows the
schema the same way: the example's name for the example's schema, a name of its own for another.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from structured_output import jsontext

DEFAULT_NAME = "result"  # a schema with no title of its own (the name OpenAI's parse() helpers fall back to)


@dataclass(frozen=True)
class SchemaOrigin:
    """What the editor was last loaded with: ``label`` says from where ("the preset: user_info")."""

    label: str
    schema_text: str
    schema_name: str
    system_prompt: str
    user_text: str

    def schema_edited(self, schema_text: str) -> bool:
        return _norm_json(schema_text) != _norm_json(self.schema_text)

    def prompts_belong(self, system_prompt: str, user_text: str) -> bool:
        """The prompts are still the ones the schema came with (white space aside)."""
        return _norm(system_prompt) == _norm(self.system_prompt) and _norm(user_text) == _norm(self.user_text)


def validate_by_default(origin: SchemaOrigin | None, system_prompt: str, user_text: str, schema_text: str) -> bool:
    """Whether the answer is checked against the editor's schema when the mode does not send it."""
    if not schema_text.strip():
        return False
    if origin is None or origin.schema_edited(schema_text):
        return True  # a schema the user wrote or pasted is theirs: they mean it
    return origin.prompts_belong(system_prompt, user_text)


def describe(origin: SchemaOrigin | None, system_prompt: str, user_text: str, schema_text: str) -> str:
    """Where the schema comes from, in words, for the line beside the choice."""
    if not schema_text.strip():
        return "The editor has no schema."
    if origin is None or origin.schema_edited(schema_text):
        return "The schema is yours (edited in the editor)."
    if origin.prompts_belong(system_prompt, user_text):
        return f"The schema is from {origin.label}, with its prompts."
    return (f"The schema is from {origin.label}, but the prompts are no longer that example's: checking your "
            "task's answer against it would report errors that are not the model's.")


def name_for(schema_text: str) -> str:
    """A schema name for a schema of the user's: its ``title`` in snake case, else ``result``."""
    try:
        schema: Any = jsontext.loads(schema_text)
    except jsontext.JSONTextError:
        return DEFAULT_NAME
    title = schema.get("title") if isinstance(schema, dict) else None
    if not isinstance(title, str):
        return DEFAULT_NAME
    words = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", title)
    name = "_".join(w.lower() for w in words)[:64]
    return name or DEFAULT_NAME


def followed_name(origin: SchemaOrigin | None, schema_text: str, schema_name: str, last_followed: str = "") -> str:
    """The schema name for the editor's schema: one the user typed is kept; otherwise the origin's name
    for the origin's schema, and the schema's own (``name_for``) for any other. ``last_followed`` is the
    name this function gave last, so it is not mistaken for one the user typed."""
    if origin is None:
        return schema_name
    if schema_name not in ("", DEFAULT_NAME, origin.schema_name, last_followed):
        return schema_name
    return name_for(schema_text) if origin.schema_edited(schema_text) else origin.schema_name


def _norm(text: str) -> str:
    return " ".join(text.split())


def _norm_json(text: str) -> str:
    try:
        return json.dumps(jsontext.loads(text), sort_keys=True)
    except jsontext.JSONTextError:
        return _norm(text)
