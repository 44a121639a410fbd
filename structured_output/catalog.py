"""Models and endpoints as the reference documents them, loaded from ``data/catalog.json``."""

from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib.resources import files
from typing import Any, Literal

Thinking = Literal["none", "optional", "always"]
Protocol = Literal["compatible", "native"]

LOCAL_ENGINE_DEFAULT_PORT = 8311
LOCAL_ENGINE_PORT_ENV = "SOP_LOCAL_ENGINE_PORT"


Support = Literal["listed", "refused", "not_listed"]
FORM = re.compile(r"^(?:(?P<date>\d{4}-\d{2}-\d{2})|latest|preview)$")
MODE_NAMES = {"json_object": "JSON Object", "json_schema": "JSON Schema"}


@dataclass(frozen=True)
class ModeSupport:
    """What the reference says about one mode on one model: ``listed`` (it names the model or its rule
    covers it), ``refused`` (it excludes it, the snapshot predates the mode, or a closed list leaves it
    out) or ``not_listed`` (it says nothing). ``reason`` is one line for people; ``quote`` the reference's
    own words the rule rests on; ``since`` the first snapshot date of the mode on this series."""

    status: Support
    reason: str
    quote: str = ""
    since: str | None = None


@dataclass(frozen=True)
class ModelInfo:
    name: str
    series: str
    json_object: bool
    json_schema: bool
    thinking: Thinking = "none"
    vision: bool = False
    structured_in_thinking: bool = False
    note: str = ""
    known: bool = True  # False unless the reference spells the name out verbatim
    rule: str = ""  # which catalog rule resolved the name, e.g. "qwen-plus snapshot from 2025-09-11"
    condition: str = ""  # when the reference lists it for structured output, e.g. "non-thinking mode"
    json_object_support: ModeSupport | None = None
    json_schema_support: ModeSupport | None = None

    def supports(self, mode: str) -> bool:
        """Whether the reference lists this model for ``mode`` (none is always fine)."""
        if mode == "json_object":
            return self.json_object
        if mode == "json_schema":
            return self.json_schema
        return True

    def support(self, mode: str) -> ModeSupport:
        """The full answer for ``mode``: listed, refused or not listed, with the reason and the quote."""
        given = {"json_object": self.json_object_support, "json_schema": self.json_schema_support}.get(mode)
        if given is not None:
            return given
        if self.supports(mode):
            return ModeSupport("listed", f"{MODE_NAMES.get(mode, mode)} listed")
        return ModeSupport("refused", f"{MODE_NAMES.get(mode, mode)} not supported")

    @property
    def covered(self) -> bool:
        """Whether some rule of the catalog covers the name (if not, the local engine answers 404)."""
        return bool(self.rule)

    def explain(self, mode: str | None = None) -> str:
        """The matched rule and why: "qwen-plus snapshot from 2025-09-11: JSON Schema since 2025-07-28"."""
        modes = [mode] if mode in MODE_NAMES else list(MODE_NAMES)
        parts = [self.support(m).reason for m in modes]
        head = self.rule or f"{self.name}: no rule of the catalog covers this name"
        return f"{head}: {'; '.join(parts)}" if self.rule else head

    @property
    def badges(self) -> list[str]:
        out = []
        if self.json_object:
            out.append("JSON Object")
        if self.json_schema:
            out.append("JSON Schema")
        if self.vision:
            out.append("vision")
        if self.thinking != "none":
            out.append("thinking" if self.thinking == "optional" else "thinking only")
        return out


@dataclass(frozen=True)
class Endpoint:
    id: str
    label: str
    compatible_url: str
    native_url: str | None
    needs_key: bool

    def base_url(self, protocol: Protocol, port: int | None = None) -> str | None:
        url = self.compatible_url if protocol == "compatible" else self.native_url
        if url and "{port}" in url:
            url = url.replace("{port}", str(port or local_engine_port()))
        return url or None

    @property
    def protocols(self) -> list[Protocol]:
        return ["compatible", "native"] if self.native_url is not None else ["compatible"]


@dataclass(frozen=True)
class ModeRule:
    """How one rule lists one mode. Series: ``names`` are the forms spelled out ("" the base name,
    "latest", "preview", a date), ``since`` adds every snapshot dated on or after it (and -latest),
    an earlier snapshot is refused, any other form takes ``others``. Families: ``status`` for all."""

    quote: str
    names: tuple[str, ...] = ()
    since: str | None = None
    others: Support | None = None
    status: Support | None = None
    reason: str = ""


@dataclass(frozen=True)
class Variant:
    """A refinement of an open-source family by name, e.g. ``*-thinking*`` models only think."""

    pattern: str
    thinking: Thinking
    label: str


