"""Group commit of audit events: one writer thread per process, one transaction for all
the events waiting, each request answered only once its event is committed.

A portal's lookup is a read, but it must leave its audit event (DOMAIN.md, "Personal data").
Committing one write transaction per request serialized the API on the database's write
lock: on SQLite (WAL) every request took the one write lock, and the requests of other
processes that found it taken slept in SQLite's busy handler, whose back-off is counted in
milliseconds (the p99 of hundreds of ms measured in ``bench/records_lookup.py``); on
PostgreSQL each request paid its own commit (a WAL flush). Here requests hand their event to
the process's writer and wait; the writer takes every event queued meanwhile, inserts them
in one transaction and then wakes their requests. Under load a commit carries as many
events as requests arrived during the previous one, so commits per second stay bounded
while events per second grow.

On SQLite the writers of the API processes take turns by a file lock next to the database
(``<database>.audit-lock``, ``flock``) before they begin: the kernel wakes the next one the
moment the lock is free. Left to SQLite's own lock, a writer that finds it taken sleeps in
the busy handler (1, 2, 5, 10... ms) and, against a writer that commits again and again,
can keep losing: measured, p99 over a second with two processes.

SQLite copies its write-ahead log back into the database (a checkpoint) when a commit finds
it over 1000 pages, in the committing connection: for these writers, while holding their
turn, so that the other processes' events waited for it. Their connections checkpoint
only here, every ``CHECKPOINT_EVERY`` commits, once the turn is released (``PASSIVE``: it
waits for no reader or writer, and the next writer may commit meanwhile).

"Never lost" holds as before: a request waits until its event is committed and fails
(``AuditNotWritten``, 503, nothing answered) when the commit fails or the writer is closed.
A failed batch is retried one event per transaction, so one bad event fails only its own
request; even a bug in the writer fails its batch's requests and leaves the thread serving.
``close`` (the process is stopping) writes what is queued before it returns; an event
submitted after that is refused. A process killed outright loses the events of requests
that were still waiting: those were never answered.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import queue
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from sohoa.core.errors import ServiceUnavailable
from sohoa.core.models import AuditEvent

log = logging.getLogger(__name__)

MAX_BATCH = 1000  # events per transaction; more wait for the next one
CHECKPOINT_EVERY = 100  # commits between the writer's own WAL checkpoints (SQLite)
_STOP = object()


class AuditNotWritten(ServiceUnavailable):
    """The read's audit event could not be committed, so the read is not answered."""

    code = "audit_not_written"

    def __init__(self, message: str = "the audit log could not record this read, so it is not answered; "
                                      "try again later") -> None:
        super().__init__(message, headers={"Retry-After": "5"})


# An event, the future its request waits on, and the loop of a coroutine that waits for it
# (``write_async``), woken once per batch rather than once per event.
_Item = tuple[dict[str, Any], Future[None], asyncio.Future[None] | None]


