"""One input, several columns: the same request across modes, or across models and endpoints, and
what the columns' results say side by side (field by field, differences from a baseline, lessons)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from structured_output.diff import DiffRow, json_diff, short
from structured_output.request import MODE_LABELS, Mode, Request
from structured_output.result import RunResult, json_path
from structured_output.runs.retries import RetryRun

MIN_COLUMNS, MAX_COLUMNS = 2, 4


@dataclass(frozen=True)
class Target:
    endpoint: str
    protocol: str
    model: str
    custom_base_url: str = ""


@dataclass
class Column:
    label: str
    request: Request
    retry_attempts: int = 0  # > 1: run with retry on validation failure, up to this many calls (runs.retries)


RETRIES_LABEL = "JSON Object + retries"


def _check(n: int) -> None:
    if not MIN_COLUMNS <= n <= MAX_COLUMNS:
        raise ValueError(f"Compare takes {MIN_COLUMNS} to {MAX_COLUMNS} columns; {n} were chosen.")


def across_modes(base: Request, modes: list[Mode], retries: int = 0) -> list[Column]:
    """The same input in each mode. Streaming is off: columns run one after another. ``retries`` > 1 adds a
    "JSON Object + retries" column (up to that many calls), to set beside JSON Schema mode."""
    _check(len(modes) + (1 if retries > 1 else 0))
    columns = [Column(MODE_LABELS[m], replace(base, mode=m, stream=False)) for m in modes]
    if retries > 1:
        columns.append(Column(f"{RETRIES_LABEL} (up to {retries})", replace(base, mode="json_object", stream=False),
                              retry_attempts=retries))
    return columns


def across_targets(base: Request, targets: list[Target]) -> list[Column]:
    _check(len(targets))
    return [Column(f"{t.model} · {t.endpoint}/{t.protocol}",
                   replace(base, endpoint=t.endpoint, protocol=t.protocol, model=t.model,
                           custom_base_url=t.custom_base_url, stream=False))
            for t in targets]


# ---------------------------------------------------------------- reading the columns' results

@dataclass
class Outcome:
    """One column after its run: what was sent and what came back."""

    label: str
    request: Request
    result: RunResult
    retry: RetryRun | None = None  # the attempts, when the column ran with retries (result is the last one's)


def letter(i: int) -> str:
    """Columns are named A, B, C, D so the field table can refer to them briefly."""
    return "ABCD"[i] if 0 <= i < MAX_COLUMNS else str(i + 1)


def leaves(value: Any) -> dict[str, Any]:
    """Every leaf of a JSON value by its path (``$.address.city``, ``$.tags[0]``), in document order.

    An empty object or array is a leaf of its own, so ``{}`` and a missing key differ.
    """
    out: dict[str, Any] = {}

    def walk(v: Any, parts: list[Any]) -> None:
        if isinstance(v, dict) and v:
            for k, x in v.items():
                walk(x, [*parts, k])
        elif isinstance(v, list) and v:
            for i, x in enumerate(v):
                walk(x, [*parts, i])
        else:
            out[json_path(parts)] = v

    walk(value, [])
    return out


def field_table(parsed: list[tuple[str, Any]]) -> pd.DataFrame:
    """The parsed results field by field: one row a JSON path (first-seen order), one column per
    ``(name, value)``; a cell is the value as compact JSON, empty when that result lacks the path.
    ``same`` is False where the results disagree (a missing path, another type or value), so the page
    can mark those rows. 1 and 1.0 are shown as written (``1`` vs ``1.0``) and count as different,
    as ``json_diff`` does."""
    names = [name for name, _ in parsed]
    flat = [leaves(value) for _, value in parsed]
    paths = list(dict.fromkeys(p for f in flat for p in f))
    rows = []
    for p in paths:
        cells = [short(f[p]) if p in f else "" for f in flat]
        present = [f[p] for f in flat if p in f]
        same = len(present) == len(flat) and all(not json_diff(present[0], v) for v in present[1:])
        rows.append({"field": p, **dict(zip(names, cells, strict=True)), "same": same})
    return pd.DataFrame(rows, columns=["field", *names, "same"])


def baseline_diffs(outcomes: list[Outcome]) -> tuple[int | None, list[list[DiffRow] | None]]:
    """Each column's differences from the first column whose output parsed (the baseline); None for the
    baseline itself and for columns that did not parse."""
    base = next((i for i, o in enumerate(outcomes) if o.result.parse is not None and o.result.parse.ok), None)
    diffs: list[list[DiffRow] | None] = []
    for i, o in enumerate(outcomes):
        p = o.result.parse
        if base is None or i == base or p is None or not p.ok:
            diffs.append(None)
        else:
            base_parse = outcomes[base].result.parse
            assert base_parse is not None
            diffs.append(json_diff(base_parse.value, p.value))
    return base, diffs


def lessons(outcomes: list[Outcome]) -> list[str]:
    """What the comparison shows about structured output, in plain sentences (Markdown-safe apart
    from the ``**`` and backticks added here; model text never goes in)."""
    out: list[str] = []
    for i, o in enumerate(outcomes):
        r, p = o.result, o.result.parse
        name = f"**{letter(i)} · {MODE_LABELS.get(o.request.mode, o.request.mode)}**"
        if o.request.mode != "none" or r.error is not None or p is None:
            continue
        if p.ok:
            out.append(f"{name}: this time the plain answer happened to be valid JSON, but nothing enforces it. "
                       "Repeat it on the Batch page to see how often it holds.")
            continue
        where = f" at line {p.line}, column {p.column}" if p.line else ""
        recovered = ("lenient extraction recovers a value from it" if p.lenient_ok
                     else "lenient extraction finds no JSON in it either")
        out.append(f"{name}: strict `json.loads` rejects the plain answer{where}; {recovered}.")
    retried = [(i, o) for i, o in enumerate(outcomes) if o.retry is not None]
    schema_cols = [(i, o) for i, o in enumerate(outcomes) if o.request.mode == "json_schema" and o.retry is None
                   and o.result.error is None]
    for (i, o), (j, s) in zip(retried, schema_cols, strict=False):
        assert o.retry is not None
        ins, outs = o.retry.tokens()
        tokens = s.result.usage.total_tokens
        out.append(f"**{letter(i)} · {RETRIES_LABEL}** took {o.retry.calls} call{'s' if o.retry.calls != 1 else ''} "
                   f"and {ins + outs} tokens to end **{o.result.verdict}**; **{letter(j)} · JSON Schema** took 1 call "
                   f"and {tokens if tokens is not None else 'unreported'} tokens to end **{s.result.verdict}**. The "
                   "reference: JSON Schema mode \"eliminates the need for extra validation or retries\".")
    structured = [o for o in outcomes if o.request.mode != "none" and o.result.error is None]
    if structured:
        parsed = sum(1 for o in structured if o.result.parse is not None and o.result.parse.ok)
        out.append(f"Structured modes: {parsed} of {len(structured)} answers parse with strict `json.loads`.")
    return out
