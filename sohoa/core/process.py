"""Tying a child process's life to its parent's (Linux ``PR_SET_PDEATHSIG``).

A process killed outright (SIGKILL, the OOM killer) cannot stop its children; the kernel can,
if each child asked to be signalled when its parent dies. ``sohoa run``'s supervisor asks it
for every child it starts; a worker asks it for the RQ scheduler it forks.
"""

from __future__ import annotations

import ctypes
import os
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int = signal.SIGTERM) -> bool:
    """Ask for ``signum`` when the parent dies; False where the kernel offers no such thing."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, signum)) == 0
    except (OSError, AttributeError):
        return False


def forked_children_die_with_this_process(signum: int = signal.SIGTERM) -> None:
    """Every child this process forks from now on (``multiprocessing``'s fork, not
    ``subprocess``, which runs no fork hooks) gets ``signum`` when this process dies; one
    whose parent died before it could ask exits at once."""
    parent = os.getpid()

    def in_child() -> None:
        die_with_parent(signum)
        if os.getppid() != parent:
            os._exit(0)

    os.register_at_fork(after_in_child=in_child)
