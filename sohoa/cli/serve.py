"""The app factory ``sohoa serve`` hands uvicorn: each API process builds its app from the
settings (the same environment and ``.env`` as the command), and with it its own
``Services`` (database pool, search backend, queue) in the app's lifespan.

With several processes, uvicorn's main process only supervises them. If it is killed
outright (SIGKILL, the OOM killer), nothing would stop its API processes: they would keep
the port and answer on their own, an API that "restarts" next to its old self. So each
one asks the kernel to kill it when its parent dies (Linux ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from typing import TYPE_CHECKING

from api.app import create_app
from sohoa.cli.common import load_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

PR_SET_PDEATHSIG = 1


def app() -> FastAPI:
    settings = load_settings()
    if settings.api_process_count > 1:
        die_with_parent()
    return create_app(settings)


def die_with_parent() -> None:
    """SIGKILL this process when its parent exits (Linux; elsewhere nothing happens)."""
    if not sys.platform.startswith("linux"):
        return
    # The process that started this one (uvicorn's supervisor): it may already be gone while
    # this one was still importing, and then ``getppid()`` names whoever adopted us instead.
    spawner = multiprocessing.parent_process()
    parent = spawner.pid if spawner is not None and spawner.pid is not None else os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
