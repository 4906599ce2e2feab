"""``GET /api/v1/records?owner_id=`` under concurrent clients, over real HTTP, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.records_lookup --db sqlite --records 100000 --clients 32 --seconds 20
    pg_virtualenv -- .venv/bin/python -m bench.records_lookup --db postgresql --records 100000
    .venv/bin/python -m bench.records_lookup --tree /path/to/other/checkout ...   # its code serves

A fresh database (SQLite file, or a new database on the PostgreSQL server the ``PG*``
variables point at, as ``pg_virtualenv`` sets them) is migrated and filled with
``--records`` records the way extraction leaves them (births with a parent, marriages with
both spouses, decisions and certificates with their holder; some people hold several),
through the measured tree's own models. ``sohoa serve`` of that tree answers with
``SOHOA_API_PROCESSES=--processes`` (a tree without the setting serves with one), and
``wrk`` (Debian package ``wrk``; ``scripts/install-system.sh bench``) runs ``--clients``
connections for ``--seconds`` after a warm-up, each request a portal's lookup of a random
owner (one in ten unknown) with its purpose. Reported: requests/s, latency percentiles,
non-2xx answers and socket errors, the audit events written (one per answered lookup), the
server's CPU per request (all its processes, user + system: on a shared machine the steadier
figure) and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.stack_cpu import tree_cpu

ROOT = Path(__file__).resolve().parents[1]

# Runs inside the measured tree: migrates, fills, makes a portal key, prints owners + key.
FILL = r'''
import json, random, sys
from datetime import date, timedelta
from sqlalchemy import insert
args = json.loads(sys.argv[1])
from sohoa.core.config import Settings
from sohoa.core.db import make_engine, make_session_factory, migrate, session_scope
from sohoa.core.models import Batch, Document, Record, RecordSubject
from sohoa.domain.keys import create_key
settings = Settings(_env_file=None, var_dir=args["var"], database_url=args["url"])
migrate(settings.database_url)
engine = make_engine(settings.database_url)
rng = random.Random(5)
def pid():
    return f"{rng.randint(1, 96):03d}{rng.randint(0, 3)}{rng.randint(0, 99):02d}{rng.randint(0, 999999):06d}"
owners = [pid() for _ in range(int(args["records"] * 0.7))]
with engine.begin() as conn:
    conn.execute(insert(Batch), [{"id": "bench-batch", "agency_code": "UBND-X"}])
    docs, records, subjects = [], [], []
    for i in range(args["records"]):
        d, r = f"doc{i:08d}", f"rec{i:08d}"
        owner = rng.choice(owners)
        issued = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3600))
        kind = rng.choice(("birth", "marriage", "decision", "business"))
        docs.append({"id": d, "sha256": f"{i:064x}", "size_bytes": 1000, "mime_type": "application/pdf",
                     "filename": f"{d}.pdf", "original_path": f"originals/{d}", "first_batch_id": "bench-batch",
                     "agency_code": "UBND-X", "status": "indexed", "pages_total": 1, "pages_done": 1})
        records.append({"id": r, "document_id": d, "kind": "result", "owner_id": owner, "owner_id_type": "cccd",
                        "owner_name": "Nguyễn Văn An", "doc_type": {"birth": "trich_luc_khai_sinh",
                        "marriage": "gcn_ket_hon", "decision": "quyet_dinh", "business": "gcn_hkd"}[kind],
                        "doc_number": f"{i}/QĐ-UBND", "issuing_body": "UBND xã Yên Phú", "issue_date": issued,
                        "valid_from": issued, "permanent": True, "approved": True, "legal_status": "in_force",
                        "review_state": "extracted"})
        roles = {"birth": [("child", owner), ("mother", pid())], "marriage": [("husband", owner), ("wife", pid())],
                 "decision": [("subject", owner)], "business": [("representative", owner)]}[kind]
        subjects += [{"record_id": r, "role": role, "person_id": p, "id_type": "cccd", "name": "Nguyễn Văn An"}
                     for role, p in roles]
        if len(docs) == 5000:
            conn.execute(insert(Document), docs); conn.execute(insert(Record), records)
            conn.execute(insert(RecordSubject), subjects)
            docs, records, subjects = [], [], []
    if docs:
        conn.execute(insert(Document), docs); conn.execute(insert(Record), records)
        conn.execute(insert(RecordSubject), subjects)
if settings.database_url.startswith("postgresql"):
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
with session_scope(make_session_factory(engine)) as session:
    key = create_key(session, role="portal", name="bench portal", agency="UBND-X")[1]
asked = rng.sample(owners, 2000) + [pid() for _ in range(200)]
print(json.dumps({"key": key, "owners": asked}))
'''

WRK_SCRIPT = r'''
local owners = {}
for line in io.lines(os.getenv("BENCH_OWNERS")) do owners[#owners + 1] = line end
local key = os.getenv("BENCH_KEY")
math.randomseed(os.time())
request = function()
  local owner = owners[math.random(#owners)]
  return wrk.format("GET", "/api/v1/records?owner_id=" .. owner, {
    ["Authorization"] = "Bearer " .. key, ["X-Purpose"] = "000.00.14.H56-230415-0012"})
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH %d %d %d %d %d %d", summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
  io.write(string.format(" %d %d\n", latency.max, summary.duration))
end
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url(kind: str, var: Path) -> tuple[str, str | None]:
    """A fresh database: its URL, and the name to drop afterwards (PostgreSQL)."""
    if kind == "sqlite":
        return f"sqlite:///{var / 'sohoa.sqlite3'}", None
    server = (f"postgresql+psycopg://{os.environ['PGUSER']}:{os.environ.get('PGPASSWORD', '')}@"
              f"{os.environ.get('PGHOST', 'localhost')}:{os.environ.get('PGPORT', '5432')}/"
              f"{os.environ.get('PGDATABASE', 'postgres')}")
    name = f"sohoa_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False), name


def audit_events(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = int(conn.execute(text("SELECT count(*) FROM audit_events WHERE action = 'record.lookup'")).scalar_one())
    engine.dispose()
    return n


def run(args: argparse.Namespace) -> dict[str, object]:
    tree = (args.tree or ROOT).resolve()
    var = Path(tempfile.mkdtemp(prefix="sohoa-bench-lookup-"))
    url, dbname = database_url(args.db, var)
    env = {**os.environ, "PYTHONPATH": str(tree), "SOHOA_VAR_DIR": str(var), "SOHOA_DATABASE_URL": url}
    started = time.perf_counter()
    filled = subprocess.run([sys.executable, "-c", FILL, json.dumps({"var": str(var), "url": url,
                             "records": args.records})], env=env, cwd=var, capture_output=True, text=True)
    if filled.returncode:
        sys.exit(f"filling the database failed:\n{filled.stderr[-3000:]}")
    prepared = json.loads(filled.stdout.strip().splitlines()[-1])
    fill_seconds = time.perf_counter() - started
    (var / "owners.txt").write_text("\n".join(prepared["owners"]) + "\n")
    (var / "lookup.lua").write_text(WRK_SCRIPT)
    port = free_port()
    env.update(SOHOA_PORT=str(port), SOHOA_API_PROCESSES=str(args.processes),
               SOHOA_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", BENCH_OWNERS=str(var / "owners.txt"),
               BENCH_KEY=prepared["key"])
    api = subprocess.Popen([sys.executable, "-m", "sohoa", "serve"], env=env, cwd=var,
                           stdout=subprocess.DEVNULL, stderr=open(var / "api.log", "w"))  # noqa: SIM115 - lives with the server
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(base, prepared["key"], prepared["owners"][0])
        before = audit_events(url)
        wrk = ["wrk", "-t2", f"-c{args.clients}", "-s", str(var / "lookup.lua"), "--latency", "--timeout", "10s"]
        subprocess.run([*wrk, "-d5s", base], env=env, capture_output=True, text=True, check=True)  # warm-up
        warm = audit_events(url)
        cpu_before = tree_cpu(api.pid)
        done = subprocess.run([*wrk, f"-d{args.seconds}s", base], env=env, capture_output=True, text=True,
                              check=True)
        cpu = tree_cpu(api.pid) - cpu_before
        after = audit_events(url)
    finally:
        api.terminate()
        api.wait(timeout=30)
    match = re.search(r"BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", done.stdout)
    if not match:
        sys.exit(f"wrk said:\n{done.stdout}\n{done.stderr}")
    requests, status_errors, socket_errors, p50, p95, p99, worst, duration = map(int, match.groups())
    if dbname is None:
        shutil.rmtree(var, ignore_errors=True)
    return {"tree": str(tree), "db": args.db, "records": args.records, "processes": args.processes,
            "clients": args.clients, "fill_s": round(fill_seconds, 1), "requests": requests,
            "rps": round(requests / (duration / 1e6), 1), "p50_ms": p50 / 1e3, "p95_ms": p95 / 1e3,
            "p99_ms": p99 / 1e3, "max_ms": worst / 1e3, "non_2xx": status_errors, "socket_errors": socket_errors,
            "server_cpu_ms_per_request": round(cpu / max(requests, 1) * 1e3, 2),
            "audit_events": after - warm, "audit_before_warmup": before, "load": round(os.getloadavg()[0], 2)}


def _wait(base: str, key: str, owner: str) -> None:
    headers = {"Authorization": f"Bearer {key}", "X-Purpose": "000.00.14.H56-230415-0012"}
    for _ in range(300):
        try:
            httpx.get(f"{base}/api/v1/records", params={"owner_id": owner}, headers=headers,
                      timeout=5).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    sys.exit("the API did not answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2, help="SOHOA_API_PROCESSES for sohoa serve")
    parser.add_argument("--tree", type=Path, help="another checkout to measure (default: this one)")
    result = run(parser.parse_args())
    print(json.dumps(result))
    print(f"{result['db']:10} {result['processes']} proc  {result['rps']:7.1f} req/s  p50 {result['p50_ms']:6.1f} ms"
          f"  p95 {result['p95_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  max {result['max_ms']:6.1f} ms  "
          f"non-2xx {result['non_2xx']}  socket errors {result['socket_errors']}  audit events "
          f"{result['audit_events']} for {result['requests']} requests  server CPU "
          f"{result['server_cpu_ms_per_request']} ms/request  load {result['load']}")


if __name__ == "__main__":
    main()
