#!/usr/bin/env bash
# Runs the playground on http://localhost:8501 with the offline local engine as the default endpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/streamlit run app.py --server.headless true --browser.gatherUsageStats false "$@"
