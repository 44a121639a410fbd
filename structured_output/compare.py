"""One input, several columns: the same request across modes, or across models and endpoints."""

from __future__ import annotations

from dataclasses import dataclass, replace

from structured_output.request import MODE_LABELS, Mode, Request

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


def _check(n: int) -> None:
    if not MIN_COLUMNS <= n <= MAX_COLUMNS:
        raise ValueError(f"Compare takes {MIN_COLUMNS} to {MAX_COLUMNS} columns; {n} were chosen.")


def across_modes(base: Request, modes: list[Mode]) -> list[Column]:
    """The same input in each mode. Streaming is off: columns run one after another."""
    _check(len(modes))
    return [Column(MODE_LABELS[m], replace(base, mode=m, stream=False)) for m in modes]


def across_targets(base: Request, targets: list[Target]) -> list[Column]:
    _check(len(targets))
    return [Column(f"{t.model} · {t.endpoint}/{t.protocol}",
                   replace(base, endpoint=t.endpoint, protocol=t.protocol, model=t.model,
                           custom_base_url=t.custom_base_url, stream=False))
            for t in targets]
