"""The benches' CPU accounting (``bench.stack_cpu``): a program a role already waited for still
counts, under "ROLE's programs", and nothing outside the tree does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.stack_cpu import stack_cpu, tree_cpu

# The stack's supervisor: one child (the role), then waits until the test closes its stdin.
SUPERVISOR = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdin=subprocess.PIPE)
sys.stdin.read()
child.stdin.close()
child.wait()
"""
# The role: runs a program that burns CPU and waits for it, says how much, then stays.
ROLE = """
import resource, subprocess, sys
subprocess.run(["sh", "-c", "i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done"], check=True)
used = resource.getrusage(resource.RUSAGE_CHILDREN)
print(used.ru_utime + used.ru_stime, flush=True)
sys.stdin.read()
"""


def test_a_program_waited_for_counts_under_its_roles_programs() -> None:
    with subprocess.Popen([sys.executable, "-c", SUPERVISOR, ROLE], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as supervisor:
        assert supervisor.stdin is not None and supervisor.stdout is not None
        try:
            burned = float(supervisor.stdout.readline())
            by_role = stack_cpu(supervisor.pid)
            total = tree_cpu(supervisor.pid)
        finally:
            supervisor.stdin.close()
            supervisor.wait(timeout=30)
    role = Path(sys.executable).name
    assert burned > 0.05
    assert set(by_role) == {role, f"{role}'s programs"}
    assert by_role[f"{role}'s programs"] == pytest.approx(burned, abs=0.03)
    # the supervisor's own time is in the tree's total, not in a role
    assert total >= sum(by_role.values())
