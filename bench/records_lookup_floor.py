"""The floor under ``bench/records_lookup.py``: the same HTTP stack answering without the database.

    .venv/bin/python -m bench.records_lookup_floor --app bare    # uvicorn + FastAPI, one canned answer
    .venv/bin/python -m bench.records_lookup_floor --app stack   # + sohoa's middleware and the route's
                                                                 #   dependency shape, no database

The lookup benchmark's wrk script (32 connections, a portal's key and purpose, random owners)
against ``uvicorn`` started as ``sohoa serve`` starts it (``--processes`` workers, httptools,
uvloop). ``bare``: an ``async`` route returning a lookup's JSON, already encoded. ``stack``:
the app's middleware (gzip, tus headers, CSRF, NUL check), the route's query parameters and
dependencies in the real one's shape (``async``: services, a session generator, the caller
from a Bearer key, a cookie and a purpose), building the same pydantic response, with no
database and no audit event. What the real lookup costs
beyond ``stack`` is the database's and the audit log's share; ``bare`` is what no code of ours
can go below on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.records_lookup import ROOT, WRK_SCRIPT, free_port
from bench.stack_cpu import tree_cpu

# One real lookup's answer (an owner with one birth extract), as the benchmark's data gives it.
BODY = {"valid_on": "2026-12-01", "total": 1, "records": [{
    "id": "rec00000001", "document_id": "doc00000001", "part_id": None, "pages": None, "kind": "result",
    "owner_id": "001085000111", "owner_id_type": "cccd", "owner_name": "Nguyễn Văn An",
    "doc_type": "trich_luc_khai_sinh", "procedure_code": None, "doc_number": "1/QĐ-UBND",
    "issuing_body": "UBND xã Yên Phú", "issue_date": "2016-03-02", "valid_from": "2016-03-02",
    "valid_until": None, "permanent": True, "approved": True, "legal_status": "in_force", "replaced_by": None,
    "review_state": "extracted", "confirmed_at": None, "updated_at": "2026-12-01T10:00:00Z",
    "valid_on": "2026-12-01", "valid": True, "validity_reason": "valid",
    "subjects": [{"role": "child", "person_id": "001085000111", "id_type": "cccd", "name": "Nguyễn Văn An"},
                 {"role": "mother", "person_id": "0010******12", "id_type": "cccd", "name": "Nguyễn Văn An"}],
    "fields": {name: {"value": "x", "confidence": None, "page": None, "span": None, "source": "none",
                      "problems": []} for name in ("owner_id", "owner_name", "procedure_code", "doc_type",
                                                   "doc_number", "issuing_body", "issue_date", "valid_from",
                                                   "valid_until", "permanent", "legal_status")},
    "links": {"original": "/api/v1/documents/doc00000001/original", "searchable_pdf": None,
              "self": "/api/v1/records/rec00000001"},
    "candidates": None}]}

APP = r'''
import json, os
from typing import Annotated
from fastapi import Depends, FastAPI, Header, Query, Response
BODY = json.loads(os.environ["BENCH_BODY"])

def bare() -> FastAPI:
    app = FastAPI()
    encoded = json.dumps(BODY, ensure_ascii=False, separators=(",", ":")).encode()

    @app.get("/api/v1/records")
    async def lookup() -> Response:
        return Response(encoded, media_type="application/json")

    return app

def stack() -> FastAPI:
    from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
    from starlette.middleware.gzip import GZipMiddleware
    from api.csrf import CsrfMiddleware
    from api.inputs import RefuseNul
    from api.schemas_records import RecordListPublic
    from api.tus import TusHeaders
    app = FastAPI()
    bearer, cookie = HTTPBearer(auto_error=False), APIKeyCookie(name="sohoa_session", auto_error=False)

    async def services() -> object:
        return object()

    async def session(s: Annotated[object, Depends(services)]):  # an async generator, as get_session
        yield object()

    async def principal(s: Annotated[object, Depends(session)], v: Annotated[object, Depends(services)],
                        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
                        c: Annotated[str | None, Depends(cookie)]) -> str:
        return credentials.credentials if credentials else ""

    async def caller(who: Annotated[str, Depends(principal)],
                     x_purpose: Annotated[str | None, Header(alias="X-Purpose")] = None,
                     purpose: str | None = None) -> str:
        return who

    @app.get("/api/v1/records", response_model=RecordListPublic)
    async def lookup(who: Annotated[str, Depends(caller)], s: Annotated[object, Depends(session)],
                     v: Annotated[object, Depends(services)], owner_id: str | None = None,
                     doc_type: Annotated[str | None, Query(max_length=64)] = None,
                     procedure_code: Annotated[str | None, Query(max_length=64)] = None,
                     valid_on: str | None = None, include_invalid: bool = False, document_id: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50) -> RecordListPublic:
        return RecordListPublic.model_validate(BODY)

    app.add_middleware(RefuseNul)
    app.add_middleware(CsrfMiddleware)
    app.add_middleware(TusHeaders)
    app.add_middleware(GZipMiddleware, minimum_size=600)
    return app
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", choices=("bare", "stack"), default="bare")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="sohoa-bench-floor-"))
    (var / "floor_app.py").write_text(APP)
    (var / "owners.txt").write_text("\n".join(f"0010850{i:05d}" for i in range(2000)) + "\n")
    (var / "lookup.lua").write_text(WRK_SCRIPT)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{var}:{ROOT}", "BENCH_BODY": json.dumps(BODY),
           "BENCH_OWNERS": str(var / "owners.txt"), "BENCH_KEY": "sohoa_bench_key"}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", f"floor_app:{args.app}", "--factory",
                               "--port", str(port), "--workers", str(args.processes), "--log-level", "warning"],
                              env=env, cwd=var)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(f"{base}/api/v1/records", timeout=5).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        wrk = ["wrk", "-t2", f"-c{args.clients}", "-s", str(var / "lookup.lua"), "--latency", "--timeout", "10s"]
        subprocess.run([*wrk, "-d5s", base], env=env, capture_output=True, text=True, check=True)
        cpu_before = tree_cpu(server.pid)
        done = subprocess.run([*wrk, f"-d{args.seconds}s", base], env=env, capture_output=True, text=True,
                              check=True)
        cpu = tree_cpu(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait(timeout=30)
    match = re.search(r"BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", done.stdout)
    if not match:
        sys.exit(f"wrk said:\n{done.stdout}\n{done.stderr}")
    requests, status_errors, socket_errors, p50, p95, p99, worst, duration = map(int, match.groups())
    print(json.dumps({"app": args.app, "processes": args.processes, "clients": args.clients, "requests": requests,
                      "rps": round(requests / (duration / 1e6), 1), "p50_ms": p50 / 1e3, "p95_ms": p95 / 1e3,
                      "p99_ms": p99 / 1e3, "max_ms": worst / 1e3, "non_2xx": status_errors,
                      "socket_errors": socket_errors,
                      "server_cpu_ms_per_request": round(cpu / max(requests, 1) * 1e3, 3),
                      "load": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
