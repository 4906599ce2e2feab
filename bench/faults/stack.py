"""A small real stack for the fault benchmark: a redis-server, optionally a PostgreSQL
cluster of its own, `sohoa worker` processes, the reconciler in this process, and the
counts of the table (indexed / wrongly failed / lost / duplicated / stuck)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from search import SearchQuery
from sohoa.core.config import Settings
from sohoa.core.db import migrate
from sohoa.core.models import Document, Page
from sohoa.core.vocab import DocumentStatus, PageStatus
from sohoa.services import Services
from tests.integration.fault_support import PrivateRedis, wait_for, worker_env
from tests.ports import free_port
from workers.jobs.reconciler import reconcile_once

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


@dataclass
class Row:
    fault: str
    documents: int
    indexed: int = 0
    wrongly_failed: int = 0
    lost: int = 0
    duplicated: int = 0
    stuck: int = 0
    seconds: float = 0.0
    note: str = ""


class Postgres:
    """A throwaway PostgreSQL cluster run as the ``postgres`` user, restartable."""

    def __init__(self, workdir: Path) -> None:
        self.dir, self.port = workdir / "pg", free_port()
        self.dir.mkdir(parents=True)
        shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "sohoa", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "sohoa", "sohoa")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://sohoa@127.0.0.1:{self.port}/sohoa"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / program), *args], check=True,
                       capture_output=True, cwd="/")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")


@dataclass
class Stack:
    workdir: Path
    workers: int = 2
    database_url: str | None = None
    overrides: dict[str, object] = field(default_factory=dict)
    ocr_delay: float = 0.0

    def __post_init__(self) -> None:
        self.redis = PrivateRedis(self.workdir)
        self.redis.start()
        url = self.database_url or f"sqlite:///{self.workdir / 'sohoa.sqlite3'}"
        migrate(url)
        self.settings = Settings(_env_file=None, var_dir=self.workdir / "var", database_url=url,
                                 redis_url=self.redis.url, queue_name="bench-faults", lease_seconds=3,
                                 transient_retry_seconds=1.0, transient_retry_max_seconds=4.0,
                                 **self.overrides)  # type: ignore[arg-type]  # Settings fields
        self.services = Services.build(self.settings)
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * self.workers
        for i in range(self.workers):
            self.start_worker(i)

    def start_worker(self, i: int) -> None:
        env = worker_env(self.settings, SOHOA_TEST_OCR_DELAY=str(self.ocr_delay))
        log = open(self.workdir / f"worker-{i}.log", "ab")  # noqa: SIM115 - the child's
        code = ("import os; from sohoa.core.config import Settings; from sohoa.services import Services; "
                "from tests.integration.fault_support import counting_engine; "
                "from workers.jobs.runner import run_worker; "
                "run_worker(Services.build(Settings(_env_file=None)), ocr_engine=counting_engine())")
        env["SOHOA_TEST_OCR_LOG"] = str(self.workdir / "pages-read.log")
        self.procs[i] = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=log,
                                         stderr=log, process_group=0)

    def kill_worker(self, i: int, signum: int = signal.SIGKILL) -> None:
        proc = self.procs[i]
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signum)
            proc.wait(timeout=60)

    def supervise(self) -> None:
        """What ``sohoa run`` (or a container's restart policy) does: start dead workers again."""
        for i, proc in enumerate(self.procs):
            if proc is None or proc.poll() is not None:
                if proc is not None:
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.start_worker(i)

    def reconcile(self) -> None:
        try:
            reconcile_once(self.services)
        except Exception as exc:  # noqa: BLE001 - a dependency is down: the next pass tries again
            print(f"  reconciler pass failed: {type(exc).__name__}", file=sys.stderr)

    def run_until_final(self, ids: list[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.supervise()
            self.reconcile()
            if self.unfinished(ids) == 0:
                return True
            time.sleep(1.0)
        return False

    def unfinished(self, ids: list[str]) -> int:
        try:
            with self.services.sessions() as session:
                return int(session.scalar(select(func.count()).select_from(Document).where(
                    Document.id.in_(ids), Document.status.in_((DocumentStatus.QUEUED, DocumentStatus.PROCESSING))))
                    or 0)
        except Exception:  # noqa: BLE001 - database restarting
            return len(ids)

    def count(self, row: Row, ids: list[str], expected_pages: dict[str, int], sent: int) -> Row:
        """Fill the row: every document sent must be one row, indexed, with all its pages,
        each page once in the search index."""
        with self.services.sessions() as session:
            docs = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))}
            done = {doc_id: n for doc_id, n in session.execute(select(Page.document_id, func.count()).where(  # noqa: C416
                Page.document_id.in_(ids), Page.status == PageStatus.DONE).group_by(Page.document_id))}
            total_docs = session.scalar(select(func.count()).select_from(Document)) or 0
        row.lost = sent - len(docs)
        for doc_id, doc in docs.items():
            if doc.status == DocumentStatus.FAILED:
                row.wrongly_failed += 1
            elif doc.status != DocumentStatus.INDEXED:
                row.stuck += 1
            elif done.get(doc_id, 0) < expected_pages[doc_id]:
                row.lost += 1  # indexed with a page missing
            else:
                row.indexed += 1
        hits = self.services.search.search(SearchQuery(q="Hồ sơ", size=1)).total
        pages = sum(expected_pages.values())
        row.duplicated = max(0, total_docs - sent) + max(0, hits - pages)
        return row

    def close(self) -> None:
        for i in range(self.workers):
            self.kill_worker(i, signal.SIGTERM)
        self.services.close()
        self.redis.kill()
        wait_for(lambda: True, 1, "")
