"""Vietnamese text survives a round trip on every database the suite runs on."""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import text

from sohoa.core.db import make_engine
from tests.pg import PostgresUnavailable, fresh_postgres_database
from tests.ports import free_port

SAMPLE = unicodedata.normalize("NFC", "Giấy khai sinh — Nguyễn Thị Hồng Nhung, Đắk Lắk, ỹ ỵ ữ")


def test_vietnamese_text_round_trips(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                assert conn.execute(text("SHOW server_encoding")).scalar() == "UTF8"
            conn.execute(text("CREATE TEMPORARY TABLE vn (s TEXT)"))
            conn.execute(text("INSERT INTO vn (s) VALUES (:s)"), {"s": SAMPLE})
            assert conn.execute(text("SELECT s FROM vn")).scalar() == SAMPLE
            assert conn.execute(text("SELECT count(*) FROM vn WHERE s LIKE :p"),
                                {"p": "%Hồng Nhung%"}).scalar() == 1
    finally:
        engine.dispose()


def test_unreachable_postgres_is_reported_as_such() -> None:
    url = f"postgresql+psycopg://u:secret@127.0.0.1:{free_port()}/postgres?connect_timeout=2"
    with pytest.raises(PostgresUnavailable, match="cannot reach PostgreSQL") as info, fresh_postgres_database(url):
        pass
    assert "secret" not in str(info.value)
