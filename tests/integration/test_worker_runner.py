"""The worker process: jobs run in it one after another (no fork per job), it recycles
itself after ``worker_max_jobs`` documents or above ``worker_max_memory_mb``, and a job
stuck where RQ's alarm cannot reach gets the worker killed. Real Redis, real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rq import Queue

from sohoa.core.config import Settings
from sohoa.services import Services
from workers.jobs.runner import DocumentWorker, run_worker

ROOT = Path(__file__).resolve().parents[2]


def record_pid(path: str) -> None:
    """A job that leaves a trace: the pid of the process that ran it."""
    with open(path, "a") as out:
        out.write(f"{os.getpid()}\n")


def stuck_in_c(seconds: float) -> None:
    """Sleep with SIGALRM blocked, as code stuck inside a C call would: RQ's alarm cannot stop it."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(seconds)


def queue_of(settings: Settings, redis_conn) -> Queue:
    return Queue(settings.queue_name, connection=redis_conn)


def test_jobs_run_in_the_worker_process_and_it_stops_after_max_jobs(settings, redis_conn, tmp_path) -> None:
    trace = tmp_path / "pids"
    queue = queue_of(settings, redis_conn)
    for _ in range(3):
        queue.enqueue(record_pid, str(trace))
    with Services.build(settings.model_copy(update={"worker_max_jobs": 2})) as services:
        run_worker(services, burst=True)
    assert trace.read_text().split() == [str(os.getpid())] * 2  # no work horse: this process
    assert queue.count == 1  # the third job waits for the next worker


def test_a_worker_over_its_memory_ceiling_stops_after_the_job(settings, redis_conn, tmp_path) -> None:
    trace = tmp_path / "pids"
    queue = queue_of(settings, redis_conn)
    for _ in range(2):
        queue.enqueue(record_pid, str(trace))
    worker = DocumentWorker([queue], connection=redis_conn, max_memory_mb=1)  # any Python is above 1 MB
    worker.work(burst=True)
    assert len(trace.read_text().split()) == 1
    assert queue.count == 1


def test_a_worker_within_its_memory_ceiling_keeps_working(settings, redis_conn, tmp_path) -> None:
    trace = tmp_path / "pids"
    queue = queue_of(settings, redis_conn)
    for _ in range(2):
        queue.enqueue(record_pid, str(trace))
    DocumentWorker([queue], connection=redis_conn, max_memory_mb=1_000_000).work(burst=True)
    assert len(trace.read_text().split()) == 2


def test_a_job_stuck_past_its_timeout_outside_python_gets_the_worker_killed(settings, redis_conn) -> None:
    queue_of(settings, redis_conn).enqueue(stuck_in_c, 60, job_timeout=1)
    code = ("import sys; from rq import Queue; from redis import Redis; "
            "from workers.jobs.runner import DocumentWorker; "
            f"q = Queue({settings.queue_name!r}, connection=Redis.from_url({settings.redis_url!r})); "
            "DocumentWorker([q], connection=q.connection, stuck_grace=1).work(burst=True)")
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, process_group=0,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 30  # not the job's 60 s
    assert b"stuck past its timeout" in err
