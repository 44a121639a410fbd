"""Hardening figures: runs the hardening suite (``tests/hardening``) and prints what it measured.

- requests held: bursts of 50 at once against the local engine (accepted, refused with 429,
  completed with valid output, the engine's RSS before and after), the app's own client under the
  same pressure with and without retries, five browser sessions at once;
- faults survived: every injected failure (refused, DNS, timeout, 401, 429, 5xx, not JSON, wrong
  shape, stream cut, engine killed, hostile output) with whether the message was clear, the app usable
  afterwards, and the user's input intact;
- bad inputs tried: each malformed input and the specific answer it got (schemathesis included);
- that nothing was lost.

    .venv/bin/python bench/hardening.py                  # the whole suite (about 10 minutes), then figures
    .venv/bin/python bench/hardening.py -m "not browser" # extra arguments go to pytest
    .venv/bin/python bench/hardening.py --last           # print the figures of the last run only

Set ``SOP_TEST_ENGINE_URL`` to reuse a running engine for the shared one (the suite still starts its
own private engine, which it loads, floods and kills).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hardening.figures import FIGURES_PATH, Figures, report  # noqa: E402


def main(argv: list[str]) -> int:
    if argv[:1] == ["--last"]:
        if not FIGURES_PATH.exists():
            print(f"no figures yet: {FIGURES_PATH} does not exist; run without --last")
            return 1
        print(report(Figures.from_json(FIGURES_PATH.read_text(encoding="utf-8"))))
        return 0
    started = time.time()
    cmd = [sys.executable, "-m", "pytest", "tests/hardening", "-q", "-p", "no:cacheprovider", *argv]
    print("$", " ".join(cmd), flush=True)
    code = subprocess.call(cmd, cwd=ROOT)
    took = time.time() - started
    if not FIGURES_PATH.exists() or FIGURES_PATH.stat().st_mtime < started:
        print("the suite recorded no figures")
        return code or 1
    print()
    print(f"==== hardening figures ({took / 60:.1f} min, pytest exit code {code}) ====")
    print(report(Figures.from_json(FIGURES_PATH.read_text(encoding="utf-8"))))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