@dataclass(frozen=True)
class NameRule:
    """One rule of the catalog: a series (a base name and its forms) or an open-source family (a pattern)."""

    series: str
    thinking: Thinking
    base: str = ""
    pattern: str = ""
    vision: bool = False
    condition: str = ""
    structured_in_thinking: bool = False
    note: str = ""
    json_object: ModeRule | None = None
    json_schema: ModeRule | None = None
    variants: tuple[Variant, ...] = ()

    def form(self, name: str) -> str | None:
        """The form of ``name`` under this series ("" the base, "latest", "preview", a date), or None."""
        if not self.base:
            return None
        if name == self.base:
            return ""
        if name.startswith(self.base + "-") and FORM.match(name[len(self.base) + 1:]):
            return name[len(self.base) + 1:]
        return None


@dataclass(frozen=True)
class Catalog:
    models: tuple[ModelInfo, ...]
    series: tuple[NameRule, ...]
    families: tuple[NameRule, ...]
    endpoints: tuple[Endpoint, ...]
    local_model: str
    mode_defaults: dict[str, ModeRule] = field(default_factory=dict, hash=False, compare=False)
    thinking_quotes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict, hash=False, compare=False)

    def model(self, name: str) -> ModelInfo:
        """Resolve any name by rule: the local model, a series form (base, -latest, -preview, a dated
        snapshot), then the open-source families in order; a name no rule covers gets no capabilities."""
        name = name.strip()
        if name == self.local_model:
            listed = ModeSupport("listed", "the local engine's own model: every mode")
            return ModelInfo(name, "Local engine", True, True, "none", True, note="The local engine's own model.",
                             rule="the local engine's own model", json_object_support=listed,
                             json_schema_support=listed)
        forms = [(r, f) for r in self.series if (f := r.form(name)) is not None]
        if forms:
            rule, form = max(forms, key=lambda rf: len(rf[0].base))
            info = self._resolve(name, rule, form, self._series_label(rule, form), rule.thinking)
        else:
            info = self._family(name)
        extra = self.overrides.get(name)
        if extra is not None:
            info = replace(info, known=True, **extra)
        return info

    def _family(self, name: str) -> ModelInfo:
        lowered = name.lower()
        for rule in self.families:
            if fnmatch.fnmatchcase(lowered, rule.pattern):
                label, thinking = f"{rule.series} family ({rule.pattern})", rule.thinking
                for v in rule.variants:
                    if fnmatch.fnmatchcase(lowered, v.pattern):
                        label, thinking = f"{label}, {v.label} ({v.pattern})", v.thinking
                        break
                return self._resolve(name, rule, None, label, thinking)
        return ModelInfo(name, "Unknown", False, False, known=False,
                         note="No rule of the catalog covers this name: the structured-output reference does not "
                              "describe it.")

    @staticmethod
    def _series_label(rule: NameRule, form: str) -> str:
        if form == "":
            return f"{rule.base} ({rule.series} series)" if rule.series != rule.base else rule.base
        if form == "latest":
            return f"{rule.base}-latest (the newest {rule.base} snapshot)"
        if form == "preview":
            return f"{rule.base}-preview"
        return f"{rule.base} snapshot from {form}"

    def _resolve(self, name: str, rule: NameRule, form: str | None, label: str, thinking: Thinking) -> ModelInfo:
        support = {m: self._support(m, getattr(rule, m), rule, form) for m in MODE_NAMES}
        if thinking == "always" and not rule.structured_in_thinking:
            # The reference: models in thinking mode do not support structured output; this one only thinks.
            support = {m: ModeSupport("refused", f"no {MODE_NAMES[m]}: it only thinks, and structured output is "
                                      "not supported in thinking mode", self.thinking_quotes.get(m, ""))
                       for m in MODE_NAMES}
        return ModelInfo(name, rule.series, support["json_object"].status == "listed",
                         support["json_schema"].status == "listed", thinking, rule.vision,
                         rule.structured_in_thinking, rule.note, known=False, rule=label, condition=rule.condition,
                         json_object_support=support["json_object"], json_schema_support=support["json_schema"])

    def _support(self, mode: str, spec: ModeRule | None, rule: NameRule, form: str | None) -> ModeSupport:
        label = MODE_NAMES[mode]
        if spec is None:
            default = self.mode_defaults[mode]
            if default.status == "refused":
                return ModeSupport("refused", f"no {label}: not in the reference's {label} list", default.quote)
            return ModeSupport("not_listed", f"{label} not listed in the reference", default.quote)
        if spec.status is not None:  # a family: one answer for every member
            why = f" ({spec.reason})" if spec.reason else ""
            text = {"listed": f"{label} listed for the family", "refused": f"no {label}{why}",
                    "not_listed": f"{label} not listed in the reference{why}"}[spec.status]
            return ModeSupport(spec.status, text, spec.quote)
        assert form is not None
        if form in spec.names:
            return ModeSupport("listed", f"{label} listed by name" if spec.since is None or form else
                               f"{label} listed (snapshots since {spec.since})", spec.quote, spec.since)
        date = FORM.match(form).group("date") if FORM.match(form) else None  # type: ignore[union-attr]
        if spec.since is not None and form == "latest":
            return ModeSupport("listed", f"{label} since {spec.since} (-latest is the newest snapshot)",
                               spec.quote, spec.since)
        if spec.since is not None and date is not None:
            if date >= spec.since:
                return ModeSupport("listed", f"{label} since {spec.since}", spec.quote, spec.since)
            return ModeSupport("refused", f"no {label}: listed from {rule.base}-{spec.since} on, and this snapshot "
                               f"({date}) is earlier", spec.quote, spec.since)
        spelled = ", ".join(f"{rule.base}-{n}" if n else rule.base for n in spec.names)
        if spec.since is not None:
            spelled += f" and the snapshots from {rule.base}-{spec.since} on"
        if spec.others == "refused":  # the reference excludes the other forms in so many words
            return ModeSupport("refused", f"no {label}: {spec.reason or 'excluded by the reference'}", spec.quote,
                               spec.since)
        if self.mode_defaults[mode].status == "refused":  # a closed list: what it leaves out is not supported
            return ModeSupport("refused", f"no {label}: not in the reference's {label} list (it names {spelled})",
                               spec.quote, spec.since)
        return ModeSupport("not_listed", f"{label} not listed in the reference (it names {spelled})", spec.quote,
                           spec.since)

    def is_known(self, name: str) -> bool:
        """Whether some rule covers ``name`` (the local engine answers 404 to any other name)."""
        return self.model(name).covered

    def endpoint(self, endpoint_id: str) -> Endpoint:
        for e in self.endpoints:
            if e.id == endpoint_id:
                return e
        raise KeyError(f"unknown endpoint {endpoint_id!r}; known: {', '.join(e.id for e in self.endpoints)}")

    @property
    def model_names(self) -> list[str]:
        return [m.name for m in self.models]

    @property
    def rules(self) -> tuple[NameRule, ...]:
        return self.series + self.families


