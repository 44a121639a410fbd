"""Runs and the editors kept on disk, so a page reload or an app restart loses nothing: one SQLite file
in the user's data folder (``SOP_HISTORY_DB``, else ``$XDG_DATA_HOME`` or ``~/.local/share`` +
``structured-output-playground/playground.sqlite3``).

What is stored is data only (JSON text, never pickles): the request (which has no key field) and the
result after ``scrub_secret``. The schema is migrated by ``PRAGMA user_version``: each entry of
``MIGRATIONS`` brings the file one version up, so an older file is upgraded in place and a newer one
(from a later version of the app) is refused with a clear message rather than misread.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from structured_output.errors import CallError
from structured_output.request import Request
from structured_output.result import EngineNotes, ParseOutcome, RunResult, Usage, ValidationOutcome, ValidationRow

DB_ENV = "SOP_HISTORY_DB"
REDACTED_URL = "[a custom URL with credentials, not kept]"
APP_DIR_NAME = "structured-output-playground"
MIGRATIONS: tuple[str, ...] = (
    # 1: runs (request and result as JSON) and named drafts (the editors' last state)
    """CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, request TEXT NOT NULL,
                          result TEXT NOT NULL);
       CREATE TABLE drafts (name TEXT PRIMARY KEY, value TEXT NOT NULL, at TEXT NOT NULL);""",
)


class StoreError(Exception):
    """The history file cannot be used (not SQLite, from a newer app, not writable): said in words."""


def default_path() -> Path:
    override = os.environ.get(DB_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_DATA_HOME", "").strip() or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / APP_DIR_NAME / "playground.sqlite3"


class RunStore:
    """The file, opened per call (Streamlit runs each session in its own thread; SQLite serialises writers)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._lock = threading.Lock()
        self._migrated = False

    def __getstate__(self) -> dict[str, Any]:
        """Picklable (a session's history may be pickled, as the security test does): the lock is not
        state, the path is."""
        return {"path": self.path, "_migrated": self._migrated}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path, self._migrated = state["path"], state["_migrated"]
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=10)
        except (OSError, sqlite3.Error) as e:
            raise StoreError(f"The history file {self.path} cannot be opened: {e}. Set {DB_ENV} to a writable "
                             "path.") from None
        if not self._migrated:
            with self._lock:
                self._migrate(con)
                self._migrated = True
        return con

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One transaction on a connection of its own, closed after."""
        con = self._connect()
        try:
            with con:
                yield con
        except sqlite3.Error as e:
            raise StoreError(f"The history file {self.path} could not be read or written: {e}.") from None
        finally:
            con.close()

    def _migrate(self, con: sqlite3.Connection) -> None:
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as e:
            con.close()
            raise StoreError(f"The history file {self.path} is not a SQLite database ({e}). Move it away or set "
                             f"{DB_ENV} to another path.") from None
        if version > len(MIGRATIONS):
            con.close()
            raise StoreError(f"The history file {self.path} was written by a newer version of the playground "
                             f"(schema {version}, this one knows up to {len(MIGRATIONS)}).")
        for n in range(version, len(MIGRATIONS)):
            con.executescript(f"BEGIN; {MIGRATIONS[n]} PRAGMA user_version = {n + 1}; COMMIT;")

    # ------------------------------------------------------------ runs

    def add_run(self, at: datetime, request: Request, result: RunResult) -> int:
        req_text, res_text = json.dumps(request.to_dict()), json.dumps(result_to_dict(result))
        secret = url_secret(request.custom_base_url)
        if secret:  # a custom URL carrying a password or a query (where keys travel) never reaches the file
            req_text, res_text = req_text.replace(secret, REDACTED_URL), res_text.replace(secret, REDACTED_URL)
        with self._tx() as con:
            cur = con.execute("INSERT INTO runs (at, request, result) VALUES (?, ?, ?)",
                              (at.isoformat(), req_text, res_text))
            return int(cur.lastrowid or 0)

    def runs(self, limit: int) -> list[tuple[int, datetime, Request, RunResult]]:
        """The newest ``limit`` runs, newest first; a row that no longer reads is skipped, not fatal."""
        with self._tx() as con:
            rows = con.execute("SELECT id, at, request, result FROM runs ORDER BY id DESC LIMIT ?",
                               (limit,)).fetchall()
        out = []
        for rid, at, req, res in rows:
            try:
                out.append((rid, datetime.fromisoformat(at), Request.from_dict(json.loads(req)),
                            result_from_dict(json.loads(res))))
            except (ValueError, TypeError, KeyError):
                continue
        return out

    def trim(self, keep: int) -> None:
        with self._tx() as con:
            con.execute("DELETE FROM runs WHERE id NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?)", (keep,))

    def clear_runs(self) -> None:
        with self._tx() as con:
            con.execute("DELETE FROM runs")

    # ------------------------------------------------------------ drafts

    def save_draft(self, name: str, value: dict[str, Any]) -> None:
        text = json.dumps(value)
        request = value.get("request")
        secret = url_secret(request.get("custom_base_url", "")) if isinstance(request, dict) else ""
        if secret:
            text = text.replace(secret, REDACTED_URL)
        with self._tx() as con:
            con.execute("INSERT INTO drafts (name, value, at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE "
                        "SET value = excluded.value, at = excluded.at",
                        (name, text, datetime.now().isoformat()))

    def draft(self, name: str) -> dict[str, Any] | None:
        with self._tx() as con:
            row = con.execute("SELECT value FROM drafts WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        try:
            value = json.loads(row[0])
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def clear_drafts(self) -> None:
        with self._tx() as con:
            con.execute("DELETE FROM drafts")


def url_secret(url: str) -> str:
    """The part of a custom base URL that is a credential (what ``servers.rememberable`` refuses to keep):
    the whole URL when it has a user name, a password, a query or a fragment; else empty."""
    from structured_output.servers import rememberable  # here: servers reaches runs.history itself

    url = (url or "").strip()
    if not url or rememberable(url) is not None:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return url if (parts.username or parts.password or parts.query or parts.fragment) else ""


# ---------------------------------------------------------------- RunResult ⇄ JSON

def result_to_dict(r: RunResult) -> dict[str, Any]:
    d = {k: v for k, v in asdict(r).items() if k != "error"}
    if r.error is not None:
        e = r.error
        d["error"] = {"kind": e.kind, "message": e.message, "hint": e.hint, "status": e.status, "code": e.code,
                      "request_id": e.request_id, "retries": e.retries}
    return d


def result_from_dict(d: dict[str, Any]) -> RunResult:
    d = dict(d)
    err = d.pop("error", None)
    parse = d.pop("parse", None)
    validation = d.pop("validation", None)
    usage = d.pop("usage", None) or {}
    engine = d.pop("engine", None) or {}
    known = {k: v for k, v in d.items() if k in RunResult.__dataclass_fields__}
    r = RunResult(**known)
    r.usage = Usage(**usage)
    r.engine = EngineNotes(**engine)
    if err is not None:
        r.error = CallError(**err)
    if parse is not None:
        r.parse = ParseOutcome(**parse)
    if validation is not None:
        rows = [ValidationRow(**row) for row in validation.pop("errors", [])]
        r.validation = ValidationOutcome(errors=rows, **validation)
    return r
