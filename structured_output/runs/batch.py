"""Many runs of one template: read rows (CSV, JSONL or pasted lines), fill the template, run them with
bounded concurrency and a cancel switch, and tabulate what came back."""

from __future__ import annotations

import csv
import io
import itertools
import json
import string
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from structured_output.request import Mode, Request
from structured_output.result import RunResult
from structured_output.runs.service import EngineSupervisor, Runner, RunService

MAX_BATCH_BYTES = 50 * 1024 * 1024
MAX_ROWS = 50_000  # as many as one batch job takes (data/batch_api.json); live runs stop at LIVE_MAX_RUNS
LIVE_MAX_RUNS = 2000  # beyond this, rows one request at a time take hours: that is a batch job's work
TEXT_COLUMN = "text"  # the column name pasted lines get


class BatchError(ValueError):
    """A batch file or template that cannot be used, with where and how to fix it."""


@dataclass
class BatchItem:
    index: int
    inputs: dict[str, str]
    request: Request
    repeat: int = 0


@dataclass
class BatchOutcome:
    item: BatchItem
    result: RunResult
    overhead_s: float = 0.0  # time spent outside the SDK call: building, parsing, validating


# ---------------------------------------------------------------- reading inputs

def _decode(data: bytes, name: str) -> str:
    if len(data) > MAX_BATCH_BYTES:
        raise BatchError(f"{name} is {len(data) / 1e6:.1f} MB; the limit is {MAX_BATCH_BYTES / 1e6:.0f} MB. "
                         "Split it into smaller files.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise BatchError(f"{name} is not UTF-8 text (byte {e.start}, line {line}). "
                         "Save it as UTF-8 (in Excel: CSV UTF-8) and upload it again.") from None


def read_rows(data: bytes, name: str) -> list[dict[str, str]]:
    """Rows from an uploaded file: ``.csv`` by header, ``.jsonl`` one object a line, anything else one
    input a line (in a column named ``text``)."""
    text = _decode(data, name)
    lower = name.lower()
    if lower.endswith(".csv"):
        rows = _read_csv(text, name)
    elif lower.endswith((".jsonl", ".ndjson")):
        rows = _read_jsonl(text, name)
    else:
        rows = read_lines(text)
    if not rows:
        raise BatchError(f"{name} has no rows. Add at least one input.")
    if len(rows) > MAX_ROWS:
        raise BatchError(f"{name} has {len(rows)} rows; the limit is {MAX_ROWS}. Split it.")
    return rows


def read_lines(text: str) -> list[dict[str, str]]:
    return [{TEXT_COLUMN: line.strip()} for line in text.splitlines() if line.strip()]


def _read_csv(text: str, name: str) -> list[dict[str, str]]:
    # newline="" lets the csv module see \r, \r\n and \n line ends itself (old Mac exports end lines
    # with \r alone, which would otherwise be "new-line character seen in unquoted field").
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    try:
        if not reader.fieldnames or any(not (f or "").strip() for f in reader.fieldnames):
            raise BatchError(f"{name}: the first line must be a header naming every column (e.g. text,expected).")
        for row in reader:
            if None in row:
                raise BatchError(f"{name} line {reader.line_num}: more values than header columns. "
                                 "Quote values that hold commas.")
            rows.append({k: v or "" for k, v in row.items()})
    except csv.Error as e:
        raise BatchError(f"{name} line {reader.line_num}: not readable as CSV ({e}).") from None
    return rows


def _read_jsonl(text: str, name: str) -> list[dict[str, str]]:
    rows = []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            raise BatchError(f"{name} line {i}, column {e.colno}: not JSON ({e.msg}). "
                             "Each line must be one JSON object, e.g. {\"text\": \"…\"}.") from None
        if not isinstance(value, dict):
            raise BatchError(f"{name} line {i}: a JSON {type(value).__name__}, not an object. "
                             "Each line must be one JSON object, e.g. {\"text\": \"…\"}.")
        rows.append({str(k): v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in value.items()})
    return rows


# ---------------------------------------------------------------- building requests

def _template_parts(template: str) -> list[tuple[str, str | None]]:
    """``(literal text, column or None)`` pairs of a template.

    Only plain ``{column}`` placeholders are allowed. ``str.format`` would also honour conversions
    (``{text!r}``), format specs (``{text:>999999999}`` asks for a gigabyte of padding) and
    attribute or index access (``{text.__class__}``); none of that is useful for filling a message and
    some of it is dangerous, so each is refused with a message, and the value is inserted verbatim.
    """
    parts: list[tuple[str, str | None]] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as e:
        raise BatchError(f"The template is malformed: {e}. Write {{column}} for a value and {{{{ }}}} for a brace.") \
            from None
    for literal, name, spec, conversion in parsed:
        if name is not None and (spec or conversion):
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise BatchError(f"The template's {{{shown}}} has a format of its own; write just {{{name}}}: "
                             "placeholders take a column's value as it is.")
        parts.append((literal, name))
    return parts


