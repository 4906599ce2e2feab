"""What building shared resources once per process changes: search latency through the API
on the embedded index, and the time to index one document — for this tree and for another
checkout of the project (e.g. the commit before ``Services``), in one run.

    .venv/bin/python bench/services_overhead.py --other /tmp/before [--pages 3000] [--requests 300]

Each tree is measured in its own processes (``PYTHONPATH`` set to the tree): a fresh
``var/`` is migrated, ``--pages`` generated pages are indexed, an officer key is made, then
``sohoa serve`` from that tree answers ``--requests`` searches (sequential, keep-alive,
after a warm-up) and ``index_document`` is timed on one 3-page document ``--index-runs``
times. Trees older than the layer move are recognised by their module paths.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ["nguyen van an", "giay khai sinh", "tran thi hong", "quyet dinh", "\"ho kinh doanh\"", "le van"]

# Runs inside the measured tree: indexes the pages, makes the key, times index_document.
WORKER = r'''
import json, random, sys, time
from pathlib import Path
args = json.loads(sys.argv[1])
try:  # after the layer move
    from sohoa.core.config import Settings
    from sohoa.core.db import migrate, session_scope
    from sohoa.core.models import Batch, Document, Page
    from sohoa.domain.keys import create_key
    from sohoa.services import Services
    from workers.jobs.indexing import index_document
    layout = "services"
except ImportError:
    from sohoa.config import Settings
    from sohoa.db import migrate, session_scope, make_engine, make_session_factory
    from sohoa.models import Batch, Document, Page
    from sohoa.keys import create_key
    from workers.indexing import index_document
    layout = "per-call"
from search import IndexedDocument, IndexedPage, open_backend

settings = Settings(_env_file=None, var_dir=Path(args["var"]))
migrate(settings.database_url)
rng = random.Random(7)
words = args["words"]
backend = open_backend(settings)
docs = []
for d in range(args["pages"] // 3):
    pages = [IndexedPage(n, " ".join(rng.choice(words) for _ in range(180))) for n in (1, 2, 3)]
    docs.append(IndexedDocument(document_id=f"d{d:06d}", pages=pages, agency_code="UBND-X"))
backend.index_documents(docs)
backend.close()
if layout == "services":
    services = Services.build(settings)
    sessions, target = services.sessions, services
else:
    sessions = make_session_factory(make_engine(settings.database_url))
    target = settings
with session_scope(sessions) as session:
    batch = Batch(agency_code="UBND-X")
    session.add(batch)
    session.flush()
    doc = Document(sha256="0" * 64, size_bytes=1, mime_type="image/png", filename="a.png",
                   original_path="x", first_batch_id=batch.id, status="processing",
                   processed_at=None)
    session.add(doc)
    session.flush()
    for n in (1, 2, 3):
        session.add(Page(document_id=doc.id, number=n, status="done", source="ocr",
                         text=" ".join(rng.choice(words) for _ in range(180))))
    doc_id = doc.id
    key = create_key(session, role="officer", name="bench")[1]
index_document(target, doc_id)  # warm-up: imports, mapper setup, first connection
times = []
for _ in range(args["index_runs"]):
    started = time.perf_counter()
    index_document(target, doc_id)
    times.append(time.perf_counter() - started)
print(json.dumps({"layout": layout, "key": key, "index_times": times}))
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


OFFICE_WORDS = ("ủy ban nhân dân phường xã huyện tỉnh giấy khai sinh chứng nhận đăng ký kết hôn hộ kinh doanh "
                "quyết định cộng hòa xã hội chủ nghĩa việt nam độc lập tự do hạnh phúc họ và tên ngày tháng năm "
                "nguyễn trần lê phạm hoàng văn thị an bình hồng nhung đức minh lan số cấp nơi cư trú")


def vocabulary() -> list[str]:
    base = OFFICE_WORDS.split()
    rng = random.Random(3)
    return base + [f"{rng.choice(base)}{i}" for i in range(400)]


def measure(tree: Path, pages: int, requests: int, index_runs: int) -> dict[str, object]:
    var = Path(tempfile.mkdtemp(prefix="sohoa-bench-services-"))
    env = {**os.environ, "PYTHONPATH": str(tree), "SOHOA_VAR_DIR": str(var)}
    env.pop("SOHOA_DATABASE_URL", None)
    args = {"var": str(var), "pages": pages, "words": vocabulary(), "index_runs": index_runs}
    done = subprocess.run([sys.executable, "-c", WORKER, json.dumps(args)], env=env, cwd=var,
                          capture_output=True, text=True, check=True)
    prepared = json.loads(done.stdout.strip().splitlines()[-1])
    port = free_port()
    env.update(SOHOA_PORT=str(port), SOHOA_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    api = subprocess.Popen([sys.executable, "-m", "sohoa", "serve"], env=env, cwd=var,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {prepared['key']}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for _ in range(100):
                try:
                    client.get("/healthz")
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            for q in QUERIES * 5:  # warm-up
                client.get("/api/v1/search", params={"q": q}).raise_for_status()
            latencies = []
            for i in range(requests):
                started = time.perf_counter()
                client.get("/api/v1/search", params={"q": QUERIES[i % len(QUERIES)]}).raise_for_status()
                latencies.append(time.perf_counter() - started)
    finally:
        api.terminate()
        api.wait(timeout=30)
    return {"layout": prepared["layout"], "search": latencies, "index": prepared["index_times"]}


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:6.2f} ms  p95 {p95 * 1000:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--other", type=Path, required=True, help="another checkout of the project")
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--index-runs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2, help="alternate the trees this many times")
    options = parser.parse_args()
    results: dict[str, dict[str, list[float]]] = {}
    for _ in range(options.rounds):
        for tree in (options.other.resolve(), ROOT):
            measured = measure(tree, options.pages, options.requests, options.index_runs)
            slot = results.setdefault(f"{tree} ({measured['layout']})", {"search": [], "index": []})
            slot["search"] += measured["search"]  # type: ignore[arg-type]  # lists of floats from JSON
            slot["index"] += measured["index"]  # type: ignore[arg-type]
    for name, slot in results.items():
        print(name)
        print(f"  search through the API   {summary(slot['search'])}  ({len(slot['search'])} requests)")
        print(f"  index_document, 3 pages  {summary(slot['index'])}  ({len(slot['index'])} calls)")


if __name__ == "__main__":
    main()
