"""A real sohoa stack for the browser tests: ``sohoa run`` (API, a worker with Tesseract, the
reconciler, its own Redis) in a temporary directory on free ports, one per test session."""

from __future__ import annotations

import ctypes
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.ports import free_port

READY = "Ctrl-C stops everything"
PR_SET_PDEATHSIG = 1


def _stop_with_parent() -> None:
    """In the child before exec: Linux sends SIGINT (sohoa run's clean stop) when the test
    process dies, however it dies, so no stack outlives an interrupted run."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGINT)


class Stack:
    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
        self.env.update(SOHOA_VAR_DIR=str(root / "var"), SOHOA_PORT=str(self.port), SOHOA_WORKERS="1",
                        SOHOA_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", **env)
        self.log = root / "run.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.admin_password = ""
        self.admin_key = ""

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "sohoa", "run", "--grace", "5"], cwd=self.root,
                                         env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True,
                                         # only preexec_fn can set PR_SET_PDEATHSIG; it runs prctl alone
                                         preexec_fn=_stop_with_parent)  # noqa: PLW1509 - see above
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = self.log.read_text(errors="replace")
            if READY in text:
                password = re.search(r"username: admin\n\s+password: (\S+)", text)
                key = re.search(r"export SOHOA_API_KEY=(sohoa_\S+)", text)
                assert password and key, text
                self.admin_password, self.admin_key = password.group(1), key.group(1)
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"sohoa run exited early:\n{text}")
            time.sleep(0.2)
        raise AssertionError(f"sohoa run did not start within 120 s:\n{self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key or self.admin_key}"}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)