def template_fields(template: str) -> list[str]:
    return [f for _, f in _template_parts(template) if f is not None]


def fill(template: str, row: dict[str, str]) -> str:
    parts = _template_parts(template)
    missing = [f for _, f in parts if f is not None and f not in row]
    if missing:
        raise BatchError(f"The template uses {{{missing[0]}}} but the rows have no such column "
                         f"(columns: {', '.join(row) or 'none'}).")
    return "".join(literal + (str(row[f]) if f is not None else "") for literal, f in parts)


def build_items(base: Request, rows: list[dict[str, str]], *, column: str | None = None,
                template: str | None = None, repeat: int = 1) -> list[BatchItem]:
    """One request per row (times ``repeat``): the row's ``column``, or ``template`` filled from the row,
    becomes the user message; everything else comes from ``base``."""
    if repeat < 1:
        raise BatchError("Repeat must be at least 1.")
    if template is None and column is None:
        raise BatchError("Choose the column that fills the user message, or write a {placeholder} template.")
    if template is not None:
        template_fields(template)
    elif rows and column not in rows[0]:
        raise BatchError(f"There is no column {column!r}; the columns are {', '.join(rows[0])}.")
    items = []
    for i, row in enumerate(rows):
        text = fill(template, row) if template is not None else row.get(column or "", "")
        for r in range(repeat):
            items.append(BatchItem(i, row, replace(base, user_text=text, stream=False), r))
    return items


def build_grid(base: Request, rows: list[dict[str, str]], *, models: list[str] | None = None,
               modes: list[Mode] | None = None, column: str | None = None, template: str | None = None,
               repeat: int = 1) -> list[BatchItem]:
    """``build_items`` for every model × mode (each defaults to the base's own), so one batch can answer
    "which mode, which model breaks how often": the summary groups by model and mode."""
    items: list[BatchItem] = []
    for model in models or [base.model]:
        for mode in modes or [base.mode]:
            items += build_items(replace(base, model=model, mode=mode), rows, column=column, template=template,
                                 repeat=repeat)
    return items


# ---------------------------------------------------------------- running

ProgressFn = Callable[[int, int, BatchOutcome], None]


def run_batch(items: list[BatchItem], api_key: str | None, *, concurrency: int = 1,
              cancel: threading.Event | None = None, on_progress: ProgressFn | None = None,
              runner: Runner | None = None, engine: EngineSupervisor | None = None) -> list[BatchOutcome]:
    """Run every item, at most ``concurrency`` at once; when ``cancel`` is set, no new item starts and
    the outcomes so far come back (in input order).

    Each row takes the one road (``RunService``: the engine wait, a killed engine named, the key
    scrubbed), without the history: rows live in the batch's own table."""
    cancel = cancel or threading.Event()
    outcomes: dict[int, BatchOutcome] = {}
    road = RunService(engine=engine, runner=runner)

    def one(pos: int) -> BatchOutcome:
        started = time.perf_counter()
        result = road.run(items[pos].request, api_key).result
        total = time.perf_counter() - started
        return BatchOutcome(items[pos], result, max(0.0, total - (result.latency_s or 0.0)))

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        pending: dict[Future[BatchOutcome], int] = {}
        next_pos = 0
        while next_pos < len(items) or pending:
            while not cancel.is_set() and next_pos < len(items) and len(pending) < max(1, concurrency):
                pending[pool.submit(one, next_pos)] = next_pos
                next_pos += 1
            if not pending:
                break
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                pos = pending.pop(fut)
                outcomes[pos] = fut.result()
                if on_progress is not None:
                    on_progress(len(outcomes), len(items), outcomes[pos])
    return [outcomes[k] for k in sorted(outcomes)]


# ---------------------------------------------------------------- tables

def first_error(result: RunResult) -> str:
    if result.error is not None:
        return str(result.error)
    if result.parse is not None and not result.parse.ok:
        where = f" (line {result.parse.line}, column {result.parse.column})" if result.parse.line else ""
        return f"not JSON: {result.parse.error}{where}"
    if result.validation is not None and result.validation.errors:
        row = result.validation.errors[0]
        return f"{row.path}: {row.message}"
    return ""


