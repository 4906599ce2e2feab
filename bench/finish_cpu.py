"""CPU of the API's own work for each resumable upload, in one process: the creation, the
chunk that completes it, the registration (``finish_upload``: the batch item, the document,
the job enqueued, the audit event), the status (HEAD) and the result, each timed by
``time.process_time`` over many small generated PNGs joining one batch (as ``sohoa ingest``
sends a folder: the first file creates the batch, the others join it).

    .venv/bin/python -m bench.finish_cpu --files 60 [--rounds 3] [--profile finish]
    cd <other tree> && <this venv>/bin/python -m bench.finish_cpu ...   # that tree's code
    .venv/bin/python -m bench.finish_cpu --database-url postgresql+psycopg://...   # an empty database

Run it as a module from the root of the tree it measures (``-m`` puts that tree first on
the path; run as a file, ``bench/search`` would shadow the ``search`` package). To measure
another checkout, copy this file into its ``bench/``.

The service functions are called directly (no HTTP: ``bench/upload_cpu.py`` measures the
whole API process); a real Redis on a free port takes the jobs. CPU, not wall time, so
runs on a busy machine still compare: run two trees alternately.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import pstats
import shutil
import socket
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from ingest.resumable import Uploader, create_upload, open_chunk, upload_status
from ingest.resumable_finish import finish_upload, upload_result
from ingest.tus_protocol import read_upload_meta
from sohoa.cli.resumable_client import encode_metadata
from sohoa.core.config import Settings
from sohoa.core.db import migrate, session_scope
from sohoa.domain.keys import create_key
from sohoa.services import Services

STEPS = ("create", "chunk", "finish", "head", "result")


def scan(number: int) -> bytes:
    """A small PNG of its own bytes (no two files are duplicates)."""
    img = Image.new("L", (320, 120), 255)
    ImageDraw.Draw(img).text((10, 40), f"Hồ sơ số {number}", fill=0)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@contextmanager
def redis_server() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class Timer:
    """CPU seconds per step; ``--profile STEP`` runs that step under cProfile too."""

    def __init__(self, profiled: str | None) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.profiled = profiled
        self.profile = cProfile.Profile(time.process_time)  # CPU, like the totals

    def run(self, step: str, call: Callable[[], Any]) -> Any:
        began = time.process_time()
        if step == self.profiled:
            self.profile.enable()
        try:
            return call()
        finally:
            if step == self.profiled:
                self.profile.disable()
            self.cpu[step] += time.process_time() - began


def upload_one(services: Services, caller: Uploader, data: bytes, name: str, batch_id: str | None,
               timer: Timer) -> str:
    """One file through creation, its one chunk, registration, HEAD and the result; its batch."""
    settings, sessions = services.settings, services.sessions
    sha = hashlib.sha256(data).hexdigest()
    fields = {"filename": name, "sha256": sha, **({"batch_id": batch_id} if batch_id else {"agency_code": "UBND-X"})}
    meta = read_upload_meta(encode_metadata(fields))
    status = timer.run("create", lambda: create_upload(settings, sessions, caller, len(data), meta))

    def chunk() -> None:
        writer = open_chunk(settings, sessions, caller, status.id, 0, len(data), None)
        try:
            writer.write(data)
            writer.commit()
        finally:
            writer.close()

    timer.run("chunk", chunk)
    # what the tus routes hand the registration (a tree before ``enqueue_new``: ``enqueue``)
    enqueue = getattr(services.queue, "enqueue_new", services.queue.enqueue)
    assert timer.run("finish", lambda: finish_upload(settings, sessions, services.archive, status.id,
                                                     enqueue=enqueue))
    timer.run("head", lambda: upload_status(sessions, caller, status.id))
    outcome = timer.run("result", lambda: upload_result(sessions, upload_status(sessions, caller, status.id)))
    assert outcome.file is not None and outcome.file.document_id is not None, outcome
    return status.batch_id


def one_round(files: int, database_url: str | None, profiled: str | None, top: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="sohoa-finish-cpu-") as tmp_name, redis_server() as redis_url:
        tmp = Path(tmp_name)
        settings = Settings(_env_file=None, var_dir=tmp / "var", redis_url=redis_url,
                            database_url=database_url or f"sqlite:///{tmp / 'sohoa.sqlite3'}")
        migrate(settings.database_url)
        scans = [scan(i) for i in range(files + 1)]
        with Services.build(settings) as services:
            with session_scope(services.sessions) as session:
                key = create_key(session, role="clerk", name="bench")[0]
                caller = Uploader(owner=f"key:{key.id}", key_id=key.id)
            warm = Timer(None)  # the first file: imports, the pool's first connections
            batch_id = upload_one(services, caller, scans[0], "scan-0.png", None, warm)
            timer = Timer(profiled)
            for number in range(1, files + 1):
                upload_one(services, caller, scans[number], f"scan-{number}.png", batch_id, timer)
        if profiled:
            out = io.StringIO()
            pstats.Stats(timer.profile, stream=out).sort_stats("cumulative").print_stats(top)
            print(out.getvalue())
    return {step: timer.cpu[step] / files * 1000 for step in STEPS}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--database-url", help="An empty database to migrate (default: a fresh SQLite file).")
    parser.add_argument("--profile", choices=STEPS, help="Print a cProfile of this step (its CPU then counts "
                        "the profiler's overhead).")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed")
    for _ in range(args.rounds):
        ms = one_round(args.files, args.database_url, args.profile, args.top)
        print(f"{args.files} files, ms CPU a file: " + ", ".join(f"{step} {ms[step]:.2f}" for step in STEPS)
              + f"; total {sum(ms.values()):.2f}", flush=True)


if __name__ == "__main__":
    main()