def local_engine_port() -> int:
    return int(os.environ.get(LOCAL_ENGINE_PORT_ENV, LOCAL_ENGINE_DEFAULT_PORT))


def _mode_rule(raw: dict[str, Any] | None) -> ModeRule | None:
    if raw is None:
        return None
    return ModeRule(**{**raw, "names": tuple(raw.get("names", ()))})


def _name_rule(raw: dict[str, Any]) -> NameRule:
    return NameRule(**{**raw, "json_object": _mode_rule(raw.get("json_object")),
                       "json_schema": _mode_rule(raw.get("json_schema")),
                       "variants": tuple(Variant(**v) for v in raw.get("variants", ()))})


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    raw = json.loads(files("structured_output").joinpath("data/catalog.json").read_text(encoding="utf-8"))
    overrides = {m["name"]: {k: v for k, v in m.items() if k != "name"} for m in raw["models"]}
    cat = Catalog((), tuple(_name_rule(r) for r in raw["series"]), tuple(_name_rule(r) for r in raw["families"]),
                  tuple(Endpoint(**e) for e in raw["endpoints"]), raw["local_model"],
                  {m: ModeRule(**d) for m, d in raw["mode_defaults"].items()}, dict(raw["thinking_quote"]), overrides)
    return replace(cat, models=tuple(cat.model(m["name"]) for m in raw["models"]))


def rule_table(names: list[str], catalog: Catalog | None = None) -> str:
    """A Markdown table of how each name resolves: the rule it matched and what that rule gives each
    mode (the README's name rule table is this function's output, and a test keeps it so)."""
    catalog = catalog or load_catalog()
    rows = ["| Name | Matched rule | JSON Object | JSON Schema | Thinking |", "| --- | --- | --- | --- | --- |"]
    for name in names:
        info = catalog.model(name)
        cells = [info.support(m).reason if info.covered else "–" for m in MODE_NAMES]
        thinking = {"none": "none", "optional": "switch", "always": "only"}[info.thinking]
        if info.condition and info.thinking == "optional":
            thinking += f" (listed in {info.condition})"
        rule = info.rule or "no rule (the engine answers 404)"
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in (f"`{name}`", rule, *cells, thinking)) + " |")
    return "\n".join(rows)
