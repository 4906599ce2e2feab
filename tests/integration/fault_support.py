"""Real processes for the fault tests: a worker process with an optional slow OCR engine, a
private redis-server that a test may kill, a small tmpfs that a test may fill."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.models import Document, Page
from tests.ports import free_port
from workers.ocr.tesseract import OcrResult, ocr_image

ROOT = Path(__file__).resolve().parents[2]


def slow_engine(delay: float):
    """Real Tesseract, ``delay`` seconds slower per pass: a page that takes its time."""
    def engine(image: Path, **kwargs) -> OcrResult:
        time.sleep(delay)
        return ocr_image(image, **kwargs)
    return engine


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env.update({"SOHOA_DATABASE_URL": settings.database_url, "SOHOA_REDIS_URL": settings.redis_url,
                "SOHOA_QUEUE_NAME": settings.queue_name, "SOHOA_VAR_DIR": str(settings.var_dir),
                "SOHOA_ARCHIVE_DIR": str(settings.archive_root),
                "SOHOA_LEASE_SECONDS": str(settings.lease_seconds),
                "SOHOA_MIN_FREE_DISK_MB": str(settings.min_free_disk_mb),
                "SOHOA_TRANSIENT_RETRY_SECONDS": str(settings.transient_retry_seconds),
                "PYTHONUNBUFFERED": "1"})  # OMP_THREAD_LIMIT: set by workers/ocr/tesseract.py
    env.update(extra)
    return env


WORKER_CODE = """
import os, sys
from sohoa.core.config import Settings
from sohoa.services import Services
from tests.integration.fault_support import slow_engine
from workers.jobs.runner import run_worker
delay = float(os.environ.get("SOHOA_TEST_OCR_DELAY", "0"))
run_worker(Services.build(Settings(_env_file=None)), ocr_engine=slow_engine(delay) if delay else None)
"""


def start_worker(settings: Settings, *, ocr_delay: float = 0.0, log: Path | None = None,
                 **extra: str) -> subprocess.Popen[bytes]:
    """``run_worker`` (the ``DocumentWorker`` of ``sohoa worker``) as a process of its own group."""
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115 - handed to the child
    env = worker_env(settings, SOHOA_TEST_OCR_DELAY=str(ocr_delay), **extra)
    return subprocess.Popen([sys.executable, "-c", WORKER_CODE], cwd=ROOT, env=env, stdout=out, stderr=out,
                            process_group=0)


def descendants(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    found = [int(c) for c in children]
    return found + [d for c in found for d in descendants(c)]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_for(predicate, timeout: float, what: str, poll: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


def doc_state(sessions, document_id: str) -> Document:
    with session_scope(sessions) as session:
        doc = session.get(Document, document_id)
        assert doc is not None
        session.expunge(doc)
        return doc


def page_errors(sessions, document_id: str) -> list[str]:
    with session_scope(sessions) as session:
        return [p.error_code for p in session.query(Page).filter(Page.document_id == document_id) if p.error_code]


class PrivateRedis:
    """A redis-server of the test's own, to kill and start again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port, self.workdir = free_port(), workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.workdir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        wait_for(lambda: _pings(client), 10, "redis-server")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@contextmanager
def private_redis(workdir: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(workdir)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@contextmanager
def small_tmpfs(path: Path, size_mb: int = 24) -> Iterator[Path]:
    """A real filesystem that fills up: a tmpfs of ``size_mb``, or skip when mount is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip() or result.returncode}): "
                    "the disk-full tests need one")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(path: Path, leave_bytes: int = 0) -> Path:
    """Fill ``path``'s filesystem up to ``leave_bytes`` free; returns the filler to delete."""
    filler = path / "filler.bin"
    stats = os.statvfs(path)
    free = stats.f_bavail * stats.f_frsize - leave_bytes
    with open(filler, "wb") as out:
        chunk = b"\0" * (1024 * 1024)
        try:
            while free > 0:
                out.write(chunk[: min(len(chunk), free)])
                free -= len(chunk)
            out.flush()
        except OSError:
            pass
    return filler


def counting_engine():
    """Real Tesseract that appends each page image it reads to ``SOHOA_TEST_OCR_LOG`` (pages
    read twice show up there) after ``SOHOA_TEST_OCR_DELAY`` seconds: for worker processes."""
    log, delay = os.environ.get("SOHOA_TEST_OCR_LOG"), float(os.environ.get("SOHOA_TEST_OCR_DELAY") or 0)

    def engine(image: Path, **kwargs) -> OcrResult:
        if delay:
            time.sleep(delay)
        result = ocr_image(image, **kwargs)
        if log:
            with open(log, "a") as out:
                out.write(f"{result.text[:40]!r}\n")
        return result
    return engine
