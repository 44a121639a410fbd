"""The hardening suite's figures: requests held under load, faults survived, bad inputs tried, and
whether anything the user typed was lost. Tests record into ``FIGURES``; the conftest writes them to
``test-artifacts/hardening-figures.json`` and prints them at the end of the run, and
``bench/hardening.py`` runs the suite and prints the same table.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES_PATH = ROOT / "test-artifacts" / "hardening-figures.json"


@dataclass
class Load:
    """One burst against the engine: how many were sent, let in, refused with 429, and answered well."""

    name: str
    sent: int
    accepted: int
    refused_429: int
    completed_valid: int
    other: int = 0
    rss_before_mb: float | None = None
    rss_after_mb: float | None = None
    seconds: float = 0.0


@dataclass
class Fault:
    """One injected failure: did the app say so clearly, keep the input, and serve the next request?"""

    name: str
    level: str  # "app" (AppTest), "browser", "sdk", "engine"
    message_ok: bool
    inputs_intact: bool
    usable_after: bool


@dataclass
class BadInput:
    """One malformed input: where it was tried and what came back (a status or a message), never a crash."""

    name: str
    level: str
    outcome: str
    specific: bool  # a specific message (or status) rather than a traceback or a 500


@dataclass
class Figures:
    loads: list[Load] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    bad_inputs: list[BadInput] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Figures:
        raw = json.loads(text)
        return cls([Load(**x) for x in raw.get("loads", [])], [Fault(**x) for x in raw.get("faults", [])],
                   [BadInput(**x) for x in raw.get("bad_inputs", [])], list(raw.get("notes", [])))

    def empty(self) -> bool:
        return not (self.loads or self.faults or self.bad_inputs)


FIGURES = Figures()


def report(fig: Figures) -> str:
    """The figures as the lines the terminal summary and ``bench/hardening.py`` print."""
    out: list[str] = []
    if fig.loads:
        out.append("Requests held (local engine under concurrent load):")
        for x in fig.loads:
            rss = ""
            if x.rss_before_mb is not None and x.rss_after_mb is not None:
                grew = x.rss_after_mb - x.rss_before_mb
                rss = f" · RSS {x.rss_before_mb:.0f} → {x.rss_after_mb:.0f} MB ({grew:+.0f})"
            other = f" · other {x.other}" if x.other else ""
            out.append(f"  {x.name}: sent {x.sent} · accepted {x.accepted} · 429 {x.refused_429} · "
                       f"completed valid {x.completed_valid}/{x.accepted}{other} · {x.seconds:.1f} s{rss}")
    if fig.faults:
        survived = [f for f in fig.faults if f.message_ok and f.usable_after]
        intact = [f for f in fig.faults if f.inputs_intact]
        out.append(f"Faults survived: {len(survived)}/{len(fig.faults)} (clear message and usable afterwards); "
                   f"inputs intact after {len(intact)}/{len(fig.faults)}")
        for f in fig.faults:
            mark = "ok " if f.message_ok and f.usable_after and f.inputs_intact else "NO "
            out.append(f"  {mark} [{f.level}] {f.name}")
    if fig.bad_inputs:
        specific = [b for b in fig.bad_inputs if b.specific]
        levels = sorted({b.level for b in fig.bad_inputs})
        out.append(f"Bad inputs tried: {len(fig.bad_inputs)} ({', '.join(levels)}); specific answer for "
                   f"{len(specific)}/{len(fig.bad_inputs)}, tracebacks 0" if len(specific) == len(fig.bad_inputs)
                   else f"Bad inputs tried: {len(fig.bad_inputs)}; specific answer for {len(specific)}")
        for b in fig.bad_inputs:
            outcome = " ".join(b.outcome.split())  # one line, whatever the message's layout
            out.append(f"  {'ok ' if b.specific else 'NO '} [{b.level}] {b.name}: {outcome[:110]}")
    lost = [f for f in fig.faults if not f.inputs_intact]
    if fig.faults:
        out.append("Nothing lost: every field the user typed was intact after every fault." if not lost
                   else f"LOST input after: {', '.join(f.name for f in lost)}")
    out.extend(fig.notes)
    return "\n".join(out)


def save(fig: Figures, path: Path = FIGURES_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(fig.to_json(), encoding="utf-8")
