#!/usr/bin/env bash
# Shared by scripts/serve.sh and scripts/test.sh: create or refresh the project's own
# virtual environment (.venv) so that a fresh machine needs no manual step.
# CAISSE_EXTRAS says what to install: "" (the service's own dependencies: serve.sh) or "dev"
# (the tools and test libraries as well: test.sh). A venv with the dev extras serves too, so
# serve.sh after test.sh installs nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
EXTRAS="${CAISSE_EXTRAS:-dev}"
HASH="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
STAMP_DEV="$VENV/.installed-$HASH-dev"
STAMP_RUNTIME="$VENV/.installed-$HASH-runtime"
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
if [ "$EXTRAS" = "dev" ]; then
    if [ ! -f "$STAMP_DEV" ]; then
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e "$ROOT[dev]"
        rm -f "$VENV"/.installed-*
        touch "$STAMP_DEV" "$STAMP_RUNTIME"
    fi
elif [ ! -f "$STAMP_RUNTIME" ]; then
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT"
    rm -f "$VENV"/.installed-*
    touch "$STAMP_RUNTIME"
fi
export PATH="$VENV/bin:$PATH"
