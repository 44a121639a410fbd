#!/usr/bin/env bash
# Runs the playground on http://localhost:8501 with the offline local engine as the default endpoint.
# It listens on 127.0.0.1 only: anyone who can reach the app can spend the DASHSCOPE_API_KEY it was
# started with. `--network` (or SOP_SERVER_ADDRESS=0.0.0.0) opens it to the network on purpose.
set -euo pipefail
cd "$(dirname "$0")/.."
address=${SOP_SERVER_ADDRESS:-127.0.0.1}
args=()
for arg in "$@"; do
  if [ "$arg" = "--network" ]; then address=0.0.0.0; else args+=("$arg"); fi
done
bash scripts/setup.sh
exec .venv/bin/streamlit run app.py --server.headless true --browser.gatherUsageStats false \
  --server.address "$address" "${args[@]}"
