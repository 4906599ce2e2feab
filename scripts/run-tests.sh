#!/usr/bin/env bash
# Runs the whole suite. When Debian's pg_virtualenv is available, the suite runs inside a
# throwaway PostgreSQL cluster so the database tests run on PostgreSQL as well as SQLite.
# pytest's exit code 5 ("no tests collected") is turned into a loud failure: a suite that
# silently tests nothing must never look green.
set -uo pipefail
cd "$(dirname "$0")/.."
# Two pytest processes (pytest-xdist), each test file whole in one of them (its module fixtures
# start once) and the browser tests together in one (groups: tests/conftest.py): the suite
# spends most of its time waiting on programs (stacks, Tesseract, OpenSearch, Chromium), so
# two processes on two cores take ~17 instead of ~23 minutes (three: 18). SOHOA_TEST_PROCESSES=0 runs it
# in this process alone.
PYTEST=(.venv/bin/python -m pytest -n "${SOHOA_TEST_PROCESSES:-2}" --dist loadgroup "$@")

# Static checks first, each failing the run: the import layers (import-linter contracts in
# pyproject.toml), lint (ruff) and types (mypy), on the whole tree.
static_failed=0
for check in ".venv/bin/lint-imports --no-cache" ".venv/bin/ruff check --no-cache ." ".venv/bin/mypy"; do
  echo "== $check"
  $check || static_failed=1
done
if [[ $static_failed -ne 0 ]]; then
  echo "ERROR: static checks failed (see above); the test suite was not run" >&2
  exit 1
fi

# The real OpenSearch node of the tests: built once into .cache/ (a no-op after that), here so
# that a missing JDK or Maven, or an unreachable Maven Central, is reported before the tests.
echo "== OpenSearch test node"
if ! .venv/bin/python -m tests.opensearch_node build; then
  echo "ERROR: the OpenSearch test node did not build (make test installs a JDK and Maven)" >&2
  exit 1
fi

if command -v pg_virtualenv >/dev/null 2>&1 && [[ -z "${SOHOA_TEST_NO_POSTGRES:-}" ]]; then
  # pg_virtualenv exports PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE for the inner command.
  # -t: a private temp dir even as root (root's default is the fixed /etc/postgresql/*/regress,
  #     which a concurrent or killed earlier run leaves behind: "refusing to overwrite").
  # -i: UTF-8 whatever the caller's locale (without LANG, initdb picks SQL_ASCII).
  # -o: durability off (pg_virtualenv already sets fsync=off), it is a throwaway cluster.
  # PGPORT: a free port of our own; two runs starting at once would otherwise pick the same.
  PGPORT="$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  export PGPORT
  pg_virtualenv -t -i '--encoding=UTF8 --locale=C.UTF-8' \
      -o synchronous_commit=off -o full_page_writes=off -- bash -c '
    export SOHOA_TEST_POSTGRES_URL="postgresql+psycopg://${PGUSER}:${PGPASSWORD}@${PGHOST}:${PGPORT}/${PGDATABASE}"
    exec "$@"' _ "${PYTEST[@]}"
  rc=$?
else
  echo "pg_virtualenv not found: database tests run on SQLite only (make test installs it)" >&2
  "${PYTEST[@]}"
  rc=$?
fi

if [[ $rc -eq 5 ]]; then
  echo "ERROR: pytest collected no tests (exit code 5); failing instead of passing silently" >&2
  exit 1
fi
exit $rc
