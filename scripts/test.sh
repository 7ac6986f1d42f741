#!/usr/bin/env bash
# The whole check: lint, types, layer rule, then the test suite on SQLite AND PostgreSQL.
# PostgreSQL: CAISSE_PG_URL (default: the local server, database "test"); it is started
# if it is down. Set CAISSE_SKIP_PG=1 to run on SQLite only (never in CI). The page tests need
# Debian's chromium and chromium-driver: installed with apt-get when missing.
# The tests run on both cores (pytest-xdist, one file per worker at a time). The long crash
# tests (marker ``slow``) are left out of a developer's run; CI (.ci/run) sets CAISSE_SLOW=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
PG_URL="${CAISSE_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
PYTEST=(python -m pytest -q -p no:cacheprovider -n "${CAISSE_TEST_WORKERS:-2}" --dist loadfile)
if [ "${CAISSE_SLOW:-0}" = "1" ]; then PYTEST+=(-m ""); fi

echo "== ruff"; ruff check app tests bench
echo "== mypy --strict"; mypy
echo "== import-linter"; lint-imports

ensure_postgres() {
    if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return 0; fi
    echo "PostgreSQL is down: starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return 0; sleep 1; done
    echo "PostgreSQL did not start" >&2; return 1
}

ensure_browser() {
    # The page tests drive Debian's Chromium through Debian's chromedriver (nothing is
    # downloaded at test time). Installed here when missing, as root on Debian.
    if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
        return 0
    fi
    echo "Chromium or chromedriver is missing: installing Debian's packages"
    if [ "$(id -u)" != "0" ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
}
ensure_browser

echo "== tests on SQLite"
CAISSE_TEST_DATABASE=sqlite HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}" \
    "${PYTEST[@]}" "$@"
if [ "${CAISSE_SKIP_PG:-0}" != "1" ]; then
    ensure_postgres
    echo "== tests on PostgreSQL"
    CAISSE_TEST_DATABASE="$PG_URL" HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}" \
        "${PYTEST[@]}" --ignore=tests/engine --ignore=tests/scenarios "$@"
fi
