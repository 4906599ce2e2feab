"""CPU seconds of a process tree, read from Linux ``/proc``: what the benches compare instead of
wall time, which on a machine other work keeps busy swings with that work (CPU seconds much less).

- ``tree_cpu(root)``: one total for a server and everything under it (``bench.records_lookup``,
  ``bench.records_lookup_floor``, ``bench.upload_cpu``: the API's CPU per request or per file).
- ``stack_cpu(root)``: the processes under ``sohoa run`` split by the role they serve (API,
  worker, Redis, …), each role's programs (Tesseract, poppler, qpdf) apart from its Python
  (``bench.e2e_samples``: where the cores went during an upload).

Both count a process's time once: in its own ``stat`` (``utime`` + ``stime``) while it runs,
in its parent's ``cutime`` + ``cstime`` once the parent has waited for it, never in both. So a
program that starts and ends between two readings still counts, in its parent's line, and
subtracting a reading from a later one gives what the tree used in between.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

_MAX_DEPTH = 64  # a process tree deeper than this is a loop of reused pids, not a stack


class Proc(NamedTuple):
    """One process as ``/proc/PID/stat`` shows it, times in seconds."""

    parent: int
    own: float  # utime + stime: its own CPU so far
    reaped: float  # cutime + cstime: the CPU of the children it has waited for


def processes() -> dict[int, Proc]:
    """Every process now, by pid (one that ends while being read is left out)."""
    tick = os.sysconf("SC_CLK_TCK")
    procs: dict[int, Proc] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()  # the name may hold spaces and ")"
        except OSError:
            continue
        procs[int(stat.parent.name)] = Proc(int(fields[1]), (int(fields[11]) + int(fields[12])) / tick,
                                            (int(fields[13]) + int(fields[14])) / tick)
    return procs


def child_of(root: int, pid: int, procs: dict[int, Proc]) -> int | None:
    """The child of ``root`` that ``pid`` descends from (``pid`` itself for a child), or None."""
    for _ in range(_MAX_DEPTH):
        if pid not in procs:
            return None
        parent = procs[pid].parent
        if parent == root:
            return pid
        pid = parent
    return None


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) so far of ``root`` and every process under it, with the
    children they have waited for."""
    procs = processes()
    return sum(proc.own + proc.reaped for pid, proc in procs.items()
               if pid == root or child_of(root, pid, procs) is not None)


def stack_cpu(root: int) -> dict[str, float]:
    """CPU seconds so far of every process under ``sohoa run`` (``root``, whose own time is not
    counted), each under the role of the child of ``sohoa run`` it descends from (serve,
    worker, …): a role's own Python processes (the API's uvicorn worker processes are
    grandchildren of ``sohoa run``, one per core by default) under the role, the programs they
    start (running ones, and the time of every child already waited for) under "ROLE's
    programs"."""
    procs = processes()
    tops = {pid: top for pid in procs if (top := child_of(root, pid, procs)) is not None}
    argvs = {pid: argv for pid in tops if (argv := _argv(pid)) is not None}
    used: dict[str, float] = {}
    for pid, top in tops.items():
        if pid not in argvs or top not in argvs:
            continue  # ended while being read
        role = _role(argvs[top])
        python = pid == top or Path(argvs[pid][0].decode(errors="replace")).name.startswith("python")
        key = role if python else f"{role}'s programs"
        used[key] = used.get(key, 0.0) + procs[pid].own
        if procs[pid].reaped or role == "worker":  # a worker's programs line even at 0
            used[f"{role}'s programs"] = used.get(f"{role}'s programs", 0.0) + procs[pid].reaped
    return used


def _argv(pid: int) -> list[bytes] | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None


def _role(argv: list[bytes]) -> str:
    """``python -m sohoa ROLE`` → ROLE; any other program (redis-server) by its name."""
    try:
        return argv[3].decode() if b"sohoa" in argv[:3] else Path(argv[0].decode()).name
    except (IndexError, UnicodeDecodeError):
        return "?"


def print_stack_cpu(before: dict[str, float], after: dict[str, float], seconds: float, client: float) -> float:
    """Where the cores went during the upload (``stack_cpu`` before and after it, and the
    ``sohoa ingest`` client's CPU seconds): one line by role; returns the CPU seconds of the
    whole path (stack + client)."""
    spent = {role: after[role] - before.get(role, 0.0) for role in after}
    spent["ingest client"] = client
    print(f"CPU during the {seconds:.1f}s upload: " + ", ".join(
        f"{role} {value:.1f}s" for role, value in sorted(spent.items())) + f"; {sum(spent.values()):.1f}s in all")
    return sum(spent.values())
