#!/usr/bin/env bash
# Creates/updates .venv with everything the project needs. Idempotent: a stamp of pyproject.toml
# skips pip when nothing changed. With --test it also installs the system packages the tests use.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
# llama-cpp-python is compiled from source: a portable build is about twice as fast as a native one,
# and pip keeps the built wheel in its cache so a second set-up does not compile again.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi

stamp=.venv/.setup-stamp
want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing Python packages into .venv (the first time compiles llama-cpp-python: ~6 min)"
  .venv/bin/python -m pip install --quiet --progress-bar off -e ".[dev]"
  echo "$want" > "$stamp"
fi

# Debian packages: tesseract (the local engine reads text in images with it, English and Chinese) for
# both commands; chromium for the browser tests only.
need=()
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
dpkg -s tesseract-ocr-chi-sim >/dev/null 2>&1 || need+=(tesseract-ocr-chi-sim)
if [ "${1:-}" = "--test" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null; }; then
    if [ "${1:-}" = "--test" ]; then
      echo "error: could not install ${need[*]} with apt-get (run as root or with sudo)" >&2
      exit 1
    fi
    echo "warning: could not install ${need[*]}; the local engine will not read text in images" >&2
  fi
fi
