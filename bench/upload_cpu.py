"""CPU of an upload outside the workers: the API (every process of ``sohoa serve``) and the
``sohoa ingest`` client sending a folder, then the API's CPU per poll of the batch.

    python bench/upload_cpu.py --samples /tmp/mix16 --polls 40
    PYTHONPATH=/path/to/other/tree python bench/upload_cpu.py ...   # the same on that tree's code

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
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tree_cpu(root: int) -> float:
    """CPU seconds of ``root`` and every process under it, with the children they waited for (/proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    procs: dict[int, tuple[int, float]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        procs[int(stat.parent.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / tick)

    def under(pid: int) -> bool:
        while pid in procs:
            if pid == root:
                return True
            pid = procs[pid][0]
        return False

    return sum(cpu for pid, (_, cpu) in procs.items() if under(pid))


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
        redis_port, port = free_port(), free_port()
        redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
        env.update(SOHOA_VAR_DIR=str(tmp / "var"), SOHOA_PORT=str(port),
                   SOHOA_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0")
        try:
            sohoa("migrate", env=env, cwd=tmp)
            created = sohoa("keys", "create", "--role", "clerk", "--name", "bench", env=env, cwd=tmp)
            key = re.search(r"sohoa_\S+", created)
            assert key is not None, created
            serve = subprocess.Popen([sys.executable, "-m", "sohoa", "serve"], env=env, cwd=tmp,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                run_upload(samples, polls, state_entries, tmp, env, key.group(0), serve.pid, port)
            finally:
                serve.send_signal(signal.SIGINT)
                serve.wait(timeout=60)
        finally:
            redis.terminate()
            redis.wait(timeout=30)


def run_upload(samples: Path, polls: int, state_entries: int, tmp: Path, env: dict[str, str], key: str,
               serve_pid: int, port: int) -> None:
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(f"{url}/healthz", timeout=2)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise SystemExit("sohoa serve did not answer in 120 s") from None
            time.sleep(0.3)
    time.sleep(1.0)  # every API process up
    state = tmp / "state.json"
    fill_state(state, state_entries)
    api_before, client_before = tree_cpu(serve_pid), children_cpu()
    sent = subprocess.run([sys.executable, "-m", "sohoa", "ingest", str(samples / "files"), "--no-wait",
                           "--api-url", url, "--state-file", str(state)], env={**env, "SOHOA_API_KEY": key},
                          cwd=tmp, capture_output=True, text=True)  # not the repo: -m would import it first
    client, api_upload = children_cpu() - client_before, tree_cpu(serve_pid) - api_before
    batch = re.search(r"[0-9a-f]{32}", sent.stdout)
    if sent.returncode != 0 or batch is None:
        raise SystemExit(f"sohoa ingest failed ({sent.returncode}): {sent.stdout}{sent.stderr}")
    files = len(list((samples / "files").iterdir()))
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
        before = tree_cpu(serve_pid)
        for _ in range(polls):
            http.get(f"/api/v1/batches/{batch.group(0)}").raise_for_status()
        per_poll = (tree_cpu(serve_pid) - before) / max(polls, 1) * 1000
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
