"""Running a preset as the reference runs it, and setting each call beside what the reference documents.

Most presets are one call. The FAQ's thinking-mode preset is a flow: a thinking-mode answer, then
(only when that answer does not parse) a repair call in JSON Object mode on a fast model. The presets
page shows every step, so the flow lives here, without Streamlit: the page passes a ``runner`` (its
own streaming ``run_with_progress``), tests pass ``clients.run`` or a fake.

``compare_to_documented`` answers the page's question for one call: did the live run have the kind of
outcome the reference documents, does an error carry the documented text, and how does the live JSON
differ from the documented JSON (keys missing or extra, types, values)?
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from structured_output.diff import DocumentedDiffRow, diff_counts, documented_diff, documented_values_found
from structured_output.presets import (
    Documented,
    Expectation,
    Preset,
    followup_needed,
    followup_request,
    outcome_problems,
    preset_to_request,
)
from structured_output.request import Request
from structured_output.result import RunResult

Runner = Callable[[Request], RunResult]


@dataclass
class PresetStep:
    """One call of a preset: what is sent, what the reference documents, and (once run) the result.

    ``needed`` is whether the reference would make this call after the previous result (a repair step
    only runs when the previous answer does not parse); ``result`` stays ``None`` for a step that was
    skipped, and ``skip_reason`` says why in words the page can show.
    """

    index: int
    title: str
    description: str
    request: Request
    documented: Documented | None
    expect: Expectation
    needed: bool = True
    result: RunResult | None = None
    skip_reason: str = ""

    @property
    def ran(self) -> bool:
        return self.result is not None


@dataclass
class DocumentedComparison:
    """A live result set beside the documented one.

    ``problems``: how the outcome differs from the expected kind (empty when it matches).
    ``rows``: the key-by-key differences, or ``None`` when there is nothing to compare that way
    (``note`` says why). ``error_matches``: for a documented error text, whether the live error
    message is word for word the same; ``None`` when the reference quotes no error text.
    """

    problems: list[str]
    rows: list[DocumentedDiffRow] | None
    note: str = ""
    error_matches: bool | None = None
    counts: dict[str, int] = field(default_factory=dict)
    values_found: tuple[int, int] = (0, 0)  # documented keyed values the live result holds anywhere

    @property
    def outcome_ok(self) -> bool:
        return not self.problems


def first_step_title(preset: Preset) -> str:
    """A flow's first call has no title of its own in the file: name it by what it sends."""
    if not preset.followups:
        return preset.title
    thinking = {True: ", thinking on", False: ", thinking off"}.get(preset.enable_thinking, "")
    mode = "no response_format" if preset.mode == "none" else f"response_format {preset.mode}"
    return f"{preset.model}, {mode}{thinking}"


def run_preset(preset: Preset, runner: Runner, *, endpoint: str = "local", custom_base_url: str = "",
               run_unneeded: bool = False) -> list[PresetStep]:
    """Run every step of ``preset`` through ``runner`` and return them in order.

    A follow-up the reference would not make (the repair of an answer that already parses) is
    skipped unless ``run_unneeded``; a follow-up after a failed call is always skipped, since it
    would have nothing to work on.
    """
    first = PresetStep(0, first_step_title(preset), preset.description, preset_to_request(preset, endpoint,
                       custom_base_url), preset.documented, preset.expect)
    first.result = runner(first.request)
    steps = [first]
    previous = first.result
    for i, follow in enumerate(preset.followups):
        content = previous.content if previous is not None else None
        req = followup_request(preset, i, content or "", endpoint, custom_base_url)
        step = PresetStep(i + 1, follow.title, follow.description, req, follow.documented, follow.expect)
        steps.append(step)
        if previous is None or previous.error is not None or content is None:
            step.needed = False
            step.skip_reason = "Not run: the previous step returned no answer to work on."
            previous = None
            continue
        step.needed = followup_needed(follow, previous)
        if not step.needed and not run_unneeded:
            step.skip_reason = ("Not run: the previous answer already parses as JSON, so the reference would "
                                "not call the repair step.")
            previous = None
            continue
        step.result = runner(req)
        previous = step.result
    return steps


def compare_to_documented(documented: Documented | None, expect: Expectation,
                          result: RunResult) -> DocumentedComparison:
    """``result`` beside ``documented``: outcome problems, the error text check, and the JSON diff."""
    problems = outcome_problems(expect, result)
    error_matches: bool | None = None
    if result.error is not None and documented is not None and documented.kind == "error":
        error_matches = result.error.message.strip() == documented.return_result.strip()
    if documented is None or not documented.has_value:
        why = {None: "This preset records no documented result",
               "error": "The reference documents an error for this call, not JSON"}.get(
            documented.kind if documented is not None else None,
            "The reference shows no JSON for this call (it describes the behaviour)")
        return DocumentedComparison(problems, None, f"{why}, so there is nothing to compare key by key.",
                                    error_matches)
    if result.error is not None:
        return DocumentedComparison(problems, None, "The live call failed, so there is no JSON to compare.",
                                    error_matches)
    if result.parse is None or not result.parse.ok:
        return DocumentedComparison(problems, None, "The live output does not parse as JSON, so it cannot be "
                                    "compared key by key; compare the two texts instead.", error_matches)
    rows = documented_diff(documented.value, result.parse.value)
    return DocumentedComparison(problems, rows, "", error_matches, diff_counts(rows),
                                documented_values_found(documented.value, result.parse.value))


def counts_text(counts: dict[str, int]) -> str:
    """``"2 missing, 1 value"``: the non-zero kinds in a fixed order, for a one-line summary."""
    return ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
