#!/usr/bin/env bash
# Runs the whole suite. When Debian's pg_virtualenv is available, the suite runs inside a
# throwaway PostgreSQL cluster so the database tests run on PostgreSQL as well as SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTEST=(.venv/bin/python -m pytest "$@")

if command -v pg_virtualenv >/dev/null 2>&1 && [[ -z "${SOHOA_TEST_NO_POSTGRES:-}" ]]; then
  # pg_virtualenv exports PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE for the inner command.
  exec pg_virtualenv -- bash -c '
    export SOHOA_TEST_POSTGRES_URL="postgresql+psycopg://${PGUSER}:${PGPASSWORD}@${PGHOST}:${PGPORT}/${PGDATABASE}"
    exec "$@"' _ "${PYTEST[@]}"
fi
exec "${PYTEST[@]}"
