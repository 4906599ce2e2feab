"""Which databases the suite runs on: PostgreSQL must never be skipped silently in CI."""

from __future__ import annotations

import pytest

from tests.pg import PostgresUnavailable, database_backends, postgres_required

URL = "postgresql+psycopg://u:p@localhost:5432/postgres"


def test_sqlite_only_on_a_developer_machine_without_postgres() -> None:
    assert database_backends({}) == ["sqlite"]
    assert database_backends({"CI": "false"}) == ["sqlite"]


def test_both_backends_when_make_test_provides_postgres() -> None:
    assert database_backends({"SOHOA_TEST_POSTGRES_URL": URL}) == ["sqlite", "postgresql"]
    assert database_backends({"SOHOA_TEST_POSTGRES_URL": URL, "CI": "true"}) == ["sqlite", "postgresql"]


@pytest.mark.parametrize("environ", [{"CI": "true"}, {"CI": "1"}, {"SOHOA_TEST_REQUIRE_POSTGRES": "1"}])
def test_missing_postgres_is_an_error_when_required(environ: dict[str, str]) -> None:
    assert postgres_required(environ)
    with pytest.raises(PostgresUnavailable, match=r"run-tests\.sh"):
        database_backends(environ)
