"""`make fuzz`: Schemathesis over the whole OpenAPI spec of a real API, within a time budget.

Starts a throwaway stack of its own (SQLite and the embedded search index in a temp dir, a
redis-server on a free port, `sohoa serve` on a free port, an admin key), then runs
`schemathesis run` against /openapi.json with that key, every check, for FUZZ_SECONDS
(default 300), with the hooks of scripts/fuzz_hooks.py (tus chunks sent as bytes; the run
never revokes or expires its own key). Exit code: Schemathesis' (non-zero when it found a
server error, a response not matching the spec, an undocumented status code...). Reports
in var/fuzz/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sohoa.core.db import make_engine, make_session_factory, migrate, session_scope  # noqa: E402
from sohoa.domain.keys import create_key  # noqa: E402
from tests.ports import free_port  # noqa: E402


def main() -> int:
    budget = os.environ.get("FUZZ_SECONDS", "300")
    work = Path(tempfile.mkdtemp(prefix="sohoa-fuzz-"))
    redis_port, api_port = free_port(), free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")},
           "SOHOA_VAR_DIR": str(work / "var"), "SOHOA_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
           "SOHOA_PORT": str(api_port), "SOHOA_HOST": "127.0.0.1"}
    url = f"sqlite:///{work / 'var' / 'sohoa.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        own, key = create_key(session, role="admin", name="fuzz")
        own_id = own.id
    engine.dispose()
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(work)], stdout=subprocess.DEVNULL)
    api = subprocess.Popen([sys.executable, "-m", "sohoa", "serve"], cwd=ROOT, env=env,
                           stdout=open(work / "api.log", "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115
    try:
        base = f"http://127.0.0.1:{api_port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or api.poll() is not None:
                    print((work / "api.log").read_text(), file=sys.stderr)
                    return 2
                time.sleep(0.3)
        reports = ROOT / "var" / "fuzz"
        reports.mkdir(parents=True, exist_ok=True)
        command = [str(Path(sys.executable).with_name("schemathesis")), "run", f"{base}/openapi.json",
                   "--header", f"Authorization: Bearer {key}", "--checks", "all", "--max-time", budget,
                   "--workers", "2", "--report", "junit", "--report-dir", str(reports),
                   "--continue-on-failure", *sys.argv[1:]]
        print("$", " ".join(c if "Bearer" not in c else "Authorization: Bearer …" for c in command), flush=True)
        hooks = {"SCHEMATHESIS_HOOKS": "fuzz_hooks", "FUZZ_KEY_ID": str(own_id),
                 "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "scripts"), os.environ.get("PYTHONPATH")]))}
        return subprocess.call(command, cwd=ROOT, env={**os.environ, **hooks})
    finally:
        api.terminate()
        api.wait(timeout=30)
        redis.terminate()
        redis.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
