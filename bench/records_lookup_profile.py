"""One portal lookup's server-side cost, in-process: CPU per request, SQL statements, profile.

    .venv/bin/python -m bench.records_lookup_profile --records 100000 --requests 2000
    pg_virtualenv -- .venv/bin/python -m bench.records_lookup_profile --db postgresql
    .venv/bin/python -m bench.records_lookup_profile --tree /path/to/other/checkout   # its code

The database is filled as ``bench.records_lookup`` fills it (same generator, same owners).
The measured tree's app (``api.create_app``) is driven through ASGI directly, one request
after another, with no HTTP server or client: what is left is the work of the middleware,
the dependencies, the route, the database and the response. Reported: wall and CPU
microseconds per request (the quickest and the median of ``--rounds`` rounds sharing
``--requests``, after a warm-up: on a shared machine the quickest round is the steadiest), SQL statements per
request and per table (the audit writer's included), the audit events written, then the top
of a ``cProfile`` run (``--profile``; the threadpool's work is run inline there, so the
profile sees it). The wrk benchmark says what this costs under 32 clients; this says where.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.records_lookup import FILL, ROOT, audit_events, database_url

# Runs inside the measured tree: the app in-process, requests through ASGI.
DRIVE = r'''
import asyncio, collections, cProfile, io, json, pstats, random, sys, time
args = json.loads(sys.argv[1])
from sqlalchemy import event
from sohoa.core.config import Settings
from api import create_app
settings = Settings(_env_file=None, var_dir=args["var"], database_url=args["url"],
                    redis_url=args["redis"])
app = create_app(settings)
owners = args["owners"]
rng = random.Random(7)
key = args["key"].encode()
statements = collections.Counter()

def count(conn, cursor, statement, parameters, context, executemany):
    words = statement.replace('"', " ").split()
    head = words[0].upper()
    after = words.index("FROM") + 1 if "FROM" in words else words.index("INTO") + 1 if "INTO" in words else 0
    table = next((w for w in words[after:] if w in TABLES), "?")
    statements[f"{head} {table}"] += 1

TABLES = {"api_keys", "records", "record_subjects", "record_corrections", "extracted_fields", "parts",
          "documents", "stored_files", "audit_events"}

async def one(owner):
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": "/api/v1/records", "raw_path": b"/api/v1/records",
             "query_string": f"owner_id={owner}".encode(), "root_path": "",
             "headers": [(b"host", b"bench"), (b"authorization", b"Bearer " + key),
                         (b"x-purpose", b"000.00.14.H56-230415-0012")],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    status = []
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])
    await app(scope, receive, send)
    return status[0]

async def lifespan_and_run():
    startup, shutdown = asyncio.Queue(), asyncio.Queue()
    await startup.put({"type": "lifespan.startup"})
    sent = asyncio.Queue()
    async def receive():
        return await startup.get()
    async def send(message):
        await sent.put(message)
    task = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send))
    started = await sent.get()
    assert started["type"] == "lifespan.startup.complete", started
    services = app.state.services
    engines = [services.engine] + ([services.audit.engine] if hasattr(services, "audit") else [])
    if args.get("inline"):  # what the requests cost without thread hops (an experiment, not the app)
        import anyio.to_thread
        async def inline0(func, *a, abandon_on_cancel=False, cancellable=None, limiter=None):
            return func(*a)
        anyio.to_thread.run_sync = inline0
    for _ in range(200):  # warm-up
        assert await one(rng.choice(owners)) == 200
    counted = min(args["requests"], 500)  # statements counted apart: the listener costs time too
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    for _ in range(counted):
        assert await one(rng.choice(owners)) == 200
    for engine in engines:
        event.remove(engine, "before_cursor_execute", count)
    n, rounds = args["requests"], []
    for _ in range(args["rounds"]):  # rounds: the quickest says most on a shared machine
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(n // args["rounds"]):
            assert await one(rng.choice(owners)) == 200
        rounds.append(((time.perf_counter() - wall) / (n // args["rounds"]) * 1e6,
                       (time.process_time() - cpu) / (n // args["rounds"]) * 1e6))
    walls, cpus = sorted(r[0] for r in rounds), sorted(r[1] for r in rounds)
    out = {"cpu_us_min": round(cpus[0]), "cpu_us_median": round(cpus[len(cpus) // 2]),
           "wall_us_min": round(walls[0]), "wall_us_median": round(walls[len(walls) // 2]),
           "statements_per_request": round(sum(statements.values()) / counted, 2),
           "by_kind": {k: round(v / counted, 2) for k, v in statements.most_common()}}
    if args["profile"]:
        # The threadpool's work inline, where the profiler sees it (cProfile follows one thread).
        import anyio.to_thread
        async def inline(func, *a, abandon_on_cancel=False, cancellable=None, limiter=None):
            return func(*a)
        anyio.to_thread.run_sync = inline
        profiler = cProfile.Profile(time.process_time)  # CPU: steadier than wall time on a shared machine
        profiler.enable()
        for _ in range(n):
            await one(rng.choice(owners))
        profiler.disable()
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).sort_stats(args["sort"])
        stats.print_stats(args["top"])
        out["profile"] = text.getvalue()
    await startup.put({"type": "lifespan.shutdown"})
    await task
    print(json.dumps(out))

asyncio.run(lifespan_and_run())
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=10, help="the requests in this many timed rounds")
    parser.add_argument("--profile", action="store_true", help="also a cProfile run of as many requests")
    parser.add_argument("--sort", default="tottime", help="pstats sort key of the profile")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--inline", action="store_true",
                        help="run the threadpool's work inline (what thread hops cost, by difference)")
    parser.add_argument("--tree", type=Path, help="another checkout to measure (default: this one)")
    args = parser.parse_args()
    tree = (args.tree or ROOT).resolve()
    var = Path(tempfile.mkdtemp(prefix="sohoa-bench-profile-"))
    url, _dbname = database_url(args.db, var)
    env = {**os.environ, "PYTHONPATH": str(tree), "SOHOA_VAR_DIR": str(var), "SOHOA_DATABASE_URL": url}
    filled = subprocess.run([sys.executable, "-c", FILL, json.dumps({"var": str(var), "url": url,
                             "records": args.records})], env=env, cwd=var, capture_output=True, text=True)
    if filled.returncode:
        sys.exit(f"filling the database failed:\n{filled.stderr[-3000:]}")
    prepared = json.loads(filled.stdout.strip().splitlines()[-1])
    before = audit_events(url)
    drive = {"var": str(var), "url": url, "redis": "redis://127.0.0.1:1/0", "owners": prepared["owners"],
             "key": prepared["key"], "requests": args.requests, "profile": args.profile, "sort": args.sort,
             "top": args.top, "inline": args.inline, "rounds": args.rounds}
    done = subprocess.run([sys.executable, "-c", DRIVE, json.dumps(drive)], env=env, cwd=var,
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"the requests failed:\n{done.stderr[-5000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    profile = result.pop("profile", None)
    result.update(tree=str(tree), db=args.db, records=args.records, requests=args.requests,
                  audit_events=audit_events(url) - before)
    print(json.dumps(result))
    if profile:
        print(profile)
    shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
