"""The RQ queue: one job per document, with a timeout, retries with backoff, and a job id
derived from the document id so a second enqueue of a live job is a no-op.
"""

from __future__ import annotations

import logging

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from sqlalchemy import update

from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.models import Document, utcnow
from workers.jobs.context import session_factory

log = logging.getLogger(__name__)

BACKOFF_SECONDS = [10, 60, 300, 900, 3600]
LIVE_STATUSES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
JOB_FUNCTION = "workers.jobs.process_document"


def job_id_for(document_id: str) -> str:
    return f"document-{document_id}"


def redis_connection(settings: Settings) -> Redis:
    return Redis.from_url(settings.redis_url)


def get_queue(settings: Settings, connection: Redis | None = None) -> Queue:
    return Queue(settings.queue_name, connection=connection or redis_connection(settings))


def backoff(retries: int) -> list[int]:
    """Growing waits between retries (10 s, 1 min, 5 min, ...)."""
    return [BACKOFF_SECONDS[min(i, len(BACKOFF_SECONDS) - 1)] for i in range(retries)]


def job_status(queue: Queue, document_id: str) -> JobStatus | None:
    try:
        return Job.fetch(job_id_for(document_id), connection=queue.connection).get_status(refresh=True)
    except NoSuchJobError:
        return None


def _forget_started(queue: Queue, document_id: str) -> None:
    """The worker that ran this job is gone: drop its stale "started" entries so RQ's own
    abandoned-job cleanup does not fail or re-run the job we are about to enqueue."""
    try:
        job = Job.fetch(job_id_for(document_id), connection=queue.connection)
    except NoSuchJobError:
        return
    StartedJobRegistry(queue=queue).remove_executions(job)


def enqueue_document(settings: Settings, document_id: str, *, force: bool = False,
                     queue: Queue | None = None) -> None:
    """Queue the processing job of one document and stamp ``documents.enqueued_at``.

    A job already queued, running or waiting for a retry is left alone; ``force`` (used by
    the reconciler once the database says the worker is gone) enqueues regardless.
    """
    queue = queue or get_queue(settings)
    if not force and job_status(queue, document_id) in LIVE_STATUSES:
        log.info("document %s already has a live job", document_id)
    else:
        if force:
            _forget_started(queue, document_id)
        retry = Retry(max=settings.job_retries, interval=backoff(settings.job_retries)) \
            if settings.job_retries else None
        queue.enqueue(
            JOB_FUNCTION, document_id,
            job_id=job_id_for(document_id),
            job_timeout=settings.job_timeout_seconds,
            retry=retry,
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
            description=f"process document {document_id}",
        )
    with session_scope(session_factory(settings)) as session:
        session.execute(update(Document).where(Document.id == document_id).values(enqueued_at=utcnow()))
