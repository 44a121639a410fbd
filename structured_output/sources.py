"""Where each lint rule comes from (``data/lint_sources.json``): a section of the structured-output
reference with its own words, another provider's rules (OpenAI's strict mode), the JSON Schema
specification, or the playground's own needs. Findings carry it so the user can tell a lesson of the
reference from a rule of some other target."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Literal
from urllib.parse import urlparse

Provider = Literal["reference", "openai", "json_schema", "playground"]
PROVIDER_LABELS: dict[str, str] = {
    "reference": "The reference",
    "openai": "OpenAI's rules, not the reference",
    "json_schema": "JSON Schema specification",
    "playground": "The playground",
}


@dataclass(frozen=True)
class RuleSource:
    """One lint rule's origin: ``section`` is a heading path of the reference for ``reference`` rules."""

    provider: Provider
    section: str
    quote: str = ""

    @property
    def label(self) -> str:
        """``The reference › Configuration guide › Supported data types``, ``OpenAI's rules, not the reference: …``."""
        sep = " › " if self.provider == "reference" else ": "
        return f"{PROVIDER_LABELS[self.provider]}{sep}{self.section}"


@dataclass(frozen=True)
class Sources:
    rules: dict[str, RuleSource]
    openai_strict_hosts: tuple[str, ...]

    def of(self, code: str) -> RuleSource:
        """The source of finding ``code`` (every code has one; a test checks)."""
        return self.rules[code]

    def demands_openai_strict(self, endpoint: str, base_url: str) -> bool:
        """Whether the target is OpenAI itself (a custom URL on one of its hosts), whose strict mode demands
        every property in ``required``; DashScope and other OpenAI-compatible servers do not."""
        if endpoint != "custom":
            return False
        host = (urlparse(base_url.strip()).hostname or "").lower()
        return any(host == h or (h.startswith(".") and host.endswith(h)) for h in self.openai_strict_hosts)


@lru_cache(maxsize=1)
def load_sources() -> Sources:
    raw = json.loads(files("structured_output").joinpath("data/lint_sources.json").read_text(encoding="utf-8"))
    return Sources({code: RuleSource(**r) for code, r in raw["rules"].items()}, tuple(raw["openai_strict_hosts"]))
