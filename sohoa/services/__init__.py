"""The shared resources of one process, built once and passed in: the composition root.

``Services.build(settings)`` is called once by the API's lifespan, once by each worker
process and once by each CLI command; everything below receives the ``Services`` (or the
one resource it needs) instead of opening its own database engine, archive, search backend
or Redis connection. The search backend is opened on first use and then kept: for
OpenSearch that is one client and connection pool per process instead of one per request.
Audit events that a request must see committed before it answers go through the process's
one group-commit writer (``audit``, ``sohoa.services.audit_writer``), with its own small pool.
Reads that change nothing and need no snapshot across statements (a portal's lookup) take
a connection from ``reads``: the same pool, in autocommit on PostgreSQL (no BEGIN and
ROLLBACK round trips); API keys found active are reused for a few seconds (``keys``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from search import SearchBackend, open_backend
from sohoa.core.config import Settings
from sohoa.core.db import make_engine, make_session_factory, read_engine, sqlite_file
from sohoa.domain.keys import KeyChecks
from sohoa.services.audit_writer import AuditNotWritten, AuditWriter
from sohoa.services.queue import JobQueue
from sohoa.storage.archive import ArchiveStore

__all__ = ["AuditNotWritten", "AuditWriter", "JobQueue", "Services"]


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    archive: ArchiveStore
    queue: JobQueue
    audit: AuditWriter
    keys: KeyChecks
    reads: Engine
    _search: SearchBackend | None = field(default=None, repr=False)
    _search_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def build(cls, settings: Settings, *, search: SearchBackend | None = None) -> Services:
        """Everything a process needs; connects to nothing yet (engines and Redis connect
        lazily). ``search`` replaces the backend the settings select (fault injection)."""
        engine = make_engine(settings.database_url)
        sessions = make_session_factory(engine)
        return cls(settings=settings, engine=engine, sessions=sessions,
                   archive=ArchiveStore(settings.archive_root), queue=JobQueue(settings, sessions),
                   audit=AuditWriter(make_engine(settings.database_url), turns=_audit_turns(settings)),
                   keys=KeyChecks(settings.key_check_cache_seconds), reads=read_engine(engine),
                   _search=search)

    @property
    def search(self) -> SearchBackend:
        """The process's search backend, opened on first use (the API's threads share it)."""
        if self._search is None:
            with self._search_lock:
                if self._search is None:
                    self._search = open_backend(self.settings)
        return self._search

    def close(self) -> None:
        """Write the audit events still queued, then close the search backend, the Redis
        pool and the database pools."""
        self.audit.close()
        if self._search is not None:
            self._search.close()
            self._search = None
        self.queue.close()
        self.engine.dispose()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _audit_turns(settings: Settings) -> Path | None:
    """The lock file the audit writers of all processes share on a SQLite database."""
    database = sqlite_file(settings.database_url)
    return database.with_name(database.name + ".audit-lock") if database is not None else None
