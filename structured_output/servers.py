"""Custom OpenAI-compatible servers: what the known ones document (``data/servers.json``), the models
a server lists (``GET /v1/models`` through the openai SDK), and the recently used base URLs.

Recent URLs are kept in the session and, across restarts, in a small JSON file in the user's data
folder (beside the user presets). A URL is only ever stored without credentials: one that carries
a user name, a password or a query string (where keys travel) is not remembered at all."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx
import openai

from structured_output.errors import CallError
from structured_output.runs.history import REDACTED
from structured_output.wire.common import connection_error, from_status, timeout_error
from structured_output.wire.compatible import tls_context

Support = Literal["yes", "no", "undocumented"]
RECENT_URLS_FILE_ENV = "SOP_RECENT_URLS_FILE"
APP_DIR_NAME = "structured-output-playground"
MAX_RECENT = 8
MODELS_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class KnownServer:
    """One server's documented support, with the pages that say so."""

    id: str
    label: str
    default_port: int
    base_url_example: str
    run: str
    json_object: Support
    json_schema: Support
    logprobs: Support
    note: str
    sources: tuple[str, ...]
    observed: str = ""

    def supports(self, feature: str) -> Support:
        return {"json_object": self.json_object, "json_schema": self.json_schema, "logprobs": self.logprobs}[feature]


@lru_cache(maxsize=1)
def known_servers() -> tuple[KnownServer, ...]:
    raw = json.loads(files("structured_output").joinpath("data/servers.json").read_text(encoding="utf-8"))
    return tuple(KnownServer(**{**s, "sources": tuple(s["sources"])}) for s in raw["servers"])


def known_server(server_id: str) -> KnownServer | None:
    return next((s for s in known_servers() if s.id == server_id), None)


def guess_server(base_url: str) -> KnownServer | None:
    """The known server whose default port the URL uses, when exactly one has it (8000 is both vLLM's
    and llama-cpp-python's, so it guesses nothing); the user can always pick another."""
    try:
        port = urlsplit(base_url.strip()).port
    except ValueError:
        return None
    matches = [s for s in known_servers() if s.default_port == port]
    return matches[0] if len(matches) == 1 else None


# ---------------------------------------------------------------- models

@dataclass
class ModelList:
    """What ``GET /v1/models`` answered: the model ids, or the error in plain words."""

    ids: list[str] = field(default_factory=list)
    error: CallError | None = None


def list_models(base_url: str, api_key: str | None = None, timeout: float = MODELS_TIMEOUT_S) -> ModelList:
    """The models the server lists, through the openai SDK's ``client.models.list()``; never raises.

    A server that quotes the key back in its error has it replaced by ``[redacted key]``: the error is shown."""
    listed = _list_models(base_url, api_key, timeout)
    key = (api_key or "").strip()
    if listed.error is not None and len(key) >= 4:
        err = listed.error
        err.message, err.hint = err.message.replace(key, REDACTED), err.hint.replace(key, REDACTED)
        err.code = err.code.replace(key, REDACTED) if err.code else err.code
        err.__context__ = err.__cause__ = err.__traceback__ = None
    return listed


def _list_models(base_url: str, api_key: str | None, timeout: float) -> ModelList:
    base = base_url.strip().rstrip("/")
    client = openai.OpenAI(api_key=(api_key or "").strip() or "EMPTY", base_url=base, timeout=timeout, max_retries=0,
                           http_client=httpx.Client(timeout=timeout, verify=tls_context()))
    try:
        ids = [m.id for m in client.models.list()]
        return ModelList(ids=sorted(dict.fromkeys(i for i in ids if i)))
    except openai.APIStatusError as e:
        body = e.body if isinstance(e.body, dict) else {}
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        err = from_status(e.status_code, (inner or {}).get("code"), str((inner or {}).get("message") or e.message),
                          None)
        if e.status_code == 404:
            err.hint = ("This server has no GET /models under that base URL: check the URL ends where the API "
                        "begins (usually …/v1). You can still type the model name.")
        return ModelList(error=err)
    except openai.APITimeoutError:
        return ModelList(error=timeout_error(base, timeout))
    except openai.APIConnectionError as e:
        return ModelList(error=connection_error("custom", base, e.__cause__ or e))
    except (openai.APIError, ValueError, TypeError, AttributeError) as e:
        return ModelList(error=CallError("bad_response", f"The models list could not be read ({type(e).__name__}).",
                                         "Check the base URL points at an OpenAI-compatible API."))
    finally:
        client.close()


# ---------------------------------------------------------------- recent URLs

def rememberable(url: str) -> str | None:
    """``url`` as it may be stored (no trailing slash), or None when it carries credentials or is not http(s)."""
    url = url.strip().rstrip("/")
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.username or parts.password or parts.query or parts.fragment:
        return None
    return url


def recent_urls_file() -> Path:
    """``SOP_RECENT_URLS_FILE``, else ``$XDG_DATA_HOME`` (default ``~/.local/share``) +
    ``structured-output-playground/recent_urls.json``."""
    override = os.environ.get(RECENT_URLS_FILE_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_DATA_HOME", "").strip() or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / APP_DIR_NAME / "recent_urls.json"


def load_recent_urls(path: Path | None = None) -> list[str]:
    """The remembered URLs, newest first; a missing or unreadable file is an empty list (it is a convenience)."""
    path = path or recent_urls_file()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    urls = raw.get("urls") if isinstance(raw, dict) else None
    if not isinstance(urls, list):
        return []
    return [u for u in (rememberable(x) for x in urls if isinstance(x, str)) if u][:MAX_RECENT]


def remember_url(url: str, recent: list[str], path: Path | None = None) -> list[str]:
    """``recent`` with ``url`` first (when it may be stored), also written to the file; returns the new list.

    A write that fails (read-only home) keeps the session's list: the file only carries it across restarts."""
    clean = rememberable(url)
    if clean is None:
        return list(recent)
    updated = [clean, *[u for u in recent if u != clean]][:MAX_RECENT]
    path = path or recent_urls_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as f:
            json.dump({"urls": updated}, f, indent=2)
        os.replace(f.name, path)
    except OSError:
        pass
    return updated
