"""``sohoa run`` for real: Redis with AOF, API, a worker, the reconciler; ``sohoa ingest``
through it; Ctrl-C (SIGINT) stops everything with exit code 0 and no process left behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from sohoa.cli import main
from tests.integration.workers_support import png_bytes
from tests.ports import free_port


class Stack:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.port = free_port()
        self.redis_port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
        self.env.update(SOHOA_VAR_DIR="var",  # relative to cwd, as `make run` has it
                        SOHOA_PORT=str(self.port),
                        SOHOA_REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0", SOHOA_WORKERS="1")
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[str] | None = None
        self.log = tmp_path / "run.log"

    def start(self) -> str:
        """Start ``sohoa run``; returns its output up to the banner."""
        self.proc = subprocess.Popen([sys.executable, "-m", "sohoa", "run", "--grace", "5"],
                                     cwd=self.tmp_path, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self.log.open("w"), stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            text = self.log.read_text()
            if "Ctrl-C stops everything" in text:
                return text
            assert self.proc.poll() is None, f"sohoa run exited early:\n{text}"
            time.sleep(0.2)
        raise AssertionError(f"no banner within 90s:\n{self.log.read_text()}")

    def descendants(self) -> list[int]:
        assert self.proc is not None
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        found, frontier = [], [self.proc.pid]
        while frontier:
            pid = frontier.pop()
            kids = [p for p, pp in parents.items() if pp == pid]
            found += kids
            frontier += kids
        return found

    def interrupt(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=60)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            for pid in self.descendants():
                _kill(pid)
            self.proc.kill()
            self.proc.wait()


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    s = Stack(tmp_path)
    yield s
    s.kill()


def ingest(stack: Stack, key: str, *args: str):
    env = {**stack.env, "SOHOA_API_KEY": key}
    return CliRunner().invoke(main, ["ingest", "--api-url", stack.base, "--poll", "0.3",
                                     "--state-file", str(stack.tmp_path / "ingest-state.json"), *args],
                              env=env, catch_exceptions=False)


def test_run_serves_ingests_and_stops_cleanly_on_ctrl_c(stack: Stack, tmp_path: Path) -> None:
    banner = stack.start()
    key_match = re.search(r"export SOHOA_API_KEY=(sohoa_\S+)", banner)
    assert key_match, banner
    key = key_match.group(1)
    assert f"http://127.0.0.1:{stack.port}/docs" in banner

    health = httpx.get(f"{stack.base}/healthz", timeout=10)
    assert health.status_code == 200, health.text
    _sign_in_as_the_first_admin(stack, banner)

    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / "a-khai-sinh.png").write_bytes(png_bytes(["GIẤY KHAI SINH", "Họ và tên: Nguyễn Văn An"]))
    (scans / "b-don.png").write_bytes(png_bytes(["ĐƠN ĐỀ NGHỊ", "Họ và tên: Trần Thị Bình"]))
    done = ingest(stack, key, str(scans), "--timeout", "120")  # the first file creates the batch
    assert done.exit_code == 0, done.output
    assert "sent 1/2 files" in done.output
    assert "2 indexed, 0 failed" in done.output

    found = httpx.get(f"{stack.base}/api/v1/search", params={"q": "nguyen van an"},
                      headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    assert found["total"] >= 1 and found["hits"][0]["filename"] == "a-khai-sinh.png"

    (scans / "notes.txt").write_text("not a scan")
    rejected = ingest(stack, key, str(scans / "notes.txt"), "--no-wait")
    assert rejected.exit_code == 1
    assert "rejected notes.txt" in rejected.output and "unsupported_type" in rejected.output

    refused = ingest(stack, key + "x", str(scans))
    assert refused.exit_code == 3 and "refused the key" in refused.output

    children = stack.descendants()
    assert len(children) >= 4  # redis, api, worker, reconciler
    assert stack.interrupt() == 0, stack.log.read_text()
    assert "sohoa stopped" in stack.log.read_text()
    assert not [pid for pid in children if _alive(pid)]
    assert (tmp_path / "var" / "redis" / "appendonlydir").is_dir()


def _sign_in_as_the_first_admin(stack: Stack, banner: str) -> None:
    """The banner's first admin signs in through the real server, as a browser would, and
    must choose a password before anything else."""
    printed = re.search(r"username: (\S+)\n\s+password: (\S+)", banner)
    assert printed and printed.group(1) == "admin", banner
    with httpx.Client(base_url=stack.base, timeout=10) as browser:
        signed = browser.post("/api/v1/session", json={"username": "admin", "password": printed.group(2)})
        assert signed.status_code == 201 and signed.json()["user"]["must_change_password"] is True
        assert browser.get("/api/v1/users").json()["error"]["code"] == "password_change_required"
        changed = browser.put("/api/v1/session/password", headers={"X-CSRF-Token": signed.json()["csrf_token"]},
                              json={"current_password": printed.group(2), "new_password": "mật khẩu quản trị"})
        assert changed.status_code == 200, changed.text
        assert [u["username"] for u in browser.get("/api/v1/users").json()] == ["admin"]


def test_run_refuses_a_busy_port_with_a_clear_message(stack: Stack, tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", stack.port))
        busy.listen()
        result = subprocess.run([sys.executable, "-m", "sohoa", "run"], cwd=tmp_path, env=stack.env,
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"127.0.0.1:{stack.port} is already in use" in result.stderr
    assert "SOHOA_PORT" in result.stderr
