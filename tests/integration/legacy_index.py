"""An embedded index file as an older sohoa wrote it, for the upgrade tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def write_legacy_index(path: Path) -> None:
    """An index file as sohoa wrote it before schema 3 (exact/folded FTS with its content)."""
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            PRAGMA journal_mode = WAL;
            CREATE TABLE search_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO search_meta VALUES ('current_version', '1'), ('schema', '2');
            CREATE TABLE docs_v1 (document_id TEXT PRIMARY KEY, agency_code TEXT, procedure_code TEXT,
                uploaded_day TEXT, status TEXT, filename TEXT, doc_type TEXT, valid_from TEXT, valid_until TEXT,
                permanent INTEGER, legal_status TEXT, issue_date TEXT);
            CREATE TABLE pages_v1 (id INTEGER PRIMARY KEY, document_id TEXT NOT NULL, page INTEGER NOT NULL,
                text TEXT NOT NULL, needs_review INTEGER NOT NULL DEFAULT 0, UNIQUE (document_id, page));
            CREATE TABLE doc_batches_v1 (batch_id TEXT NOT NULL, document_id TEXT NOT NULL,
                PRIMARY KEY (batch_id, document_id));
            CREATE TABLE doc_owners_v1 (owner_id TEXT NOT NULL, document_id TEXT NOT NULL,
                PRIMARY KEY (owner_id, document_id));
            CREATE VIRTUAL TABLE fts_v1 USING fts5(exact, folded, tokenize='unicode61 remove_diacritics 0');
            INSERT INTO docs_v1 (document_id, status) VALUES ('d-old', 'indexed');
            INSERT INTO pages_v1 VALUES (1, 'd-old', 1, 'hồ sơ cũ', 0);
            INSERT INTO fts_v1 (rowid, exact, folded) VALUES (1, 'hồ sơ cũ', 'ho so cu');
        """)
