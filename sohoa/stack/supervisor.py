"""``sohoa run``: one process tree for the embedded stack (Redis, API, workers, reconciler).

Children are separate ``python -m sohoa <command>`` processes, each in its own process
group, so a Ctrl-C in the terminal reaches only this supervisor, which then stops them in
order: API, reconciler and workers first (workers finish their current page run, within a
grace period), Redis last so its AOF is flushed after the last job update.

A worker that exits with code 0 on its own has recycled itself (``workers.jobs.runner``: after
``worker_max_jobs`` documents or above ``worker_max_memory_mb``) and is started again at
once. A child that dies unexpectedly is reported and restarted with a growing delay; when one
keeps dying (more than ``MAX_RESTARTS`` times within ``RESTART_WINDOW`` seconds) the whole
stack stops with a message and exit code 1, since a crash loop means a broken setup that
restarting cannot fix. Children get ``PR_SET_PDEATHSIG`` so none outlive a killed supervisor,
and the process group of a child that died is killed before it is restarted, so nothing it
started (a worker's RQ scheduler, its Tesseract) lives on as an orphan.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from sohoa.core.process import die_with_parent

MAX_RESTARTS = 5
RESTART_WINDOW = 120.0


@dataclass
class ChildSpec:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    # Workers get a second SIGTERM after the grace period: RQ's cold shutdown.
    second_term: bool = False
    # Exit code 0 means "restart me now" (a worker recycling itself), not a death.
    recycles: bool = False


@dataclass
class Child:
    spec: ChildSpec
    proc: subprocess.Popen[bytes] | None = None
    deaths: deque[float] = field(default_factory=deque)
    restart_at: float | None = None


def sohoa_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sohoa", *args]


def _die_with_parent() -> None:  # runs in the child between fork and exec
    die_with_parent(signal.SIGTERM)


class Supervisor:
    """Starts children, restarts the ones that die, stops all of them on request."""

    def __init__(self, specs: list[ChildSpec], *, log: Callable[[str], None],
                 grace_seconds: float = 15.0, poll_seconds: float = 0.25) -> None:
        self.children = [Child(spec) for spec in specs]
        self.log = log
        self.grace_seconds = grace_seconds
        self.poll_seconds = poll_seconds
        self.stop_requested = False
        self.hurry = False
        self.failure: str | None = None

    # -- signals -------------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self.stop_requested:
            self.hurry = True  # second Ctrl-C: do not wait for running jobs
            return
        self.stop_requested = True

    # -- lifecycle -----------------------------------------------------------------------
    def start_all(self) -> None:
        for child in self.children:
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **child.spec.env}
        child.proc = subprocess.Popen(child.spec.argv, env=env, stdin=subprocess.DEVNULL,
                                      process_group=0, preexec_fn=_die_with_parent)  # noqa: PLW1509 - one prctl call, no locks taken
        child.restart_at = None

    def pids(self) -> list[int]:
        return [c.proc.pid for c in self.children if c.proc and c.proc.poll() is None]

    def check_children(self, now: float | None = None) -> None:
        """Notice deaths, schedule restarts, and give up on a crash loop."""
        if self.stop_requested:
            return  # stopping: nothing is restarted any more
        now = time.monotonic() if now is None else now
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self.log(f"restarting {child.spec.name}")
                    self._spawn(child)
                continue
            if child.proc is None or (code := child.proc.poll()) is None:
                continue
            _killpg(child.proc)  # what it left in its group: an RQ scheduler, a Tesseract
            if code == 0 and child.spec.recycles:
                self.log(f"{child.spec.name} recycled itself; starting a fresh one")
                self._spawn(child)
                continue
            child.deaths.append(now)
            while child.deaths and now - child.deaths[0] > RESTART_WINDOW:
                child.deaths.popleft()
            if len(child.deaths) > MAX_RESTARTS:
                self.failure = (f"{child.spec.name} exited {len(child.deaths)} times within "
                                f"{RESTART_WINDOW:.0f}s (last exit code {code}); stopping sohoa. "
                                "See its messages above.")
                self.stop_requested = True
                return
            delay = min(2.0 ** (len(child.deaths) - 1), 30.0)
            self.log(f"{child.spec.name} exited unexpectedly with code {code}; "
                     f"restarting in {delay:.0f}s")
            child.restart_at = now + delay

    def run_until_stopped(self, extra_check: Callable[[], str | None] | None = None) -> None:
        while not self.stop_requested:
            self.check_children()
            if extra_check is not None and (problem := extra_check()):
                self.failure = problem
                self.stop_requested = True
                break
            time.sleep(self.poll_seconds)

    def stop_all(self) -> None:
        """SIGTERM all, wait for the grace period, then RQ's cold shutdown, then SIGKILL."""
        alive = [(c, c.proc) for c in self.children if c.proc is not None and c.proc.poll() is None]
        for child, proc in alive:
            child.restart_at = None
            _signal(proc, signal.SIGTERM)
        if not self._wait([proc for _, proc in alive], self.grace_seconds):
            stragglers = [(c, proc) for c, proc in alive if proc.poll() is None]
            self.log("still busy after the grace period: "
                     + ", ".join(c.spec.name for c, _ in stragglers) + "; interrupting their jobs "
                     "(the reconciler re-queues them on the next start)")
            twice = [proc for c, proc in stragglers if c.spec.second_term]
            for proc in twice:
                _signal(proc, signal.SIGTERM)
            if not twice or not self._wait([proc for _, proc in stragglers], 5.0):
                for _, proc in stragglers:
                    if proc.poll() is None:
                        _killpg(proc)
        for child in self.children:
            if child.proc is not None:
                child.proc.wait()
                _killpg(child.proc)  # leftovers of the group (tesseract, poppler)

    def _wait(self, procs: list[subprocess.Popen[bytes]], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.hurry:
            if all(proc.poll() is not None for proc in procs):
                return True
            time.sleep(0.1)
        return all(proc.poll() is not None for proc in procs)


def _signal(proc: subprocess.Popen[bytes] | None, signum: int) -> None:
    if proc is not None and proc.poll() is None:
        try:
            proc.send_signal(signum)
        except ProcessLookupError:
            pass


def _killpg(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
