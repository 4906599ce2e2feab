"""PostgreSQL for the test suite: which databases to run on, and a fresh database per test.

`scripts/run-tests.sh` (what `make test` and CI run) wraps pytest in Debian's `pg_virtualenv`,
which exports SOHOA_TEST_POSTGRES_URL; every test taking `database_url` then runs on SQLite
and on PostgreSQL. Without it, only SQLite — except in CI (CI=true) or when
SOHOA_TEST_REQUIRE_POSTGRES=1, where a missing PostgreSQL is an error, never a silent skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

ENV_URL = "SOHOA_TEST_POSTGRES_URL"
_TRUE = {"1", "true", "yes", "on"}


class PostgresUnavailable(RuntimeError):
    """PostgreSQL was expected for the test run but is not there."""


def postgres_required(environ: Mapping[str, str] = os.environ) -> bool:
    return (environ.get("CI", "").lower() in _TRUE
            or environ.get("SOHOA_TEST_REQUIRE_POSTGRES", "").lower() in _TRUE)


def database_backends(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The `database_url` fixture's params: SQLite always, PostgreSQL when provided or required."""
    if environ.get(ENV_URL):
        return ["sqlite", "postgresql"]
    if postgres_required(environ):
        raise PostgresUnavailable(
            f"{ENV_URL} is not set but PostgreSQL is required (CI=true or "
            "SOHOA_TEST_REQUIRE_POSTGRES=1): run the suite through scripts/run-tests.sh "
            "(`make test`), which starts a throwaway cluster with pg_virtualenv")
    return ["sqlite"]


@contextmanager
def fresh_postgres_database(server_url: str, template: str = "template0") -> Iterator[str]:
    """A uniquely named UTF-8 database, dropped afterwards even if connections linger.

    ``template``: the database it is a copy of, empty by default; a migrated one
    (``migrated_template``) spares each test the migrations (~1 s each on PostgreSQL)."""
    name = f"sohoa_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            # explicit encoding: Vietnamese text must never land in SQL_ASCII, whatever
            # locale the cluster was created under (a copy keeps its template's, UTF-8 too).
            conn.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\" ENCODING 'UTF8'"))
    except OperationalError as exc:
        admin.dispose()
        raise PostgresUnavailable(f"cannot reach PostgreSQL at {_safe(server_url)}: {exc.orig}") from exc
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def migrated_template(server_url: str, migrate: Callable[[str], None]) -> Iterator[str]:
    """A database brought to the newest schema by ``migrate`` once, for tests to copy
    (``fresh_postgres_database(url, template=name)``); yields its name. ``migrate`` leaves
    no connection open (the migrations' engine is disposed): PostgreSQL copies a database
    only while nobody is connected to it."""
    with fresh_postgres_database(server_url) as url:
        migrate(url)
        yield make_url(url).database or ""


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