def _valid(o: BatchOutcome) -> bool | None:
    """Valid against the schema: True/False when there is a schema to check against, None when not.

    An output that failed (an error, not JSON, cut off) is not valid: counting it as "not checked"
    would show plain-text mode as 100% valid when two rows in three are not JSON at all."""
    r = o.result
    if r.validation is not None and r.validation.checked:
        return r.validation.valid
    if (r.parse is None or not r.parse.ok) and o.item.request.schema() is not None:
        return False
    return None


# ---------------------------------------------------------------- correctness against expected values

EXPECTED_COLUMN = "expected"  # one column holding a JSON object of the expected values
EXPECTED_PREFIXES = ("expected.", "expected_")  # or a column per field: expected.name, expected_age
CORRECT_PREFIX = "correct."  # the table's column per field


def expected_of(inputs: dict[str, str]) -> dict[str, Any]:
    """A row's expected values by field path (``name``, ``address.city``): from an ``expected`` column
    holding a JSON object, and from ``expected.<field>`` / ``expected_<field>`` columns (a value that
    reads as JSON, such as ``34`` or ``true``, is taken as that JSON value, anything else as text).
    Raises ``BatchError`` when the ``expected`` column is not a JSON object."""
    out: dict[str, Any] = {}
    raw = (inputs.get(EXPECTED_COLUMN) or "").strip()
    if raw:
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as e:
            raise BatchError(f"The `{EXPECTED_COLUMN}` column must hold a JSON object of the expected values, e.g. "
                             f'{{"name": "Ann", "age": 5}}; this one is not JSON ({e.msg}, column {e.colno}): '
                             f"{raw[:60]!r}") from None
        if not isinstance(value, dict):
            raise BatchError(f"The `{EXPECTED_COLUMN}` column must hold a JSON object of the expected values, e.g. "
                             f'{{"name": "Ann", "age": 5}}; this one is a JSON {type(value).__name__}: {raw[:60]!r}')
        out.update(_flatten(value))
    for key, text in inputs.items():
        prefix = next((p for p in EXPECTED_PREFIXES if key.startswith(p) and len(key) > len(p)), None)
        if prefix is None or text is None or str(text).strip() == "":
            continue
        try:
            out[key[len(prefix):]] = json.loads(text)
        except (json.JSONDecodeError, TypeError):
            out[key[len(prefix):]] = text
    return out


def expected_fields(rows: list[dict[str, str]]) -> list[str]:
    """Every field some row expects, in first-seen order (empty: the rows have no expected values)."""
    fields: dict[str, None] = {}
    for row in rows:
        for f in expected_of(row):
            fields.setdefault(f, None)
    return list(fields)


def _flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in value.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(_flatten(v, path + "."))
        else:
            out[path] = v
    return out


def _lookup(value: Any, path: str) -> tuple[bool, Any]:
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def same_value(expected: Any, actual: Any) -> bool:
    """Equal as the lesson wants it: the same JSON type and value (``34`` is not ``"34"``), numbers by
    value (``5`` is ``5.0``), text with surrounding white space and case ignored, lists and objects
    element by element."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    if isinstance(expected, str) and isinstance(actual, str):
        return expected.strip().casefold() == actual.strip().casefold()
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(same_value(e, a) for e, a in zip(expected, actual, strict=True))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(same_value(v, actual[k]) for k, v in expected.items())
    return expected is None and actual is None


def field_scores(o: BatchOutcome, fields: list[str]) -> dict[str, bool | None]:
    """Per expected field: right, wrong (missing, other value, or nothing parsed), or None when this row
    expects nothing for that field."""
    expected = expected_of(o.item.inputs)
    parsed = o.result.parse.value if o.result.parse is not None and o.result.parse.ok else None
    scores: dict[str, bool | None] = {}
    for f in fields:
        if f not in expected:
            scores[f] = None
            continue
        found, actual = _lookup(parsed, f)
        scores[f] = found and same_value(expected[f], actual)
    return scores


def outcome_table(outcomes: list[BatchOutcome]) -> pd.DataFrame:
    try:
        fields = expected_fields([o.item.inputs for o in outcomes])
    except BatchError:  # the page refuses such rows before running; a table of them scores nothing
        fields = []
    rows: list[dict[str, Any]] = []
    for o in outcomes:
        r = o.result
        scores = field_scores(o, fields) if fields else {}
        known = [v for v in scores.values() if v is not None]
        correct = {"correct": (all(known) if known else None)} if fields else {}
        rows.append({
            "row": o.item.index + 1,
            "repeat": o.item.repeat + 1,
            "model": o.item.request.model,
            "mode": o.item.request.mode,
            "input": o.item.request.user_text,
            "output": r.content if r.content is not None else "",
            "parsed_ok": bool(r.parse and r.parse.ok),
            "valid": _valid(o),
            "verdict": r.verdict,
            "first_error": first_error(r),
            "latency_s": round(r.latency_s, 3) if r.latency_s is not None else None,
            "input_tokens": r.usage.input_tokens,
            "output_tokens": r.usage.output_tokens,
            **correct,
            **{CORRECT_PREFIX + f: v for f, v in scores.items()},
        })
    columns = ["row", "repeat", "model", "mode", "input", "output", "parsed_ok", "valid", "verdict", "first_error",
               "latency_s", "input_tokens", "output_tokens"]
    if fields:
        columns += ["correct", *[CORRECT_PREFIX + f for f in fields]]
    return pd.DataFrame(rows, columns=columns)


def _rate(s: pd.Series) -> float:
    """The share of True among the values that are not None (NaN when there are none)."""
    known = s.dropna()
    return float(known.astype(float).mean()) if len(known) else float("nan")


def summary_table(table: pd.DataFrame) -> pd.DataFrame:
    """Parse and validity rates and latency by model and mode. The validity rate counts every run with
    a schema (a run whose output did not parse is not valid); it is empty without a schema. With expected
    values, ``correct_rate`` is the share of rows with every expected field right and
    ``correct_rate.<field>`` each field's own share: valid is not correct."""
    if table.empty:
        return pd.DataFrame(columns=["model", "mode", "runs", "parsed_rate", "valid_rate", "median_latency_s"])
    grouped = table.groupby(["model", "mode"], sort=True)
    scored = [c for c in table.columns if c == "correct" or c.startswith(CORRECT_PREFIX)]
    return grouped.agg(
        runs=("row", "size"),
        parsed_rate=("parsed_ok", "mean"),
        valid_rate=("valid", _rate),
        median_latency_s=("latency_s", "median"),
        **{(c.replace(CORRECT_PREFIX, "correct_rate.") if c != "correct" else "correct_rate"): (c, _rate)
           for c in scored},
    ).reset_index()


