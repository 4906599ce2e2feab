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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sohoa.core.db import make_engine, make_session_factory, migrate, session_scope  # noqa: E402
from sohoa.domain.keys import create_key  # noqa: E402
from tests.serve_stack import NotServing, ServeStack  # noqa: E402


def main() -> int:
    budget = os.environ.get("FUZZ_SECONDS", "300")
    work = Path(tempfile.mkdtemp(prefix="sohoa-fuzz-"))
    stack = ServeStack(work, cwd=ROOT, timeout=60)
    try:
        url = f"sqlite:///{work / 'var' / 'sohoa.sqlite3'}"
        migrate(url)
        engine = make_engine(url)
        with session_scope(make_session_factory(engine)) as session:
            own, key = create_key(session, role="admin", name="fuzz")
            own_id = own.id
        engine.dispose()
        with stack:
            reports = ROOT / "var" / "fuzz"
            reports.mkdir(parents=True, exist_ok=True)
            command = [str(Path(sys.executable).with_name("schemathesis")), "run", f"{stack.url}/openapi.json",
                       "--header", f"Authorization: Bearer {key}", "--checks", "all", "--max-time", budget,
                       "--workers", "2", "--report", "junit", "--report-dir", str(reports),
                       "--continue-on-failure", *sys.argv[1:]]
            print("$", " ".join(c if "Bearer" not in c else "Authorization: Bearer …" for c in command), flush=True)
            path = os.pathsep.join(filter(None, [str(ROOT / "scripts"), os.environ.get("PYTHONPATH")]))
            hooks = {"SCHEMATHESIS_HOOKS": "fuzz_hooks", "FUZZ_KEY_ID": str(own_id), "PYTHONPATH": path}
            return subprocess.call(command, cwd=ROOT, env={**os.environ, **hooks})
    except NotServing as failed:
        print(failed, file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
