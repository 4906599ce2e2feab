"""One worker process: sets the job context, single-threaded OCR, and works the queue.

Jobs run in the worker process itself, one after another, not in a work horse forked per
job. The fork cost ~0.1 s per document (a cold database engine, cold SQL compilation
caches and mapper set-up in every horse): 1.5 s of 10 s on the sample batch, measured
with ``bench/e2e_samples.py``. What the horse gave is kept another way:

- a job that overruns is stopped by RQ's alarm (``job_timeout_seconds``), and every
  external program (Tesseract, poppler, qpdf) already has its own timeout;
- a job stuck where the alarm cannot reach it (inside C code) is caught by a watchdog
  thread: past the timeout plus ``STUCK_GRACE_SECONDS`` it kills the worker's process
  group; the supervisor (or the container's restart policy) starts a new worker and
  the reconciler re-queues the document when its lease expires;
- memory is given back by recycling: after ``worker_max_jobs`` documents, or once the
  resident size passes ``worker_max_memory_mb`` after a job, the worker exits with
  code 0 between jobs and is started again (``ChildSpec.recycles``).

Faults (``sohoa.core.faults``):

- SIGTERM asks the running job to stop after the page it is on (the document goes back to
  the queue and resumes from its pages done); RQ's own handler writes to Redis, and when
  Redis is gone that write raised ``ConnectionError`` inside the job, which blamed a page.
  Here a failed write only means the stop is not recorded in Redis.
- Below ``min_free_disk_mb`` free on the archive or temp disk the worker takes no job: it
  pauses, says so in Redis (``/healthz`` reports it) and resumes when space returns.
- The RQ scheduler the worker forks dies with it, even when the worker is SIGKILLed.

``simple=True`` keeps plain RQ ``SimpleWorker`` behaviour without those limits (tests).
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
import time
from types import FrameType
from typing import Any

from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.job import Job
from sqlalchemy.orm import configure_mappers

from sohoa.core.config import Settings
from sohoa.core.process import forked_children_die_with_this_process
from sohoa.services import JobQueue, Services
from sohoa.services.queue import JOB_FUNCTION
from sohoa.storage.space import low_space
from workers.jobs import context
from workers.ocr.tesseract import OcrEngine

log = logging.getLogger(__name__)

STUCK_GRACE_SECONDS = 60  # RQ's own horse monitor waits as long past the timeout
DISK_POLL_SECONDS = 5.0


def run_worker(services: Services, *, burst: bool = False, simple: bool = False,
               ocr_engine: OcrEngine | None = None) -> None:
    """Work the queue until stopped, recycled, or (with ``burst``) the queue is empty
    (``ocr_engine``: another engine, for fault injection)."""
    settings = services.settings
    context.install(services, ocr_engine=ocr_engine)
    preload()
    forked_children_die_with_this_process()  # the RQ scheduler below
    queue = services.queue.rq
    if simple:
        worker: SimpleWorker = SimpleWorker([queue], connection=queue.connection)
        max_jobs = None
    else:
        worker = DocumentWorker([queue], connection=queue.connection,
                                max_memory_mb=settings.worker_max_memory_mb, jobs=services.queue)
        max_jobs = settings.worker_max_jobs or None
    log.info("worker %s on queue %s (burst=%s)", worker.name, settings.queue_name, burst)
    worker.work(burst=burst, with_scheduler=True, logging_level="WARNING", max_jobs=max_jobs)


class DocumentWorker(SimpleWorker):
    """``SimpleWorker`` with a stuck-job watchdog, a memory ceiling, a shutdown that stops the
    job between pages and a pause while the disk is full (see the module)."""

    def __init__(self, *args: Any, max_memory_mb: int = 0, stuck_grace: float = STUCK_GRACE_SECONDS,
                 jobs: JobQueue | None = None, disk_poll: float = DISK_POLL_SECONDS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_memory_mb, self.stuck_grace = max_memory_mb, stuck_grace
        self.jobs, self.disk_poll = jobs, disk_poll

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """Warm shutdown: the job stops after its page; RQ's bookkeeping may fail (Redis gone)
        without anything being raised into the job."""
        current = context.installed()
        if current is not None:
            current.stop_requested.set()
        try:
            super().request_stop(signum, frame)
        except RedisError as exc:
            log.warning("worker %s: stopping while Redis is unreachable (%s)", self.name, exc)
            self._stop_requested = True

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None) -> Any:
        self.wait_for_disk_space()
        return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)

    def wait_for_disk_space(self) -> None:
        """Take no job while the disk is (nearly) full; report the pause, resume when it is over."""
        current = context.installed()
        if current is None:
            return
        settings: Settings = current.settings
        reason = low_space(settings)
        if reason is None:
            return
        log.warning("worker %s: paused, %s", self.name, reason)
        while reason is not None and not self._stop_requested:
            self._report_pause(reason)
            time.sleep(self.disk_poll)
            reason = low_space(settings)
        self._report_pause(None)
        log.warning("worker %s: disk space is back, resuming", self.name)

    def _report_pause(self, reason: str | None) -> None:
        if self.jobs is None:
            return
        try:
            self.jobs.report_pause(self.name, reason, ttl=int(self.disk_poll * 3) + 5)
            if reason is not None:
                self.heartbeat()
        except RedisError as exc:
            log.warning("worker %s: cannot report the pause to Redis (%s)", self.name, exc)

    def execute_job(self, job: Job, queue: Queue) -> None:
        timeout = job.timeout if job.timeout and job.timeout > 0 else None
        watchdog = None
        if timeout is not None:
            watchdog = threading.Timer(timeout + self.stuck_grace, _kill_stuck_worker, args=(job.id,))
            watchdog.daemon = True
            watchdog.start()
        try:
            super().execute_job(job, queue)
        finally:
            if watchdog is not None:
                watchdog.cancel()
        resident = resident_mb()
        if self.max_memory_mb and resident is not None and resident > self.max_memory_mb:
            log.warning("worker %s: %d MB resident after a job (limit %d MB); exiting to be restarted",
                        self.name, resident, self.max_memory_mb)
            self._stop_requested = True  # the work loop stops before the next job


def _kill_stuck_worker(job_id: str) -> None:
    """The job outlived its alarm: the main thread is stuck outside Python. Kill this
    worker and its programs; the document's lease expires and the reconciler re-queues it."""
    log.critical("job %s is stuck past its timeout; killing this worker (pid %d)", job_id, os.getpid())
    if os.getpgid(0) == os.getpid():  # our own process group (sohoa run, containers): take Tesseract too
        os.killpg(os.getpid(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def resident_mb() -> int | None:
    """This process's resident memory in MB (Linux), None where /proc is missing."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)


def preload() -> None:
    """Import the job, set up the ORM mappers and open the search backend before the first
    job, so the first document does not pay for them (the job timing stays about the pages)."""
    importlib.import_module(JOB_FUNCTION.rpartition(".")[0])
    configure_mappers()
    try:
        context.current().services.search  # noqa: B018 - opened once here, kept for the process
    except Exception:
        log.warning("search backend not available yet; documents will wait for the index", exc_info=True)
