"""The Node.js packages the exported and the reference's Node.js code need, installed once into
``tests/.node`` (git-ignored) with ``npm install``. Every test that runs Node.js code asks here, so the
first one installs them whatever order the tests run in; without node/npm (or offline) it skips, saying why."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parent / ".node"
NODE_PACKAGES = ["openai@^6", "zod@^4"]  # openai 6 accepts zod 3.25+ or 4 for zodResponseFormat


@cache
def _install() -> str:
    """'' when the packages are there, else why they could not be installed."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm are not installed, so the Node.js code cannot be run"
    if (NODE_DIR / "node_modules" / "openai").is_dir() and (NODE_DIR / "node_modules" / "zod").is_dir():
        return ""
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    pkg = NODE_DIR / "package.json"
    if not pkg.exists():
        pkg.write_text(json.dumps({"private": True, "type": "module"}) + "\n")
    r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", *NODE_PACKAGES], cwd=NODE_DIR,
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        return f"npm install {' '.join(NODE_PACKAGES)} failed (offline?): {r.stderr.strip()[-300:]}"
    return ""


def node_modules() -> Path:
    """``tests/.node`` with openai and zod installed; skips the calling test when that is not possible."""
    why = _install()
    if why:
        pytest.skip(why)
    return NODE_DIR
