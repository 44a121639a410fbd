"""``bash scripts/run.sh`` listens on 127.0.0.1 only, and ``--network`` opens it to every interface;
the sidebar warns when the app is reachable from the network while it holds the environment's key.

The script runs for real (its ``streamlit run``), in a copy of the project whose set-up step is
skipped (``scripts/setup.sh`` would build a ``.venv``) and whose ``.venv`` is the one running the tests.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from tests.hardening.conftest import listening_addresses
from tests.servers import ROOT, free_port, start_server, stop_process

WARNING = "anyone who can reach it can spend that key"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The project's files, linked into ``tmp_path``, with a set-up that does nothing."""
    for name in ("app.py", "views", "components", "structured_output", "presets", "local_engine",
                 "pyproject.toml"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "run.sh", tmp_path / "scripts" / "run.sh")
    (tmp_path / "scripts" / "setup.sh").write_text("#!/usr/bin/env bash\n")
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parents[1])
    return tmp_path


def _listens(project: Path, *extra: str) -> list[str]:
    port = free_port()
    proc = start_server(["bash", "scripts/run.sh", "--server.port", str(port), *extra],
                        f"http://127.0.0.1:{port}/_stcore/health", project / "run.log", what="scripts/run.sh",
                        timeout_s=90, cwd=project,
                        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(project),
                             "SOP_LOCAL_ENGINE_AUTOSTART": "0"})
    try:
        # run.sh execs streamlit, so the script's process is the server
        return sorted({addr for addr, p in listening_addresses(proc.pid) if p == port})
    finally:
        stop_process(proc)


def test_run_sh_listens_on_loopback_only(project: Path) -> None:
    assert _listens(project) == ["127.0.0.1"]


def test_run_sh_network_opens_every_interface(project: Path) -> None:
    assert _listens(project, "--network") == ["0.0.0.0"]


def _sidebar_warning() -> None:
    from components import connection

    connection.network_warning()


@pytest.fixture
def address() -> Iterator[None]:
    before = config.get_option("server.address")
    yield
    config.set_option("server.address", before)


@pytest.mark.parametrize(("listen", "key", "warned"), [
    ("0.0.0.0", "sk-env-key", True),
    (None, "sk-env-key", True),  # Streamlit's own default: every interface
    ("127.0.0.1", "sk-env-key", False),
    ("0.0.0.0", "", False),  # no key to spend
])
def test_sidebar_warns_when_open_to_the_network_with_the_environment_key(
        listen: str | None, key: str, warned: bool, address: None, monkeypatch: pytest.MonkeyPatch) -> None:
    config.set_option("server.address", listen)
    monkeypatch.setenv("DASHSCOPE_API_KEY", key)
    at = AppTest.from_function(_sidebar_warning, default_timeout=60).run()
    assert not at.exception, at.exception
    shown = [w.value for w in at.warning]
    assert any(WARNING in w for w in shown) is warned, shown
    if warned:
        assert "sk-env-key" not in " ".join(shown)  # names the variable, never its value
        assert "scripts/run.sh" in shown[0]
        assert (f"`{listen}`" if listen else "every network interface") in shown[0]  # where, as set