def to_jsonl(table: pd.DataFrame) -> bytes:
    return table.to_json(orient="records", lines=True, force_ascii=False).encode("utf-8")


def to_csv(table: pd.DataFrame) -> bytes:
    return table.to_csv(index=False).encode("utf-8")


@dataclass
class BatchState:
    """What the batch page keeps between reruns: outcomes survive a cancel or an error."""

    outcomes: list[BatchOutcome] = field(default_factory=list)
    cancelled: bool = False


class BatchJob:
    """``run_batch`` in a background thread, so a page can start it, poll it and cancel it.

    A Streamlit button click reruns the script; a batch that ran inside the script would block the
    Cancel button's rerun until it ended. The job lives in the session instead: the page reads
    ``progress()`` and ``outcomes()`` on each poll, and ``cancel()`` stops new rows from starting (rows
    in flight finish and are kept). The key is dropped when the run ends.
    """

    _ids = itertools.count(1)

    def __init__(self, items: list[BatchItem], api_key: str | None, *, concurrency: int = 1,
                 runner: Runner | None = None, engine: EngineSupervisor | None = None) -> None:
        self.id = next(BatchJob._ids)
        self.items = items
        self.concurrency = max(1, concurrency)
        self._api_key = api_key
        self._runner = runner
        self._engine = engine
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._done: dict[int, BatchOutcome] = {}
        self._position = {id(item): pos for pos, item in enumerate(items)}
        self._thread: threading.Thread | None = None
        self.error: str = ""  # an unexpected failure of the runner itself (call errors stay in the rows)
        self.started_at: float | None = None
        self.finished_at: float | None = None

    def start(self) -> BatchJob:
        self.started_at = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"batch-{self.id}", daemon=True)
        self._thread.start()
        return self

    def _record(self, _done: int, _total: int, outcome: BatchOutcome) -> None:
        with self._lock:
            self._done[self._position[id(outcome.item)]] = outcome

    def _run(self) -> None:
        try:
            run_batch(self.items, self._api_key, concurrency=self.concurrency, cancel=self._cancel,
                      on_progress=self._record, runner=self._runner, engine=self._engine)
        except Exception as e:  # shown on the page; the rows done so far are kept
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self._api_key = None
            self.finished_at = time.monotonic()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def finished(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (tests, benchmarks); True when it did."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.finished

    def progress(self) -> tuple[int, int]:
        with self._lock:
            return len(self._done), len(self.items)

    def outcomes(self) -> list[BatchOutcome]:
        """The rows done so far, in input order (a cancelled job keeps these)."""
        with self._lock:
            return [self._done[k] for k in sorted(self._done)]

    @property
    def elapsed_s(self) -> float:
        if self.started_at is None:
            return 0.0
        return (self.finished_at or time.monotonic()) - self.started_at
