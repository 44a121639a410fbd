"""Print how model names resolve by the catalog's rules, as the README's name rule table.

    python scripts/name_rules.py                 # the README's example names
    python scripts/name_rules.py qwen-plus-2025-09-11 qwen3-32b
"""

from __future__ import annotations

import sys

from structured_output.catalog import rule_table

# Every name form the reference describes: a base name, -latest, dated snapshots after and before a
# mode's date, an exclusion, open-source family members and their thinking/instruct variants, a name
# listed for one mode only, and a name no rule covers.
EXAMPLE_NAMES = [
    "qwen-plus", "qwen-plus-latest", "qwen-plus-2025-09-11", "qwen-plus-2025-01-25", "qwen-plus-2024-09-19",
    "qwen3-max-2025-12-01", "qwen3-max-preview", "qwen-flash-2025-09-11", "qwen-turbo-2025-04-28",
    "qwen-max-2024-09-19", "qwen3-vl-plus-2025-12-19", "qwen3-coder-plus-2025-09-23", "qwen-long",
    "qwen-vl-max-latest", "qwen-vl-plus-2025-05-07", "qwen3-32b", "qwen3-235b-a22b-thinking-2507",
    "qwen3-235b-a22b-instruct-2507", "qwen3-vl-235b-a22b-thinking", "qwen2.5-math-7b-instruct", "deepseek-v3.2",
    "kimi-k2-thinking", "gpt-4o",
]

if __name__ == "__main__":
    print(rule_table(sys.argv[1:] or EXAMPLE_NAMES))
