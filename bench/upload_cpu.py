"""CPU of an upload outside the workers: the API (every process of ``sohoa serve``) and the
``sohoa ingest`` client sending a folder, then the API's CPU per poll of the batch.

    python -m bench.upload_cpu --samples /tmp/mix16 --polls 40
    PYTHONPATH=/path/to/other/tree python -m bench.upload_cpu ...   # the same on that tree's code

(from the repository's root, where ``-m`` finds ``bench`` and ``tests``; ``sohoa`` runs in a
temporary directory, so ``PYTHONPATH``'s tree is the one measured).

No workers run (``sohoa serve`` alone, ``sohoa ingest --no-wait``), so the figures are the
upload's own: tus creation, chunks, completion (registration, the job enqueued), and the
poll ``sohoa ingest`` repeats once a second while a batch runs. CPU seconds, not wall time,
so runs on a machine other work keeps busy still compare; run the two trees alternately.

The client's state file is pre-filled with ``--state-entries`` entries of earlier uploads
(what a week of a clerk's batches leaves there; the default state file of a shared machine
held ~2,000), since the client's cost depends on it.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.stack_cpu import tree_cpu
from tests.serve_stack import ServeStack


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def fill_state(path: Path, entries: int) -> None:
    """A state file holding ``entries`` earlier uploads, as ``sohoa ingest`` writes them."""
    now = time.time()
    files = {f"{i:064x}": {"done": True, "batch_id": "b" * 32, "at": now,
                           "document": {"id": f"{i:032x}", "filename": f"scan-{i}.pdf", "status": "queued",
                                        "duplicate": False, "sha256": f"{i:064x}", "size_bytes": 1200000,
                                        "mime_type": "application/pdf", "pages_total": 1}}
             for i in range(entries)}
    path.write_text(json.dumps({"version": 1, "runs": {}, "files": files}), encoding="utf-8")


def sohoa(*args: str, env: dict[str, str], cwd: Path) -> str:
    return subprocess.run([sys.executable, "-m", "sohoa", *args], env=env, cwd=cwd, check=True,
                          capture_output=True, text=True).stdout


def measure(samples: Path, polls: int, state_entries: int) -> None:
    with tempfile.TemporaryDirectory(prefix="sohoa-upload-cpu-") as tmp_name:
        tmp = Path(tmp_name)
        stack = ServeStack(tmp)  # serves from tmp: not the repo, whose sohoa -m would import first
        sohoa("migrate", env=stack.env, cwd=tmp)
        created = sohoa("keys", "create", "--role", "clerk", "--name", "bench", env=stack.env, cwd=tmp)
        key = re.search(r"sohoa_\S+", created)
        assert key is not None, created
        with stack:
            run_upload(samples, polls, state_entries, stack, key.group(0))


def run_upload(samples: Path, polls: int, state_entries: int, stack: ServeStack, key: str) -> None:
    assert stack.api is not None
    time.sleep(1.0)  # every API process up
    state = stack.workdir / "state.json"
    fill_state(state, state_entries)
    api_before, client_before = tree_cpu(stack.api.pid), children_cpu()
    sent = subprocess.run([sys.executable, "-m", "sohoa", "ingest", str(samples / "files"), "--no-wait",
                           "--api-url", stack.url, "--state-file", str(state)],
                          env={**stack.env, "SOHOA_API_KEY": key}, cwd=stack.workdir, capture_output=True,
                          text=True)  # not the repo: -m would import it first
    client, api_upload = children_cpu() - client_before, tree_cpu(stack.api.pid) - api_before
    batch = re.search(r"[0-9a-f]{32}", sent.stdout)
    if sent.returncode != 0 or batch is None:
        raise SystemExit(f"sohoa ingest failed ({sent.returncode}): {sent.stdout}{sent.stderr}")
    files = len(list((samples / "files").iterdir()))
    with httpx.Client(base_url=stack.url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
        before = tree_cpu(stack.api.pid)
        for _ in range(polls):
            http.get(f"/api/v1/batches/{batch.group(0)}").raise_for_status()
        per_poll = (tree_cpu(stack.api.pid) - before) / max(polls, 1) * 1000
    print(f"upload of {files} files: API {api_upload:.2f} s CPU ({api_upload / files * 1000:.1f} ms a file), "
          f"sohoa ingest client {client:.2f} s CPU (state file of {state_entries} entries); "
          f"GET /batches/{{id}} ({files} documents): {per_poll:.1f} ms CPU a poll ({polls} polls)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=Path, default=Path("/tmp/mix16"), help="A folder with files/.")
    parser.add_argument("--polls", type=int, default=40)
    parser.add_argument("--state-entries", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    for _ in range(args.rounds):
        measure(args.samples, args.polls, args.state_entries)


if __name__ == "__main__":
    main()
