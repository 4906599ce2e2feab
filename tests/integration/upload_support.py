"""Real HTTP for the resumable-upload tests: the API under uvicorn in this process or as a
``sohoa serve`` process (to kill and restart), and a small tus client for the protocol."""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

import httpx
import uvicorn

from api import create_app
from sohoa.core.config import Settings
from tests.ports import free_port

TUS = {"Tus-Resumable": "1.0.0"}
UPLOADS = "/api/v1/uploads"


class LiveServer:
    """The app on a free port, served by uvicorn in a thread (its lifespan runs)."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


class ServerProcess:
    """``sohoa serve`` on the test's settings, in its own process: killed with SIGKILL and
    started again on the same port, as an API restart after a crash."""

    def __init__(self, settings: Settings, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
        self.env.update(SOHOA_VAR_DIR=str(settings.var_dir), SOHOA_DATABASE_URL=settings.database_url,
                        SOHOA_REDIS_URL=settings.redis_url, SOHOA_QUEUE_NAME=settings.queue_name,
                        SOHOA_HOST="127.0.0.1", SOHOA_PORT=str(self.port))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = (self.workdir / "serve.log").open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "sohoa", "serve"], cwd=self.workdir, env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.workdir / "serve.log").read_text()
            try:
                if httpx.options(f"{self.url}{UPLOADS}", timeout=1).status_code == 204:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("sohoa serve did not answer")

    def kill(self) -> None:
        """SIGKILL, and return once every API process is gone: with several, the supervisor
        dies first and its API processes a moment later (``PR_SET_PDEATHSIG``), time in which
        one could still finish a request (or hold the port the restart binds)."""
        if self.proc is not None and self.proc.poll() is None:
            serving = descendants(self.proc.pid)
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
            deadline = time.monotonic() + 10
            while (left := [p for p in serving if running(p)]) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert not left, f"API processes outlived their killed supervisor: {left}"


def descendants(pid: int) -> list[int]:
    out: list[int] = []
    try:
        children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return out
    for child in children:
        out += [child, *descendants(child)]
    return out


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def checksum(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm} {base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


def create(client: httpx.Client, length: int, **meta: str) -> httpx.Response:
    return client.post(UPLOADS, headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": metadata(**meta)})


def patch(client: httpx.Client, url: str, offset: int, data: bytes, *, algorithm: str | None = "sha256",
          headers: dict[str, str] | None = None) -> httpx.Response:
    sent = {**TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
    if algorithm:
        sent["Upload-Checksum"] = checksum(data, algorithm)
    return client.patch(url, content=data, headers={**sent, **(headers or {})})


def offset_of(client: httpx.Client, url: str) -> int:
    response = client.head(url, headers=TUS)
    assert response.status_code == 200, response.status_code
    return int(response.headers["upload-offset"])


def upload_all(client: httpx.Client, url: str, data: bytes, chunk: int, *, retries: int = 10) -> int:
    """Send ``data`` in chunks from the stored offset, starting over from HEAD after every
    broken connection; returns how many connections broke."""
    breaks = 0
    offset = offset_of(client, url)
    while offset < len(data):
        try:
            response = patch(client, url, offset, data[offset:offset + chunk])
            assert response.status_code == 204, response.text
            offset = int(response.headers["upload-offset"])
        except httpx.TransportError:
            breaks += 1
            assert breaks <= retries
            time.sleep(0.05)
            offset = offset_of(client, url)
    return breaks
