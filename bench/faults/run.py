"""Faults × documents × indexed / wrongly failed / lost / duplicated / stuck, on a real stack.

Each scenario starts its own redis-server, database (SQLite, or a PostgreSQL cluster of its
own for the database restart), `sohoa worker` processes and the reconciler, sends generated
scans (real Tesseract), causes the fault for real, and counts when everything is final:

  indexed         indexed with every page read and in the search index
  wrongly failed  ended failed (every input is a valid scan)
  lost            sent but no document, or indexed with a page missing
  duplicated      a document registered twice, or a page in the index more than once
  stuck           still queued or processing after the recovery deadline

    .venv/bin/python bench/faults/run.py [--only NAME ...] [--out docs/faults.md]
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.faults import scenarios
from bench.faults.stack import Row

SCENARIOS: dict[str, Callable[[Path, random.Random], Row]] = {
    "worker_kills": scenarios.worker_kills,
    "redis_restart": scenarios.redis_restart,
    "database_restart": scenarios.database_restart,
    "search_down": scenarios.search_down,
    "disk_full": scenarios.disk_full,
    "api_killed": scenarios.api_killed,
    "sigterm_long": scenarios.sigterm_long,
}


def table(rows: list[Row]) -> str:
    lines = ["| fault | documents | indexed | wrongly failed | lost | duplicated | stuck | seconds | note |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r.fault} | {r.documents} | {r.indexed} | {r.wrongly_failed} | {r.lost} | "
                     f"{r.duplicated} | {r.stuck} | {r.seconds:.0f} | {r.note} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS))
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--out", type=Path, help="write the table into this Markdown file")
    args = parser.parse_args()
    rows = []
    for name in args.only or SCENARIOS:
        workdir = Path(tempfile.mkdtemp(prefix=f"sohoa-fault-{name}-"))
        shutil.chown(workdir, "postgres") if name == "database_restart" else None
        started = time.monotonic()
        print(f"== {name}", flush=True)
        try:
            row = SCENARIOS[name](workdir, random.Random(args.seed))
        finally:
            subprocess.run(["umount", "-l", str(workdir / "disk")], capture_output=True)
        row.seconds = time.monotonic() - started
        print(table([row]).splitlines()[-1], flush=True)
        rows.append(row)
        shutil.rmtree(workdir, ignore_errors=True)
    print(table(rows))
    if args.out is not None:
        text = args.out.read_text(encoding="utf-8")
        begin, end = "<!-- faults-table -->", "<!-- /faults-table -->"
        head, _, rest = text.partition(begin)
        _, _, tail = rest.partition(end)
        args.out.write_text(f"{head}{begin}\n{table(rows)}\n{end}{tail}", encoding="utf-8")
    bad = [r for r in rows if r.wrongly_failed or r.lost or r.duplicated or r.stuck]
    return 1 if bad else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.exit(main())
