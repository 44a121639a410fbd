"""Fill in the schema of the presets whose call goes through ``client.chat.completions.parse``.

Those presets keep the reference's Pydantic class verbatim (``parse_model.source``). This script
runs that class through the installed openai SDK's own conversion,
``openai.lib._parsing._completions.type_to_response_format_param`` (which calls
``openai.lib._pydantic.to_strict_json_schema``), so the stored ``schema``, ``schema_name`` and
``strict`` are exactly what ``parse`` puts on the wire, and records the SDK and pydantic versions.

It executes the class source, so it only ever reads the shipped ``presets/`` folder; the product
never executes preset content. ``tests/domain/test_presets.py`` re-runs the conversion to check
the stored schemas are current.

Usage: .venv/bin/python scripts/make_parse_schemas.py [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PRESETS = ROOT / "presets"


def sdk_response_format(source: str, class_name: str) -> dict[str, Any]:
    """The ``response_format`` the openai SDK's ``parse`` sends for the class defined in ``source``."""
    import openai
    import pydantic
    from openai.lib._parsing._completions import type_to_response_format_param

    namespace: dict[str, Any] = {}
    # dont_inherit: this file's `from __future__ import annotations` must not turn the class's hints into strings
    exec(compile(source, f"<parse_model {class_name}>", "exec", dont_inherit=True), namespace)
    rf = type_to_response_format_param(namespace[class_name])
    assert isinstance(rf, dict)
    out = dict(rf)
    out["generated_by"] = (f"openai.lib._parsing._completions.type_to_response_format_param({class_name}) "
                           f"(to_strict_json_schema) with openai {openai.__version__}, "
                           f"pydantic {pydantic.VERSION}: scripts/make_parse_schemas.py")
    return out


def update(path: Path, check: bool) -> bool:
    """Rewrite one preset file's schema; returns True when it changed (or would change)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    model = data.get("parse_model")
    if not model or model.get("language", "python") != "python":
        # zod forms (Node.js) are checked by running the reference's Node.js code against a recording
        # server: tests/domain/test_presets_reference.py
        return False
    rf = sdk_response_format(model["source"], model["name"])
    js = rf["json_schema"]
    new = dict(data, schema_name=js["name"], strict=js["strict"], schema=js["schema"])
    new["parse_model"] = dict(model, schema_generated_by=rf["generated_by"])
    changed = {k: new[k] for k in ("schema_name", "strict", "schema")} != {
        k: data.get(k) for k in ("schema_name", "strict", "schema")}
    if not check and new != data:
        path.write_text(json.dumps(new, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only report presets whose schema is out of date")
    args = ap.parse_args()
    stale = [p.name for p in sorted(PRESETS.glob("*.json")) if update(p, args.check)]
    verb = "out of date" if args.check else "updated"
    print(f"{verb}: {', '.join(stale) or 'none'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
