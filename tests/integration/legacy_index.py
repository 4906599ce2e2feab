"""An embedded index file as an older sohoa wrote it, for the upgrade tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def write_legacy_index(path: Path, schema: int = 2) -> None:
    """An index file as sohoa wrote it in schema 2 (exact/folded FTS with its content) or 3
    (contentless FTS, the names and facets of the file's first record on the document)."""
    if schema == 3:
        _write_schema_3(path)
        return
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


def _write_schema_3(path: Path) -> None:
    """Schema 3's tables (``search/_sqlite_sql.py`` before names per part) with one document."""
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            PRAGMA journal_mode = WAL;
            CREATE TABLE search_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
            INSERT INTO search_meta VALUES ('current_version', '1'), ('schema', '3');
            CREATE TABLE docs_v1 (k INTEGER PRIMARY KEY, document_id TEXT NOT NULL UNIQUE, agency_code TEXT,
                procedure_code TEXT, uploaded_day TEXT, status TEXT, filename TEXT, doc_type TEXT, valid_from TEXT,
                valid_until TEXT, permanent INTEGER, legal_status TEXT, issue_date TEXT, names TEXT NOT NULL,
                tags TEXT NOT NULL);
            CREATE TABLE pages_v1 (id INTEGER PRIMARY KEY, text BLOB NOT NULL, needs_review INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE doc_batches_v1 (batch_id TEXT NOT NULL, k INTEGER NOT NULL, PRIMARY KEY (batch_id, k))
                WITHOUT ROWID;
            CREATE TABLE doc_owners_v1 (owner_id TEXT NOT NULL, k INTEGER NOT NULL, PRIMARY KEY (owner_id, k))
                WITHOUT ROWID;
            CREATE VIRTUAL TABLE fts_v1 USING fts5(t, content='', detail=none, columnsize=0,
                tokenize="unicode61 remove_diacritics 0 tokenchars '_'");
            INSERT INTO docs_v1 (k, document_id, status, names, tags)
                VALUES (1, 'd-old', 'indexed', '["Lê Văn Cũ"]', '');
            INSERT INTO pages_v1 VALUES (65537, CAST('hồ sơ cũ' AS BLOB), 0);
            INSERT INTO fts_v1 (rowid, t) VALUES (65537, 'ho so cu ho_so so_cu _le _van _cu _le_van _van_cu');
        """)
