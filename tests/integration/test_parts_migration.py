"""Migration 0008 on a database that holds records from before parts: same record ids, one
part per document over all its pages, candidates on that part; several records per document
allowed afterwards. SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from sohoa.core.db import MIGRATIONS_DIR
from tests.pg import database_backends


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@pytest.fixture(params=database_backends())
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    from tests.pg import fresh_postgres_database

    with fresh_postgres_database(os.environ["SOHOA_TEST_POSTGRES_URL"]) as url:
        yield url


def _old_rows(url: str) -> None:
    """Two processed documents with a record each (one a dossier component), one queued."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO batches (id, created_at) VALUES ('b1', CURRENT_TIMESTAMP)"))
        for doc, pages in (("d1", 3), ("d2", 1), ("d3", 0)):
            conn.execute(text(
                "INSERT INTO documents (id, sha256, size_bytes, mime_type, filename, original_path, first_batch_id, "
                "created_at, updated_at, status, pages_total, pages_done, attempts, index_state) VALUES "
                "(:id, :sha, 1, 'application/pdf', :id, :id, 'b1', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
                "'indexed', :n, :n, 1, 'indexed')"), {"id": doc, "sha": doc * 32, "n": pages})
            for number in range(1, pages + 1):
                conn.execute(text("INSERT INTO pages (document_id, number, status, needs_review, text) VALUES "
                                  "(:d, :n, 'done', false, 'văn bản')"), {"d": doc, "n": number})
        for rid, doc, kind in (("r1", "d1", "result"), ("r2", "d2", "dossier_component")):
            conn.execute(text(
                "INSERT INTO records (id, document_id, kind, doc_type, approved, legal_status, review_state, "
                "created_at, updated_at, owner_id) VALUES (:id, :doc, :kind, 'quyet_dinh', true, 'in_force', "
                "'confirmed', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '001085000111')"),
                {"id": rid, "doc": doc, "kind": kind})
        conn.execute(text(
            "INSERT INTO extracted_fields (document_id, name, value, confidence, valid, created_at, segment, chosen) "
            "VALUES ('d1', 'doc_no', '12/QĐ-UBND', 0.9, true, CURRENT_TIMESTAMP, 0, true)"))
        conn.execute(text(
            "INSERT INTO record_corrections (record_id, field, old_value, new_value, at) VALUES "
            "('r1', 'owner_name', 'Le Van An', 'Lê Văn An', CURRENT_TIMESTAMP)"))
    engine.dispose()


def revision_before_parts(config: Config) -> str:
    before = ScriptDirectory.from_config(config).get_revision("0008").down_revision
    assert isinstance(before, str)
    return before


def test_upgrade_keeps_record_ids_and_gives_each_document_one_part(empty_url: str) -> None:
    config = alembic_config(empty_url)
    before = revision_before_parts(config)
    command.upgrade(config, before)
    _old_rows(empty_url)
    command.upgrade(config, "head")
    engine = create_engine(empty_url)
    try:
        with engine.connect() as conn:
            parts = conn.execute(text(
                "SELECT document_id, position, first_page, last_page, kind, doc_type, source, confidence, id "
                "FROM parts ORDER BY document_id")).all()
            assert [tuple(p[:8]) for p in parts] == [
                ("d1", 0, 1, 3, "result", "quyet_dinh", "detected", 1.0),
                ("d2", 0, 1, 1, "component", "quyet_dinh", "detected", 1.0),
            ]  # d3 (nothing read yet) gets its parts from the job
            by_doc = {p[0]: p[8] for p in parts}
            records = conn.execute(text("SELECT id, document_id, part_id, review_state FROM records ORDER BY id")).all()
            assert [tuple(r) for r in records] == [("r1", "d1", by_doc["d1"], "confirmed"),
                                                   ("r2", "d2", by_doc["d2"], "confirmed")]
            assert conn.execute(text("SELECT part_id FROM extracted_fields")).scalar_one() == by_doc["d1"]
            corrections = conn.execute(text("SELECT record_id, new_value FROM record_corrections")).all()
            assert [tuple(c) for c in corrections] == [("r1", "Lê Văn An")]
            assert conn.execute(text("SELECT count(*) FROM pages WHERE separator")).scalar_one() == 0
        with engine.begin() as conn:  # a second part of d1 may now have its own record
            conn.execute(text(
                "INSERT INTO parts (id, document_id, position, first_page, last_page, kind, reasons, confidence, "
                "source, created_at, updated_at) VALUES ('p2', 'd1', 1, 3, 3, 'result', '[]', 0.8, 'detected', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO records (id, document_id, part_id, kind, approved, legal_status, review_state, "
                "created_at, updated_at) VALUES ('r3', 'd1', 'p2', 'result', true, 'in_force', 'extracted', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        with pytest.raises(IntegrityError), engine.begin() as conn:  # but one record per part
            conn.execute(text(
                "INSERT INTO records (id, document_id, part_id, kind, approved, legal_status, review_state, "
                "created_at, updated_at) VALUES ('r4', 'd1', 'p2', 'result', true, 'in_force', 'extracted', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
    finally:
        engine.dispose()
    command.downgrade(config, before)  # and back: the first part's record stays
    engine = create_engine(empty_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id FROM records ORDER BY id")).scalars().all() == ["r1", "r2"]
    finally:
        engine.dispose()
