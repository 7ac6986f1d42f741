#!/usr/bin/env bash
# Start caisse on the embedded default (a SQLite file in ./var/caisse.db; CAISSE_DATA_DIR moves
# all state), on 127.0.0.1:8000. Installs only what the service needs (not the test tools).
# Set DATABASE_URL for PostgreSQL; extra arguments go to `caisse serve`.
set -euo pipefail
export CAISSE_EXTRAS="${CAISSE_EXTRAS:-}"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
exec caisse serve "$@"
