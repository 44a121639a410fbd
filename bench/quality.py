"""Offline answer quality: run the case sets through the playground's own code path (clients.run → local
engine) in JSON Object and JSON Schema mode, and print the share of expected values reproduced.

Two parts, kept apart so that a figure cannot be tuned into existence:
- ``dev``: ``quality_cases.json`` (the reference's own examples and the first own set, written by
  ``make_quality_cases.py``) and ``quality_dev_cases.json`` (more families). Tune on these.
- ``test``: ``quality_test_cases.json``, families and phrasings nobody tuned for, written before the
  engine changes that follow them. Only report it.

Figures per part: per mode, per family, per language, the reference's examples on their own; the share
of JSON Schema outputs that finish (``stop``) and validate; and how many answers hold a number longer
than any number of their input (a run-away such as ``"guests": 1000000000000000``) unless the schema
itself holds one that long.

    .venv/bin/python bench/quality.py [--url http://127.0.0.1:PORT] [--split test] [--modes json_object]
        [--family jobs] [--lang zh] [--per-family N] [--limit N] [--save results.jsonl] [--verbose]
    .venv/bin/python bench/quality.py --report results.jsonl   # the tables again, from saved outcomes
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._engine import running_engine  # noqa: E402
from structured_output import clients  # noqa: E402
from structured_output.catalog import load_catalog  # noqa: E402
from structured_output.request import ImageInput, Request  # noqa: E402

HERE = Path(__file__).parent
SPLITS: dict[str, tuple[Path, ...]] = {
    "dev": (HERE / "quality_cases.json", HERE / "quality_dev_cases.json"),
    "test": (HERE / "quality_test_cases.json",),
}
CASES = SPLITS["dev"][0]  # the first set, kept under its old name for the scorer's tests
ASSETS = ROOT / "presets" / "assets"
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def load_cases(split: str) -> list[dict[str, Any]]:
    """The cases of one part (``dev``, ``test``) or of both (``all``), each tagged with its part."""
    cases: list[dict[str, Any]] = []
    for name, paths in SPLITS.items():
        if split not in (name, "all"):
            continue
        for path in paths:
            cases += [{**c, "split": name} for c in json.loads(path.read_text(encoding="utf-8"))]
    return cases


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
    if isinstance(expected, bool) or isinstance(actual, bool):
        return str(expected).lower() == str(actual).strip().lower()
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


def digits(number: str) -> int:
    return sum(c.isdigit() for c in number)


def longest_number(text: str) -> int:
    """Digits in the longest number of ``text`` ("12,450.66" has 7; thousands separators do not count)."""
    return max((digits(m.group(0)) for m in _NUMBER.finditer(text)), default=0)


def runaway_numbers(answer: str, given: str) -> list[str]:
    """The numbers of ``answer`` longer than any number of ``given`` (the input, the instruction and the
    schema) and not written in it as they stand ("0.50" of version "8.0.50" is copied, not made up): no
    extraction can find them there."""
    limit = longest_number(given)
    return [m.group(0) for m in _NUMBER.finditer(answer) if digits(m.group(0)) > limit and m.group(0) not in given]


def request_for(case: dict[str, Any], mode: str) -> Request:
    images = []
    m = re.fullmatch(r"\[image: (.+)\]", case["user"])
    if m:
        path = ASSETS / m.group(1)
        images = [ImageInput("image/png", path.read_bytes(), name=path.name)]
    return Request(model=case["model"], endpoint="local", mode=mode, system_prompt=case["system"],
                   user_text="" if images else case["user"], images=images, schema_name="extract",
                   schema_text=json.dumps(case["schema"]) if mode == "json_schema" else "")


@dataclass
class Outcome:
    """One case in one mode, as the tables and ``--save`` need it."""

    id: str
    split: str
    family: str
    lang: str
    reference: bool
    mode: str
    hits: int
    total: int
    finish: str | None
    valid: bool | None  # JSON Schema mode: whether the output validated
    runaway: list[str]  # None checked for image cases: their input is the OCR text, which the bench never sees
    content: str
    error: str | None


def run_case(case: dict[str, Any], mode: str, timeout: float = 600.0) -> Outcome:
    req = request_for(case, mode)
    if mode == "json_object" and "json" not in (req.system_prompt + req.user_text).lower():
        req = replace(req, system_prompt=req.system_prompt + " Return JSON.")
    result = clients.run(req, timeout=timeout, max_retries=0)  # a retry on a busy machine only doubles the wait
    value = result.parse.value if result.parse and result.parse.ok else None
    hits, total = score(case["expected"], value)
    content = result.content or ""
    image = case["user"].startswith("[image:")
    given = " ".join([case["system"], case["user"], json.dumps(case["schema"]) if mode == "json_schema" else ""])
    return Outcome(case["id"], case["split"], case["family"], case["lang"], case["source"].startswith("reference"),
                   mode, hits, total, result.finish_reason,
                   bool(result.validation and result.validation.valid) if mode == "json_schema" else None,
                   [] if image else runaway_numbers(content, given), content,
                   str(result.error) if result.error else None)


def report(outcomes: list[Outcome], modes: list[str]) -> None:
    """The tables for one part."""
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for o in outcomes:
        groups = ["all", f"lang:{o.lang}", f"family:{o.family}"] + (["reference"] if o.reference else [])
        for g in groups:
            tally[(g, o.mode)][0] += o.hits
            tally[(g, o.mode)][1] += o.total
    order = sorted({g for g, _ in tally}, key=lambda g: (g != "all", g != "reference", not g.startswith("lang:"), g))
    print(f"{'group':24} " + " ".join(f"{m:>17}" for m in modes))
    for group in order:
        cells = []
        for m in modes:
            h, t = tally[(group, m)]
            cells.append(f"{h:>4}/{t:<4} {100 * h / t:6.1f}%" if t else f"{'-':>17}")
        print(f"{group:24} " + " ".join(cells))
    schema = [o for o in outcomes if o.mode == "json_schema"]
    if schema:
        done = [o for o in schema if o.finish == "stop"]
        valid = sum(bool(o.valid) for o in done)
        print(f"JSON Schema outputs: {len(schema)}; finished with `stop`: {len(done)}; of them valid: {valid}"
              f" ({100 * valid / len(done) if done else 0:.1f}%); finished and valid: "
              f"{100 * valid / len(schema):.1f}% of all")
    for m in modes:
        mine = [o for o in outcomes if o.mode == m]
        bad = [o for o in mine if o.runaway]
        shown = "; ".join(f"{o.id} {', '.join(o.runaway)[:40]}" for o in bad[:6])
        print(f"{m}: answers holding a number longer than any of their input: {len(bad)} of {len(mine)}"
              + (f" ({shown})" if shown else ""))


def print_report(outcomes: list[Outcome], modes: list[str]) -> None:
    for split in SPLITS:
        mine = [o for o in outcomes if o.split == split]
        if mine:
            n = len({o.id for o in mine})
            print(f"\n== {split}: expected values reproduced ({n} cases) ==")
            report(mine, modes)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default=os.environ.get("SOP_ENGINE_URL"))
    ap.add_argument("--split", choices=("dev", "test", "all"), default="all")
    ap.add_argument("--family")
    ap.add_argument("--lang")
    ap.add_argument("--ids", help="comma-separated case ids")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--per-family", type=int, help="only the first N cases of each family and language (a sample "
                    "for a busy machine; the figures then say so)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for one answer")
    ap.add_argument("--modes", default="json_object,json_schema")
    ap.add_argument("--save", type=Path, help="append every outcome (content included) to this JSON-lines file")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--report", type=Path, help="print the tables of outcomes saved with --save, run nothing")
    args = ap.parse_args()
    modes = args.modes.split(",")
    if args.report:
        saved = [Outcome(**json.loads(line)) for line in args.report.read_text(encoding="utf-8").splitlines() if line]
        print_report(saved, modes)
        return 0
    cases = load_cases(args.split)
    if args.family:
        cases = [c for c in cases if c["family"] == args.family]
    if args.lang:
        cases = [c for c in cases if c["lang"] == args.lang]
    if args.ids:
        cases = [c for c in cases if c["id"] in args.ids.split(",")]
    if args.per_family:
        seen: dict[tuple[str, str], int] = defaultdict(int)
        sample = []
        for c in cases:
            if c["source"].startswith("reference") or seen[(c["family"], c["lang"])] < args.per_family:
                sample.append(c)
                seen[(c["family"], c["lang"])] += not c["source"].startswith("reference")
        cases = sample
    if args.limit:
        cases = cases[: args.limit]
    catalog = load_catalog()

    outcomes: list[Outcome] = []
    with running_engine(args.url) as url:
        os.environ["SOP_LOCAL_ENGINE_PORT"] = str(urlparse(url).port)
        started = time.perf_counter()
        for case in cases:
            if case["user"].startswith("[image:") and not (ASSETS / case["user"][8:-1]).exists():
                print(f"skip {case['id']}: missing asset {case['user']}")
                continue
            for mode in modes:
                if not catalog.model(case["model"]).supports(mode):
                    continue  # e.g. the reference's image example: qwen3-vl-plus has no JSON Schema mode
                o = run_case(case, mode, args.timeout)
                outcomes.append(o)
                if args.save:  # as it goes: a long run that is stopped keeps what it did
                    with args.save.open("a", encoding="utf-8") as f:
                        f.write(json.dumps(o.__dict__, ensure_ascii=False) + "\n")
                if args.verbose or o.error or o.runaway:
                    shown = o.error or o.content[:160].replace("\n", " ")
                    print(f"  {o.id:28} {mode:11} {o.hits}/{o.total}  {shown}", flush=True)
        elapsed = time.perf_counter() - started

    print_report(outcomes, modes)
    print(f"\n{len(outcomes)} answers in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
