"""The group-commit audit writer (``sohoa.services.audit_writer``), on SQLite and PostgreSQL:
the events of concurrent requests all written, several per transaction; nothing answered
before its event is committed; a failed commit fails its requests; a stopping writer writes
what is queued and refuses the rest.

The writer is held up for real: another connection holds the write lock (SQLite) or a lock
on the table that conflicts with inserts (PostgreSQL), as a long transaction would.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, func, select, text

from sohoa.core.models import AuditEvent
from sohoa.domain import audit
from sohoa.services import AuditNotWritten, Services, audit_writer

PURPOSE = "000.00.14.H56-230415-0012"
OWNER = "001085000111"


@contextmanager
def writes_held(database_url: str) -> Iterator[None]:
    """No audit event can be committed until the block ends."""
    if database_url.startswith("sqlite"):
        lite = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None)
        lite.execute("BEGIN IMMEDIATE")  # the database's one write lock
        try:
            yield
        finally:
            lite.execute("ROLLBACK")
            lite.close()
        return
    engine = create_engine(database_url)
    with engine.connect() as conn:
        conn.execute(text("LOCK TABLE audit_events IN SHARE MODE"))  # conflicts with INSERT
        try:
            yield
        finally:
            conn.rollback()
    engine.dispose()


def events(services: Services) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def event(i: int, **extra: object) -> dict[str, object]:
    return {**audit.event_values(None, "test.event", target_id=str(i)), **extra}


def settle(futures: list[Future[None]]) -> list[BaseException | None]:
    return [f.exception(timeout=30) for f in futures]


def test_events_queued_during_a_commit_share_the_next_one(services, settings):
    writer = services.audit
    with writes_held(settings.database_url):
        first = writer.submit(event(0))
        time.sleep(0.3)  # the writer took it and waits for the lock
        with ThreadPoolExecutor(10) as pool:
            rest = list(pool.map(lambda i: writer.submit(event(i)), range(1, 51)))
        time.sleep(0.3)
        assert not any(f.done() for f in [first, *rest]), "answered before its event was committed"
        assert events(services) == 0
    assert settle([first, *rest]) == [None] * 51
    assert events(services) == 51
    assert writer.commits == 2  # the first alone, then the fifty that waited, together


def test_sqlite_checkpoints_are_the_writers_own_out_of_its_turn(services, settings, monkeypatch):
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("a SQLite WAL matter")
    writer = services.audit
    monkeypatch.setattr(audit_writer, "CHECKPOINT_EVERY", 3)
    turn_free: list[bool] = []
    checkpoint = writer._checkpoint

    def checkpoint_seeing_the_turn() -> None:
        fd = os.open(writer.turns, os.O_RDWR)
        try:  # another process's writer could take its turn now
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            turn_free.append(True)
        except BlockingIOError:
            turn_free.append(False)
        finally:
            os.close(fd)
        checkpoint()

    monkeypatch.setattr(writer, "_checkpoint", checkpoint_seeing_the_turn)
    for i in range(7):
        writer.write(event(i))  # one commit each
    assert writer.commits == 7 and writer.checkpoints == 2 and turn_free == [True, True]
    with writer.engine.connect() as conn:  # commits never checkpoint in the writer's connections
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    assert events(services) == 7


def test_concurrent_writes_return_once_committed(services):
    def write(i: int) -> int:
        services.audit.write(event(i))
        with services.sessions() as session:  # visible to anyone as soon as write returns
            return session.scalar(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.target_id == str(i))) or 0

    with ThreadPoolExecutor(16) as pool:
        assert list(pool.map(write, range(200))) == [1] * 200
    assert events(services) == 200
    assert services.audit.commits <= 200


def test_one_bad_event_fails_alone(services, settings):
    writer = services.audit
    with writes_held(settings.database_url):
        good = [writer.submit(event(i)) for i in range(3)]
        bad = writer.submit(event(3, detail={"not json": object()}))
        more = writer.submit(event(4))
    results = settle([*good, bad, more])
    assert results[:3] == [None] * 3 and results[4] is None
    assert isinstance(results[3], AuditNotWritten) and results[3].status == 503
    assert events(services) == 4


def test_a_failed_commit_fails_every_waiting_event(services, settings):
    with services.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_events RENAME TO audit_events_away"))
    try:
        results = settle([services.audit.submit(event(i)) for i in range(5)])
        assert all(isinstance(r, AuditNotWritten) for r in results), results
        with pytest.raises(AuditNotWritten):
            services.audit.write(event(5))
    finally:
        with services.engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_events_away RENAME TO audit_events"))
    services.audit.write(event(6))  # the writer carries on once the database does
    assert events(services) == 1


class _Bug(BaseException):
    """What no ``except Exception`` catches (a bug: no database fails this way)."""


def test_a_bug_in_the_writer_fails_its_events_and_the_writer_goes_on(services, monkeypatch):
    writer = services.audit
    insert = writer._insert

    def dying(rows):
        monkeypatch.setattr(writer, "_insert", insert)  # once
        raise _Bug

    monkeypatch.setattr(writer, "_insert", dying)
    assert isinstance(writer.submit(event(0)).exception(timeout=30), AuditNotWritten)  # failed, not left waiting
    writer.write(event(1))  # the same thread, still there, writes the next
    assert events(services) == 1


def test_closing_writes_what_is_queued_and_refuses_the_rest(services, settings):
    writer = services.audit
    with writes_held(settings.database_url):
        queued = [writer.submit(event(i)) for i in range(10)]
        closing = threading.Thread(target=writer.close)
        closing.start()
        time.sleep(0.3)
        assert closing.is_alive(), "close returned with events still waiting"
        with pytest.raises(AuditNotWritten):
            writer.submit(event(10))
    closing.join(timeout=30)
    assert not closing.is_alive()
    assert settle(queued) == [None] * 10
    assert events(services) == 10


def test_coroutines_are_woken_with_their_batch(services, settings, monkeypatch):
    """``write_async``: the coroutines whose events share a commit are woken by one call into
    their loop; one whose request went away (cancelled) is skipped, its event written."""
    writer = services.audit
    wakes: list[int] = []
    settle_batch = audit_writer._settle

    def counted(outcomes: list) -> None:
        wakes.append(len(outcomes))
        settle_batch(outcomes)

    monkeypatch.setattr(audit_writer, "_settle", counted)

    async def main() -> list[BaseException | None]:
        writes = [asyncio.ensure_future(writer.write_async(event(i))) for i in range(20)]
        await asyncio.sleep(0.3)
        assert not any(w.done() for w in writes), "woken before the events were committed"
        writes[0].cancel()
        released.set()
        return await asyncio.gather(*writes[1:], return_exceptions=True)

    released = threading.Event()  # set by the loop once it has checked that nobody was woken
    results: list[list[BaseException | None]] = []
    with writes_held(settings.database_url):
        loop = threading.Thread(target=lambda: results.append(asyncio.run(main())))
        loop.start()
        assert released.wait(timeout=30)
    loop.join(timeout=30)
    assert results == [[None] * 19]
    assert events(services) == 20
    assert sum(wakes) == 20 and len(wakes) == writer.commits <= 2  # one wake per commit, not per event


def test_a_coroutine_whose_event_fails_gets_the_error(services, monkeypatch):
    writer = services.audit

    def failing(_rows: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(writer, "_insert", failing)
    raised: list[BaseException] = []

    def run() -> None:  # a loop of its own thread: the browser tests' Playwright runs one in this thread
        try:
            asyncio.run(writer.write_async(event(0)))
        except BaseException as e:  # noqa: BLE001 - handed to the test's thread
            raised.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert len(raised) == 1 and isinstance(raised[0], AuditNotWritten)


# --- Through the API: a portal's lookup -----------------------------------------------


def lookup(api, keys):
    return api.get("/api/v1/records", params={"owner_id": OWNER},
                   headers={**keys.auth("portal"), "X-Purpose": PURPOSE})


def lookups(services: Services) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "record.lookup")) or 0


def test_a_lookup_answers_only_after_its_event_is_committed(api, keys, settings, services):
    assert lookup(api, keys).status_code == 200  # the key's last use is written now, not below
    answered: list[int] = []
    with writes_held(settings.database_url):
        asking = threading.Thread(target=lambda: answered.append(lookup(api, keys).status_code))
        asking.start()
        asking.join(timeout=1.0)
        assert asking.is_alive() and not answered, "answered before its audit event was committed"
        assert lookups(services) == 1
    asking.join(timeout=30)
    assert answered == [200]
    assert lookups(services) == 2


def test_a_lookup_whose_event_cannot_be_written_is_not_answered(api, keys, services):
    assert lookup(api, keys).status_code == 200
    with services.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_events RENAME TO audit_events_away"))
    try:
        response = lookup(api, keys)
    finally:
        with services.engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_events_away RENAME TO audit_events"))
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "audit_not_written"
    assert "records" not in response.json()
    assert lookup(api, keys).status_code == 200
    assert lookups(services) == 2


def test_concurrent_lookups_leave_one_event_each(api, keys, services):
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda _: lookup(api, keys).status_code, range(64)))
    assert statuses == [200] * 64
    assert lookups(services) == 64
