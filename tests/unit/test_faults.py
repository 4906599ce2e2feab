"""Transient or permanent: the real exceptions of each library, classified in one place."""

from __future__ import annotations

import errno
import sqlite3
import subprocess

import psycopg
import pytest
import redis
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from search.errors import DocumentRejected, SearchUnavailable
from sohoa.core.errors import CorruptFile, EncryptedPdf, ImageTooLarge
from sohoa.core.faults import TransientFault, WorkerShutdown, is_transient, transient_code
from sohoa.core.vocab import FaultCode
from tests.ports import free_port


def raised(call) -> BaseException:
    with pytest.raises(BaseException) as info:
        call()
    return info.value


def test_redis_unreachable_is_transient() -> None:
    client = redis.Redis(port=free_port(), socket_connect_timeout=0.5)
    assert transient_code(raised(client.ping)) == FaultCode.REDIS_UNAVAILABLE


def test_rq_shutdown_handlers_redis_error_is_transient() -> None:
    """What RQ's SIGTERM handler raised inside the job when Redis was gone (finding 1)."""
    assert transient_code(redis.exceptions.ConnectionError("Error 111 connecting")) == FaultCode.REDIS_UNAVAILABLE
    assert transient_code(redis.exceptions.TimeoutError("Timeout reading")) == FaultCode.REDIS_UNAVAILABLE


def test_database_unreachable_is_transient() -> None:
    engine = create_engine(f"postgresql+psycopg://u:p@127.0.0.1:{free_port()}/db",
                           connect_args={"connect_timeout": 1})
    exc = raised(lambda: engine.connect().close())
    assert isinstance(exc, OperationalError)
    assert transient_code(exc) == FaultCode.DATABASE_UNAVAILABLE


def test_database_disk_full_is_disk_full(tmp_path) -> None:
    wrapped = OperationalError("INSERT ...", {}, sqlite3.OperationalError("database or disk is full"))
    assert transient_code(wrapped) == FaultCode.DISK_FULL
    pg = OperationalError("INSERT ...", {}, psycopg.errors.DiskFull("could not extend file"))
    assert transient_code(pg) == FaultCode.DISK_FULL


def test_integrity_errors_are_not_transient(tmp_path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    with engine.begin() as conn:
        exc = raised(lambda: conn.execute(text("INSERT INTO t VALUES (1)")))
    assert isinstance(exc, IntegrityError) and transient_code(exc) is None


def test_no_space_and_quota_are_disk_full(tmp_path) -> None:
    assert transient_code(OSError(errno.ENOSPC, "No space left on device")) == FaultCode.DISK_FULL
    assert transient_code(OSError(errno.EDQUOT, "Disk quota exceeded")) == FaultCode.DISK_FULL
    assert transient_code(OSError(errno.EIO, "Input/output error")) == FaultCode.STORAGE_UNAVAILABLE


def test_a_content_error_caused_by_a_full_disk_is_the_disk() -> None:
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as exc:
            raise CorruptFile("could not read the page") from exc
    except CorruptFile as outer:
        assert transient_code(outer) == FaultCode.DISK_FULL


@pytest.mark.parametrize("exc", [CorruptFile("bad"), EncryptedPdf("locked"), ImageTooLarge("huge"),
                                 ValueError("x"), FileNotFoundError(errno.ENOENT, "gone"),
                                 subprocess.TimeoutExpired(["tesseract"], 180), MemoryError(),
                                 DocumentRejected("mapping", document_ids=["a"])])
def test_content_problems_and_bugs_are_permanent(exc: BaseException) -> None:
    assert not is_transient(exc)


def test_search_and_shutdown_faults() -> None:
    assert transient_code(SearchUnavailable("down")) == FaultCode.SEARCH_UNAVAILABLE
    assert transient_code(OpenSearchConnectionError("N/A", "refused", None)) == FaultCode.SEARCH_UNAVAILABLE
    assert transient_code(WorkerShutdown()) == FaultCode.WORKER_SHUTDOWN
    assert transient_code(TransientFault(FaultCode.DISK_FULL, "full")) == FaultCode.DISK_FULL
    assert transient_code(ConnectionRefusedError(errno.ECONNREFUSED, "refused")) == FaultCode.SERVICE_UNAVAILABLE
