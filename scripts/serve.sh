#!/usr/bin/env bash
# Start caisse on the embedded default (a SQLite file in ./var/caisse.db), on 127.0.0.1:8000.
# Set DATABASE_URL for PostgreSQL; extra arguments go to `caisse serve`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
exec caisse serve "$@"
