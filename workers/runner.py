"""One RQ worker process: sets the job context, single-threaded OCR, and works the queue."""

from __future__ import annotations

import importlib
import logging
import os

from rq import SimpleWorker, Worker

from sohoa.config import Settings
from workers.context import set_context
from workers.queue import get_queue

log = logging.getLogger(__name__)


def run_worker(settings: Settings, *, burst: bool = False, simple: bool = False) -> None:
    """Work the queue until stopped (or until it is empty, with ``burst``).

    The default worker forks a work horse per job, so a job that leaks memory or hangs is
    killed with its horse; ``simple`` runs jobs in this process (tests, debugging).
    """
    os.environ["OMP_THREAD_LIMIT"] = "1"  # Tesseract: parallelism comes from processes
    set_context(settings)
    preload(settings)
    queue = get_queue(settings)
    worker_class = SimpleWorker if simple else Worker
    worker = worker_class([queue], connection=queue.connection)
    log.info("worker %s on queue %s (burst=%s)", worker.name, settings.queue_name, burst)
    worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")


def preload(settings: Settings) -> None:
    """Import what a job needs once, in the parent: every forked work horse inherits it
    instead of paying the imports again for each document (~0.6 s per job otherwise)."""
    backend = "search.opensearch" if settings.search_backend == "opensearch" else "search.sqlite_fts"
    for module in ("workers.jobs", "workers.indexing", "sohoa.records", backend):
        try:
            importlib.import_module(module)
        except ImportError:  # optional parts (e.g. the OpenSearch client) may be absent
            log.warning("could not preload %s", module, exc_info=True)