class AuditWriter:
    """Inserts audit events for the process's threads, many per transaction.

    ``engine`` is the writer's own (``Services`` builds one with a pool of its own): with the
    requests' pool exhausted by requests that wait for their events, a writer drawing from it
    would wait for them in turn."""

    def __init__(self, engine: Engine, *, max_batch: int = MAX_BATCH, turns: Path | None = None) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.turns = turns  # the file whose lock the processes' writers take in turn (SQLite)
        self.checkpoints = 0  # WAL checkpoints run by this writer (SQLite), for tests
        if turns is not None:
            event.listen(engine, "connect", _no_autocheckpoint)
        self._queue: queue.SimpleQueue[_Item | object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.commits = 0  # transactions committed, for tests and benchmarks

    def submit(self, values: Mapping[str, Any], waiter: asyncio.Future[None] | None = None) -> Future[None]:
        """Queue one event (``sohoa.domain.audit.event_values``); the future is done once the
        event is committed, or holds why it was not (and so, in its loop, is ``waiter``)."""
        done: Future[None] = Future()
        with self._lock:
            if self._closed:
                raise AuditNotWritten("the server is stopping: this read is not answered; try again")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
                self._thread.start()
            self._queue.put((dict(values), done, waiter))
        return done

    def write(self, values: Mapping[str, Any]) -> None:
        """Submit and wait until committed; ``AuditNotWritten`` when it was not."""
        wait_for(self.submit(values))

    async def write_async(self, values: Mapping[str, Any]) -> None:
        """``write`` for a coroutine: the event loop goes on serving while it waits. Woken by
        the writer with the rest of its batch, one call into the loop for them all, where
        ``asyncio.wrap_future`` made one per event (each a write to the loop's wake-up pipe)."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.submit(values, waiter)
        await waiter

    def close(self) -> None:
        """Write what is queued, stop the thread, release the engine. Idempotent."""
        with self._lock:
            thread, self._closed = self._thread, True
            if thread is not None:
                self._queue.put(_STOP)
        if thread is not None:
            thread.join()
        self.engine.dispose()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[_Item] = []
            item = self._queue.get()
            while True:
                if item is _STOP:
                    stopping = True
                else:
                    assert isinstance(item, tuple)
                    batch.append(item)
                if len(batch) >= self.max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if not batch:
                continue
            try:
                self._commit(batch)
            except BaseException as exc:  # a bug: its requests fail, the writer goes on
                log.exception("audit writer: a batch of %d events failed unexpectedly", len(batch))
                for _, done, _waiter in batch:  # never a request left waiting, nor a thread gone with events queued
                    _fail(done, exc)
            _wake(batch)

    def _commit(self, batch: list[_Item]) -> None:
        try:
            self._insert([values for values, _, _waiter in batch])
        except Exception as exc:  # noqa: BLE001 - any failure: retried one by one, then reported
            if len(batch) == 1:
                _fail(batch[0][1], exc)
                return
            log.warning("audit batch of %d events failed (%s); writing them one by one", len(batch), exc)
            for item in batch:
                self._commit([item])
            return
        for _, done, _waiter in batch:
            if not done.done():
                done.set_result(None)

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        with self._turn(), self.engine.begin() as conn:
            conn.execute(insert(AuditEvent), rows)
        self.commits += 1
        if self.turns is not None and self.commits % CHECKPOINT_EVERY == 0:
            self._checkpoint()

    def _checkpoint(self) -> None:
        """Copy the WAL back, out of the writers' turn; a failure waits for the next one."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            self.checkpoints += 1
        except Exception as exc:  # noqa: BLE001 - the events are committed; only the copy back failed
            log.warning("audit writer: WAL checkpoint failed (%s); the next one will copy it", exc)

    @contextmanager
    def _turn(self) -> Iterator[None]:
        if self.turns is None:
            yield
            return
        fd = os.open(self.turns, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # blocks in the kernel, woken when the lock is free
            yield
        finally:
            os.close(fd)  # releases the lock


def _no_autocheckpoint(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    """The writer's SQLite connections leave checkpoints to ``AuditWriter._checkpoint``."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def wait_for(done: Future[None]) -> None:
    """Block until the event of ``done`` is committed; ``AuditNotWritten`` when it was not."""
    done.result()


def _wake(batch: list[_Item]) -> None:
    """Hand the settled futures' outcomes to the coroutines waiting on them: one call into
    each event loop for the whole batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[None], BaseException | None]]] = {}
    for _, done, waiter in batch:
        if waiter is not None:
            error = done.exception() if done.done() else AuditNotWritten()  # settled by now: never waits
            by_loop.setdefault(waiter.get_loop(), []).append((waiter, error))
    for loop, outcomes in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, outcomes)
        except RuntimeError:  # the loop is closed: nobody waits there any more
            pass


def _settle(outcomes: list[tuple[asyncio.Future[None], BaseException | None]]) -> None:
    for waiter, error in outcomes:
        if waiter.cancelled():  # the request went away; its event is written all the same
            continue
        if error is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(error)


def _fail(done: Future[None], exc: BaseException) -> None:
    """An error of its own for each waiting request (they raise it in their own threads),
    caused by the database's."""
    if not done.done():
        error = AuditNotWritten()
        error.__cause__ = exc
        done.set_exception(error)
