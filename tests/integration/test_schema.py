from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from sohoa.core.db import make_engine
from sohoa.core.models import Base


def test_migrations_create_every_table(database_url: str) -> None:
    engine = make_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"batches", "documents", "batch_items", "pages", "stored_files", "api_keys", "audit_events",
            "users", "user_sessions", "sign_in_failures"} <= tables


def test_the_migrations_build_exactly_the_models(database_url: str) -> None:
    """A column, index or foreign key in the models but not in a migration (or the other
    way round) would work in tests built from the models and fail on a migrated database."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []
