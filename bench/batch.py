"""Batch overhead: 100 rows through the batch runner on the local engine, and the playground's own
time per row (building requests, parsing, validating, tabulating: everything outside the SDK call)
as a share of the engine call's time. Target: under 5%.

    .venv/bin/python bench/batch.py [--url http://127.0.0.1:PORT] [--rows 100]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._engine import running_engine  # noqa: E402
from structured_output.batch import build_items, outcome_table, read_rows, run_batch, summary_table  # noqa: E402
from structured_output.request import Request  # noqa: E402

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"], "additionalProperties": False}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default=os.environ.get("SOP_ENGINE_URL"))
    ap.add_argument("--rows", type=int, default=100)
    args = ap.parse_args()
    cases = json.loads((ROOT / "bench" / "quality_cases.json").read_text(encoding="utf-8"))
    texts = [c["user"] for c in cases if c["family"] == "people"]
    lines = "\n".join(texts[i % len(texts)] for i in range(args.rows)).encode()

    with running_engine(args.url) as url:
        os.environ["SOP_LOCAL_ENGINE_PORT"] = str(urlparse(url).port)
        base = Request(model="qwen-plus", endpoint="local", mode="json_schema", schema_name="person",
                       system_prompt="Extract the person's name and age.", schema_text=json.dumps(SCHEMA))
        started = time.perf_counter()
        t0 = time.perf_counter()
        items = build_items(base, read_rows(lines, "rows.txt"), column="text")
        build_s = time.perf_counter() - t0
        outcomes = run_batch(items, None, concurrency=1,
                             on_progress=lambda d, t, o: print(f"\r{d}/{t}", end="", flush=True))
        t0 = time.perf_counter()
        table = outcome_table(outcomes)
        summary = summary_table(table)
        table_s = time.perf_counter() - t0
        wall = time.perf_counter() - started

    engine = [o.result.latency_s or 0.0 for o in outcomes]
    overhead = [o.overhead_s for o in outcomes]
    per_row_overhead = (sum(overhead) + build_s + table_s) / len(outcomes)
    per_row_engine = sum(engine) / len(outcomes)
    print(f"\nrows: {len(outcomes)}  errors: {sum(o.result.error is not None for o in outcomes)}  "
          f"valid: {int(table['valid'].fillna(False).sum())}")
    print(f"wall time: {wall:.1f} s; engine call per row: mean {per_row_engine * 1000:.0f} ms, "
          f"median {statistics.median(engine) * 1000:.0f} ms")
    print(f"playground overhead per row: {per_row_overhead * 1000:.2f} ms "
          f"(build {build_s * 1000:.1f} ms total, tables {table_s * 1000:.1f} ms total)")
    share = per_row_overhead / per_row_engine if per_row_engine else float("nan")
    print(f"overhead / engine time: {100 * share:.2f}%  (target < 5%: {'met' if share < 0.05 else 'NOT met'})")
    print(summary.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
