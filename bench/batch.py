"""Batch overhead: rows through the batch runner on the local engine (20 by default: the machine is
shared), and the playground's own time per row as a share of the engine call's time. Target: under 5%.
Then the same rows as one batch job of the engine's Batch API, beside the live path: wall time per
row of each, and the job path's own client-side work per row (writing the file, reading the results).

Two figures, because the first cannot see everything:

- outside the SDK call: building requests, parsing, validating, tabulating (``overhead_s`` of each
  outcome; what happens inside ``clients.run`` before the HTTP request, such as creating the SDK
  client, is counted as call time there);
- the whole client side: the same rows against an instant stand-in server (a subprocess answering at
  once with a canned completion), so every millisecond per row is the playground's and the SDK's own
  work (request building, the HTTP round trip on loopback, parsing, validating, the thread pool).

    .venv/bin/python bench/batch.py [--url http://127.0.0.1:PORT] [--rows 20] [--no-job]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._engine import free_port, running_engine  # noqa: E402
from structured_output.request import Request  # noqa: E402
from structured_output.runs import batch_api  # noqa: E402
from structured_output.runs.batch import build_items, outcome_table, read_rows, run_batch, summary_table  # noqa: E402

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"], "additionalProperties": False}


# A stand-in that answers every chat completion at once (stdlib only, its own process so it does not
# share the benchmark's interpreter lock).
INSTANT_SERVER = r"""
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
BODY = json.dumps({"id": "chatcmpl-instant", "object": "chat.completion", "created": 0, "model": "instant",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "{\"name\": \"Alex Brown\", \"age\": 34}"}}],
    "usage": {"prompt_tokens": 50, "completion_tokens": 12, "total_tokens": 62}}).encode()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"{}")
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY))); self.end_headers(); self.wfile.write(BODY)
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


@contextmanager
def instant_server() -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", INSTANT_SERVER, str(port)])
    try:
        import httpx

        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def client_side_s(items: list, port: int) -> float:
    """Seconds per row for the whole client side: the rows against the instant server."""
    saved = os.environ.get("SOP_LOCAL_ENGINE_PORT")
    os.environ["SOP_LOCAL_ENGINE_PORT"] = str(port)
    try:
        run_batch(items[:5], None)  # warm up: imports, first connections
        t0 = time.perf_counter()
        outcomes = run_batch(items, None, concurrency=1)
        outcome_table(outcomes)
        per_row = (time.perf_counter() - t0) / len(items)
    finally:
        if saved is None:
            os.environ.pop("SOP_LOCAL_ENGINE_PORT", None)
        else:
            os.environ["SOP_LOCAL_ENGINE_PORT"] = saved
    bad = [o for o in outcomes if o.result.verdict != "valid"]
    if bad:
        raise RuntimeError(f"the instant server's answers did not come back valid: {bad[0].result.verdict}")
    return per_row


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default=os.environ.get("SOP_ENGINE_URL"))
    ap.add_argument("--rows", type=int, default=20)
    ap.add_argument("--no-job", action="store_true", help="skip the batch job path")
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
        job = None if args.no_job else job_path(base, items, outcomes)

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
    with instant_server() as port:
        client_s = client_side_s(items, port)
    client_share = client_s / per_row_engine if per_row_engine else float("nan")
    print(f"whole client side per row (instant server): {client_s * 1000:.2f} ms = {100 * client_share:.2f}% of the "
          f"engine call  (target < 5%: {'met' if client_share < 0.05 else 'NOT met'})")
    print(summary.to_string(index=False))
    if job is not None:
        print(f"\nbatch job path, the same {len(items)} rows (one job, polled every {JOB_POLL_S} s):")
        n = len(items)
        print(f"  wall time per row: job {job['wall'] / n * 1000:.0f} ms, live {wall / n * 1000:.0f} ms "
              f"(job - live: {(job['wall'] - wall) / n * 1000:+.0f} ms per row; both include the generations, so "
              "this mixes the two paths' difference with the run-to-run noise of a shared machine)")
        print(f"  job path's own client work per row: writing the file {job['file_s'] / len(items) * 1000:.2f} ms, "
              f"upload + create {job['submit_s'] * 1000:.0f} ms total, reading the results "
              f"{job['read_s'] / len(items) * 1000:.2f} ms; waiting past the last row (poll granularity) at most "
              f"{JOB_POLL_S * 1000:.0f} ms total")
        print(f"  verdicts equal to the live path's: {job['same']} of {len(items)}")
    return 0


JOB_POLL_S = 0.25


def job_path(base: Request, items: list, live: list) -> dict[str, float]:
    """The rows as one job through the openai SDK's files and batches calls, timed by step."""
    t0 = time.perf_counter()
    f = batch_api.job_file(items)
    file_s = time.perf_counter() - t0
    started = time.perf_counter()
    with batch_api.JobClient(base, None) as client:
        t0 = time.perf_counter()
        info = client.create(client.upload(f), {"created_by": "bench/batch.py"})
        submit_s = time.perf_counter() - t0
        while not info.finished:
            time.sleep(JOB_POLL_S)
            info = client.retrieve(info.id)
            print(f"\rjob {info.done}/{len(items)}", end="", flush=True)
        output = client.content(info.output_file_id) if info.output_file_id else None
        errors = client.content(info.error_file_id) if info.error_file_id else None
    wall = time.perf_counter() - started
    t0 = time.perf_counter()
    res = batch_api.read_results(items, output, errors)
    read_s = time.perf_counter() - t0
    same = sum(a.result.verdict == b.result.verdict for a, b in zip(res.outcomes, live, strict=False))
    print()
    return {"wall": wall, "file_s": file_s, "submit_s": submit_s, "read_s": read_s, "same": same}


if __name__ == "__main__":
    raise SystemExit(main())
