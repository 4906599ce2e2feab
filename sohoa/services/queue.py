"""The job queue client: one RQ job per document, with a timeout, retries with backoff,
and a job id derived from the document id so a second enqueue of a live job is a no-op.

Jobs are enqueued by name (``workers.jobs.process_document``), so nothing here imports the
workers. One ``JobQueue`` per process holds the Redis connection pool.
"""

from __future__ import annotations

import logging
from typing import cast

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session, sessionmaker

from sohoa.core.clock import utcnow
from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.models import Document

log = logging.getLogger(__name__)

BACKOFF_SECONDS = [10, 60, 300, 900, 3600]
LIVE_STATUSES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
JOB_FUNCTION = "workers.jobs.process_document"
# The stamp as a Core statement built once (no ORM session sync for one column; the
# column's onupdate, updated_at, still applies): every new document is enqueued once.
_DOCUMENTS = cast(Table, Document.__table__)
_STAMP_ENQUEUED = update(_DOCUMENTS).where(_DOCUMENTS.c.id == bindparam("document")).values(
    enqueued_at=bindparam("at"))


def pause_key(settings: Settings, worker_name: str) -> str:
    return f"sohoa:paused:{settings.queue_name}:{worker_name}"


def job_id_for(document_id: str) -> str:
    return f"document-{document_id}"


def backoff(retries: int) -> list[int]:
    """Growing waits between retries (10 s, 1 min, 5 min, ...)."""
    return [BACKOFF_SECONDS[min(i, len(BACKOFF_SECONDS) - 1)] for i in range(retries)]


class JobQueue:
    """The document queue on the settings' Redis; ``enqueue`` stamps ``documents.enqueued_at``."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session],
                 connection: Redis | None = None) -> None:
        self.settings, self.sessions = settings, sessions
        self.connection = connection if connection is not None else Redis.from_url(settings.redis_url)
        self.rq = Queue(settings.queue_name, connection=self.connection)
        self._probe: Redis | None = None

    def job_status(self, document_id: str) -> JobStatus | None:
        try:
            return Job.fetch(job_id_for(document_id), connection=self.connection).get_status(refresh=True)
        except NoSuchJobError:
            return None

    def has_live_job(self, document_id: str) -> bool:
        return self.job_status(document_id) in LIVE_STATUSES

    def enqueue(self, document_id: str, *, force: bool = False) -> None:
        """Queue the processing job of one document.

        A job already queued, running or waiting for a retry is left alone; ``force`` (used by
        the reconciler once the database says the worker is gone) enqueues regardless.
        """
        if not force and self.has_live_job(document_id):
            log.info("document %s already has a live job", document_id)
            self._stamp(document_id)
            return
        if force:
            self._forget_started(document_id)
        self._submit(document_id)

    def enqueue_new(self, document_id: str) -> None:
        """Queue the job of a document registered just now (what ingest hands each file it
        stored): its id is new, so no job of it can exist yet and the live-job check, a
        Redis round trip per file, is skipped."""
        self._submit(document_id)

    def _submit(self, document_id: str) -> None:
        """The job, sent to Redis in one pipeline (one round trip: RQ alone sends the
        queue's name and then the job in two), then ``enqueued_at``."""
        retries = self.settings.job_retries
        with self.connection.pipeline() as pipe:
            self.rq.enqueue(
                JOB_FUNCTION, document_id,
                job_id=job_id_for(document_id),
                job_timeout=self.settings.job_timeout_seconds,
                retry=Retry(max=retries, interval=backoff(retries)) if retries else None,
                result_ttl=3600,
                failure_ttl=7 * 24 * 3600,
                description=f"process document {document_id}",
                pipeline=pipe,
            )
            pipe.execute()
        self._stamp(document_id)

    def _stamp(self, document_id: str) -> None:
        with session_scope(self.sessions) as session:
            session.execute(_STAMP_ENQUEUED, {"document": document_id, "at": utcnow()})

    def report_pause(self, worker_name: str, reason: str | None, *, ttl: int) -> None:
        """A worker says it takes no jobs (and why) for the next ``ttl`` seconds, or no longer."""
        key = pause_key(self.settings, worker_name)
        if reason is None:
            self.connection.delete(key)
        else:
            self.connection.set(key, reason.encode("utf-8"), ex=ttl)

    def paused_workers(self) -> dict[str, str]:
        """Workers of this queue that are paused right now, with their reason (asked on the
        short-timeout probe connection, like ``ping``)."""
        probe = self._probe_connection()
        prefix = pause_key(self.settings, "")
        found: dict[str, str] = {}
        for key in probe.scan_iter(match=f"{prefix}*", count=100):
            value = probe.get(key)
            if value is not None:
                found[_text(key).removeprefix(prefix)] = _text(value)
        return found

    def ping(self) -> bool:
        """Is Redis answering? Asked on a connection with short timeouts of its own (the
        queue's connection has none: a worker's blocking dequeue waits minutes)."""
        return bool(self._probe_connection().ping())

    def _probe_connection(self) -> Redis:
        if self._probe is None:
            self._probe = Redis.from_url(self.settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
        return self._probe

    def close(self) -> None:
        self.connection.close()
        if self._probe is not None:
            self._probe.close()

    def _forget_started(self, document_id: str) -> None:
        """The worker that ran this job is gone: drop its stale "started" entries so RQ's own
        abandoned-job cleanup does not fail or re-run the job we are about to enqueue."""
        try:
            job = Job.fetch(job_id_for(document_id), connection=self.connection)
        except NoSuchJobError:
            return
        StartedJobRegistry(queue=self.rq).remove_executions(job)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
