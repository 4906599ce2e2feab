"""The local redis-server of the embedded stack: reused when one answers, else started here.

Redis only carries job messages (the database is the truth), but an AOF with a one-second
fsync keeps queued jobs across a restart so a clean stop loses nothing.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import redis

from sohoa.core.errors import SohoaError

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", ""}


class RedisStartError(SohoaError):
    code, status = "redis_unavailable", 503


def ping(url: str, timeout: float = 0.5) -> bool:
    """True when a Redis server answers on ``url``."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False
    except redis.RedisError:
        return True  # it answered, e.g. asking for a password: a server is there
    finally:
        client.close()


def redis_command(url: str, data_dir: Path) -> list[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisStartError("redis-server is not installed; `make run` installs it "
                              "(or: apt-get install redis-server)")
    port = urlsplit(url).port or 6379
    return [
        binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir),
        "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
        "--maxmemory-policy", "noeviction", "--daemonize", "no",
        "--logfile", str(data_dir / "redis.log"),
    ]


class LocalRedis:
    """Starts redis-server for ``url`` unless one already answers there (then leaves it alone)."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.url = url
        # Absolute: redis-server chdirs to --dir before it opens --logfile.
        self.data_dir = data_dir.resolve()
        self.proc: subprocess.Popen[bytes] | None = None
        self.reused = False

    def start(self, timeout: float = 15.0) -> None:
        if ping(self.url):
            self.reused = True
            return
        host = urlsplit(self.url).hostname or ""
        if host not in LOOPBACK_HOSTS:
            raise RedisStartError(f"no Redis answers at {self.url}, and it is not on this machine, "
                                  "so it cannot be started here; check SOHOA_REDIS_URL")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Own process group: a Ctrl-C in the terminal must not stop Redis before the
        # workers have finished; the supervisor stops it last.
        self.proc = subprocess.Popen(redis_command(self.url, self.data_dir), process_group=0,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RedisStartError(f"redis-server exited with code {self.proc.returncode}; "
                                      f"see {self.data_dir / 'redis.log'} (is the port in use?)")
            if ping(self.url):
                return
            time.sleep(0.1)
        self.stop()
        raise RedisStartError(f"redis-server did not answer on {self.url} within {timeout:.0f}s")

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def exited(self) -> int | None:
        """The exit code if the Redis we started has died, else None."""
        return self.proc.poll() if self.proc else None

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM makes redis-server flush and fsync the AOF before it exits."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
