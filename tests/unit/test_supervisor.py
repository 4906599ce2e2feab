"""The process supervisor of ``sohoa run`` with stand-in children (real processes, no services)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sohoa.stack import supervisor as sup
from sohoa.stack.supervisor import MAX_RESTARTS, ChildSpec, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
# Ignores the first SIGTERM (like an RQ worker busy with a job), exits on the second.
STUBBORN = [sys.executable, "-c", """
import signal, sys, time
hits = []
def on_term(*_):
    hits.append(1)
    if len(hits) > 1:
        sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""]
DEAF = [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead too
        return stat.read().split(")")[-1].split()[0] != "Z"


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def make(specs: list[ChildSpec], **kwargs: float) -> tuple[Supervisor, list[str]]:
    messages: list[str] = []
    return Supervisor(specs, log=messages.append, **kwargs), messages


def proc(s: Supervisor, index: int = 0) -> subprocess.Popen[bytes]:
    """The process of a child the test has started."""
    child_proc = s.children[index].proc
    assert child_proc is not None
    return child_proc


def test_stop_all_terminates_every_child() -> None:
    s, _ = make([ChildSpec("a", SLEEPER), ChildSpec("b", SLEEPER)], grace_seconds=5)
    s.start_all()
    pids = s.pids()
    assert len(pids) == 2 and all(alive(p) for p in pids)
    started = time.monotonic()
    s.stop_all()
    assert time.monotonic() - started < 4
    assert not any(alive(p) for p in pids)


def test_a_dead_child_is_reported_and_restarted() -> None:
    s, messages = make([ChildSpec("worker-1", SLEEPER)])
    s.start_all()
    first = s.pids()[0]
    os.kill(first, 9)
    assert wait_until(lambda: proc(s).poll() is not None)
    s.check_children()
    assert any("worker-1 exited unexpectedly" in m for m in messages)
    s.check_children(now=time.monotonic() + 5)  # past the 1 s backoff
    assert s.pids() and s.pids()[0] != first
    assert not s.stop_requested
    s.stop_all()


def test_a_crash_loop_stops_everything_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sup, "MAX_RESTARTS", 2)
    s, _ = make([ChildSpec("api", [sys.executable, "-c", "raise SystemExit(3)"]),
                 ChildSpec("worker-1", SLEEPER)], poll_seconds=0.02)
    s.start_all()
    worker_pid = proc(s, 1).pid
    clock = [time.monotonic()]
    while not s.stop_requested:
        clock[0] += 40  # jump past each backoff; all deaths stay within the window
        proc(s).wait()
        s.check_children(now=clock[0])
        s.check_children(now=clock[0] + 35)
    assert s.failure is not None and "api exited 3 times" in s.failure and "code 3" in s.failure
    s.stop_all()
    assert not alive(worker_pid)


def test_busy_worker_gets_the_grace_period_then_a_second_term() -> None:
    s, messages = make([ChildSpec("worker-1", STUBBORN, second_term=True)], grace_seconds=0.5)
    s.start_all()
    pid = s.pids()[0]
    time.sleep(0.5)  # let it install its handler
    s.stop_all()
    assert proc(s).returncode == 0  # it exited by itself on the second SIGTERM
    assert any("grace period" in m for m in messages)
    assert not alive(pid)


def test_a_child_ignoring_sigterm_is_killed() -> None:
    s, _ = make([ChildSpec("deaf", DEAF)], grace_seconds=0.3)
    s.start_all()
    pid = s.pids()[0]
    time.sleep(0.5)
    started = time.monotonic()
    s.stop_all()
    assert not alive(pid)
    assert time.monotonic() - started < 10


def test_children_die_with_a_killed_supervisor(tmp_path: Path) -> None:
    """PR_SET_PDEATHSIG: no orphan outlives a supervisor killed with SIGKILL."""
    script = tmp_path / "parent.py"
    script.write_text(
        "import sys, time\n"
        "from sohoa.stack.supervisor import ChildSpec, Supervisor\n"
        f"s = Supervisor([ChildSpec('c', {SLEEPER!r})], log=print)\n"
        "s.start_all()\n"
        "print(s.pids()[0], flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              cwd=os.getcwd())
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    assert alive(child_pid)
    parent.kill()
    parent.wait()
    assert wait_until(lambda: not alive(child_pid), timeout=5)


def test_a_recycling_worker_is_restarted_at_once_and_not_counted_as_a_death() -> None:
    quits = [sys.executable, "-c", "raise SystemExit(0)"]
    s, messages = make([ChildSpec("worker-1", quits, recycles=True)])
    s.start_all()
    for _ in range(MAX_RESTARTS + 3):  # more exits than a crash loop may have
        first = proc(s)
        assert wait_until(lambda: first.poll() is not None)  # noqa: B023 - called at once, in this same iteration
        s.check_children()
        assert s.children[0].proc is not first  # started again in the same check, no backoff
    assert not s.stop_requested and s.failure is None
    assert not s.children[0].deaths
    assert sum("worker-1 recycled itself" in m for m in messages) == MAX_RESTARTS + 3
    s.stop_all()


def test_exit_code_zero_of_a_child_that_does_not_recycle_is_a_death() -> None:
    s, messages = make([ChildSpec("api", [sys.executable, "-c", "raise SystemExit(0)"])])
    s.start_all()
    assert wait_until(lambda: proc(s).poll() is not None)
    s.check_children()
    assert any("api exited unexpectedly with code 0" in m for m in messages)
    assert len(s.children[0].deaths) == 1
    s.stop_all()
