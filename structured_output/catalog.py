"""Models and endpoints as the reference documents them, loaded from ``data/catalog.json``."""

from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Literal

Thinking = Literal["none", "optional", "always"]
Protocol = Literal["compatible", "native"]

LOCAL_ENGINE_DEFAULT_PORT = 8311
LOCAL_ENGINE_PORT_ENV = "SOP_LOCAL_ENGINE_PORT"


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
    known: bool = True  # False when matched only by a family pattern or not at all

    def supports(self, mode: str) -> bool:
        """Whether the reference lists this model for ``mode`` (none is always fine)."""
        if mode == "json_object":
            return self.json_object
        if mode == "json_schema":
            return self.json_schema
        return True

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
class Catalog:
    models: tuple[ModelInfo, ...]
    patterns: tuple[tuple[str, ModelInfo], ...]
    endpoints: tuple[Endpoint, ...]
    local_model: str

    def model(self, name: str) -> ModelInfo:
        """Look a model up by exact name, then by family pattern; unknown names get no capabilities."""
        name = name.strip()
        for m in self.models:
            if m.name == name:
                return m
        if name == self.local_model:
            return ModelInfo(name, "Local engine", True, True, "none", True, note="The local engine's own model.")
        for pattern, info in self.patterns:
            if fnmatch.fnmatch(name.lower(), pattern):
                return ModelInfo(name, info.series, info.json_object, info.json_schema, info.thinking,
                                 info.vision, info.structured_in_thinking, info.note, known=False)
        return ModelInfo(name, "Unknown", False, False, known=False,
                         note="This model is not named in the structured-output reference.")

    def is_known(self, name: str) -> bool:
        return name == self.local_model or any(m.name == name for m in self.models) or any(
            fnmatch.fnmatch(name.lower(), p) for p, _ in self.patterns)

    def endpoint(self, endpoint_id: str) -> Endpoint:
        for e in self.endpoints:
            if e.id == endpoint_id:
                return e
        raise KeyError(f"unknown endpoint {endpoint_id!r}; known: {', '.join(e.id for e in self.endpoints)}")

    @property
    def model_names(self) -> list[str]:
        return [m.name for m in self.models]


def local_engine_port() -> int:
    return int(os.environ.get(LOCAL_ENGINE_PORT_ENV, LOCAL_ENGINE_DEFAULT_PORT))


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    raw = json.loads(files("structured_output").joinpath("data/catalog.json").read_text(encoding="utf-8"))
    models = tuple(ModelInfo(**m) for m in raw["models"])
    patterns = tuple((p.pop("pattern"), ModelInfo(name="", **p)) for p in (dict(x) for x in raw["patterns"]))
    endpoints = tuple(Endpoint(**e) for e in raw["endpoints"])
    return Catalog(models, patterns, endpoints, raw["local_model"])
