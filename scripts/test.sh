#!/usr/bin/env bash
# The whole check: lint, types, layer rule, then the test suite on SQLite AND PostgreSQL.
# PostgreSQL: CAISSE_PG_URL (default: the local server, database "test"); it is started
# if it is down. Set CAISSE_SKIP_PG=1 to run on SQLite only (never in CI).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
PG_URL="${CAISSE_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"

echo "== ruff"; ruff check app tests bench migrations
echo "== mypy --strict"; mypy
echo "== import-linter"; lint-imports

ensure_postgres() {
    if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return 0; fi
    echo "PostgreSQL is down: starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return 0; sleep 1; done
    echo "PostgreSQL did not start" >&2; return 1
}

echo "== tests on SQLite"
CAISSE_TEST_DATABASE=sqlite HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}" \
    python -m pytest -q -p no:cacheprovider "$@"
if [ "${CAISSE_SKIP_PG:-0}" != "1" ]; then
    ensure_postgres
    echo "== tests on PostgreSQL"
    CAISSE_TEST_DATABASE="$PG_URL" HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}" \
        python -m pytest -q -p no:cacheprovider --ignore=tests/engine --ignore=tests/scenarios "$@"
fi
