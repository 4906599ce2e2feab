"""``sohoa serve`` (no workers) with a redis-server of its own, on free loopback ports, for the
tools that need a real API outside pytest: ``scripts/fuzz.py`` and ``bench/upload_cpu.py``.
Here because both already build on the tests' support modules (``tests.ports``), and neither
imports the other."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from tests.ports import free_port


class NotServing(RuntimeError):
    """``sohoa serve`` exited or did not answer ``/healthz`` in time; the message holds its log."""


class ServeStack:
    """``env`` (the caller's environment without its ``SOHOA_*``, plus this stack's var dir
    under ``workdir``, Redis URL, host and port) is ready before the servers start, for what
    prepares the database (``sohoa migrate``, a key); ``with stack:`` starts both and stops
    them at the end."""

    def __init__(self, workdir: Path, *, cwd: Path | None = None, timeout: float = 120) -> None:
        self.workdir, self.cwd, self.timeout = workdir, cwd or workdir, timeout
        self.port, self.redis_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
        self.env.update(SOHOA_VAR_DIR=str(workdir / "var"), SOHOA_REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
                        SOHOA_HOST="127.0.0.1", SOHOA_PORT=str(self.port))
        self.log = workdir / "serve.log"
        self.redis: subprocess.Popen[bytes] | None = None
        self.api: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServeStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        """Both servers; returns once ``/healthz`` answers (whatever its status), raises
        ``NotServing`` if ``sohoa serve`` exits first or is still silent after ``timeout``.
        ``cwd`` is where ``sohoa serve`` runs: not a checkout whose ``sohoa`` ``-m`` would
        import before ``PYTHONPATH``'s, when measuring another tree's code."""
        self.redis = subprocess.Popen(["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                       "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with self.log.open("wb") as log:
            self.api = subprocess.Popen([sys.executable, "-m", "sohoa", "serve"], cwd=self.cwd, env=self.env,
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                httpx.get(f"{self.url}/healthz", timeout=2)
                return
            except httpx.HTTPError:
                if self.api.poll() is not None or time.monotonic() > deadline:
                    what = f"exited with {self.api.returncode}" if self.api.returncode is not None \
                        else f"did not answer in {self.timeout:.0f} s"
                    raise NotServing(f"sohoa serve {what}:\n{self.log.read_text(errors='replace')}") from None
                time.sleep(0.3)

    def stop(self) -> None:
        """``sohoa serve`` stopped as Ctrl-C stops it, then Redis."""
        if self.api is not None and self.api.poll() is None:
            self.api.send_signal(signal.SIGINT)
            self.api.wait(timeout=60)
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(timeout=30)
