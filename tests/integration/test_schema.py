from __future__ import annotations

from sqlalchemy import inspect

from sohoa.core.db import make_engine


def test_migrations_create_every_table(database_url: str) -> None:
    engine = make_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"batches", "documents", "batch_items", "pages", "stored_files", "api_keys", "audit_events"} <= tables
