"""Offline answer quality: run bench/quality_cases.json through the playground's own code path
(clients.run → local engine) in JSON Object and JSON Schema mode, and print the share of expected
values reproduced, per mode and per example family, and whether every schema output validated.

    .venv/bin/python bench/quality.py [--url http://127.0.0.1:PORT] [--family people] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._engine import running_engine  # noqa: E402
from structured_output import clients  # noqa: E402
from structured_output.catalog import load_catalog  # noqa: E402
from structured_output.request import ImageInput, Request  # noqa: E402

CASES = Path(__file__).with_name("quality_cases.json")
ASSETS = ROOT / "presets" / "assets"


def norm_key(k: str) -> str:
    return re.sub(r"[\s_\-]", "", k.lower())


def find_values(value: Any, key: str) -> list[Any]:
    """Every value stored under ``key`` (compared loosely) anywhere in ``value``."""
    found: list[Any] = []
    stack = [value]
    while stack:
        node = stack.pop(0)
        if isinstance(node, dict):
            for k, v in node.items():
                if norm_key(str(k)) == norm_key(key):
                    found.append(v)
                stack.append(v)
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _number(x: Any) -> float | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, int | float):
        return float(x)
    m = re.fullmatch(r"\s*[^\d\-]{0,3}\s*(-?[\d,]*\.?\d+)\s*\D{0,12}\s*", str(x))
    if m:
        try:
            return float(m.group(1).replace(",", ""))
        except ValueError:
            return None
    return None


def matches(expected: Any, actual: Any) -> bool:
    """Loose enough for formatting ("8.00" vs 8, "34 years old" vs 34), strict enough that a whole
    sentence in a name field or a copied few-shot example does not count."""
    if actual is None or isinstance(actual, dict | list):
        return False
    e_num, a_num = _number(expected), _number(actual)
    if e_num is not None and a_num is not None:
        return abs(e_num - a_num) < 1e-6
    e, a = str(expected).strip().lower(), str(actual).strip().lower()
    if not a:
        return False
    return e == a or (e in a and len(a) <= len(e) + 15)


def score(expected: dict[str, Any], value: Any) -> tuple[int, int]:
    """Expected values found under their key; a list under the key counts by its items ("hobby": [...])."""
    def candidates(k: str) -> list[Any]:
        found = find_values(value, k)
        return found + [item for v in found if isinstance(v, list) for item in v]
    hits = sum(any(matches(v, a) for a in candidates(k)) for k, v in expected.items())
    return hits, len(expected)


def request_for(case: dict[str, Any], mode: str) -> Request:
    images = []
    m = re.fullmatch(r"\[image: (.+)\]", case["user"])
    if m:
        path = ASSETS / m.group(1)
        images = [ImageInput("image/png", path.read_bytes(), name=path.name)]
    return Request(model=case["model"], endpoint="local", mode=mode, system_prompt=case["system"],
                   user_text="" if images else case["user"], images=images, schema_name="extract",
                   schema_text=json.dumps(case["schema"]) if mode == "json_schema" else "")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default=os.environ.get("SOP_ENGINE_URL"))
    ap.add_argument("--family")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--modes", default="json_object,json_schema")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    if args.family:
        cases = [c for c in cases if c["family"] == args.family]
    if args.limit:
        cases = cases[: args.limit]
    modes = args.modes.split(",")

    with running_engine(args.url) as url:
        os.environ["SOP_LOCAL_ENGINE_PORT"] = str(urlparse(url).port)
        tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        invalid, finished, started = 0, 0, time.perf_counter()
        for case in cases:
            if case["user"].startswith("[image:") and not (ASSETS / case["user"][8:-1]).exists():
                print(f"skip {case['id']}: missing asset {case['user']}")
                continue
            group = "reference" if case["source"].startswith("reference") else "own"
            for mode in modes:
                if not load_catalog().model(case["model"]).supports(mode):
                    continue  # e.g. the reference's image example: qwen3-vl-plus has no JSON Schema mode
                req = request_for(case, mode)
                if mode == "json_object" and "json" not in (req.system_prompt + req.user_text).lower():
                    req = replace(req, system_prompt=req.system_prompt + " Return JSON.")
                result = clients.run(req)
                hits, total = score(case["expected"], result.parse.value if result.parse and result.parse.ok
                                    else None)
                for key in ((group, mode), (f"family:{case['family']}", mode), (f"lang:{case['lang']}", mode),
                            ("all", mode)):
                    tally[key][0] += hits
                    tally[key][1] += total
                if mode == "json_schema" and result.finish_reason == "stop":
                    finished += 1
                    invalid += not (result.validation and result.validation.valid)
                if args.verbose or result.error:
                    shown = result.error or (result.content or "")[:160]
                    print(f"  {case['id']:12} {mode:11} {hits}/{total}  {shown}")
        elapsed = time.perf_counter() - started

    print(f"\nExpected values reproduced ({len(cases)} cases, {elapsed:.0f} s):")
    print(f"{'group':22} " + " ".join(f"{m:>16}" for m in modes))
    for group in sorted({g for g, _ in tally}, key=lambda g: (g != "reference", g != "own", g != "all", g)):
        cells = []
        for m in modes:
            h, t = tally[(group, m)]
            cells.append(f"{h:>4}/{t:<4} {100 * h / t:5.1f}%" if t else f"{'-':>16}")
        print(f"{group:22} " + " ".join(cells))
    print(f"\nJSON Schema outputs that finished with `stop`: {finished}; of them invalid: {invalid}"
          f" ({100 * (finished - invalid) / finished if finished else 0:.1f}% valid)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
