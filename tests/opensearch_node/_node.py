"""One node: a JVM with its own path.home, started, waited for, stopped or killed and started
again on the same data; its HTTP answers; and a single-node cluster started in one call."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from tests.opensearch_node._build import build
from tests.opensearch_node._jvm import DEFAULT_HEAP, _die_with_parent, java_command

# What Launcher.PLUGIN_CLASSES can load, by the names OpenSearch's distribution uses.
ALL_PLUGINS = ("transport-netty4", "analysis-common", "lang-painless", "reindex", "mapper-extras", "analysis-icu")
READY_RE = re.compile(r"^osnode ready node=(\S+) http=(\S+) transport=(\S+) pid=(\d+)", re.M)


class NodeError(RuntimeError):
    """A node did not start, or did not reach the wanted state in time."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def ram_dir(prefix: str = "osnode-") -> Iterator[Path | None]:
    """A directory on tmpfs (``/dev/shm``) for path.data, removed afterwards; ``None`` where
    there is none. A node fsyncs its translog on every bulk and its cluster state on every
    change: on tmpfs those cost nothing (a test creating an index takes ~0.2 s instead of
    ~0.5 s here), and a killed JVM still finds its data when it starts again."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield None
        return
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=shm))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


_LIVE: set[Node] = set()


def _stop_all_at_exit() -> None:
    for node in list(_LIVE):
        with contextlib.suppress(Exception):
            node.stop(timeout=20)


atexit.register(_stop_all_at_exit)


def _request(method: str, url: str, body: object | None = None, timeout: float = 10.0) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        payload = err.read()
        try:
            return err.code, json.loads(payload or b"null")
        except ValueError:
            return err.code, payload.decode(errors="replace")


class Node:
    """One OpenSearch node (one JVM) with its own path.home; restartable on the same data.

    Created stopped; :meth:`start` launches it and, by default, waits until it serves HTTP.
    """

    def __init__(
        self,
        home: Path | str,
        *,
        name: str = "node-0",
        cluster_name: str = "sohoa-test",
        http_port: int | None = None,
        transport_port: int | None = None,
        seed_hosts: Sequence[str] = (),
        initial_cluster_manager_nodes: Sequence[str] = (),
        heap: str = DEFAULT_HEAP,
        settings: Mapping[str, object] | None = None,
        java: str | None = None,
        fast_startup: bool = True,
        plugins: Sequence[str] | None = None,
        data_dir: Path | str | None = None,
    ) -> None:
        self.home = Path(home).resolve()
        self.name = name
        self.cluster_name = cluster_name
        self.http_port = http_port or free_port()
        self.transport_port = transport_port or free_port()
        self.seed_hosts = list(seed_hosts)
        self.initial_cluster_manager_nodes = list(initial_cluster_manager_nodes)
        self.heap = heap
        self.settings = dict(settings or {})
        self.java = java
        self.fast_startup = fast_startup
        self.plugins = None if plugins is None else list(plugins)  # None: all (Launcher.PLUGIN_CLASSES)
        self.data_dir = Path(data_dir).resolve() if data_dir is not None else None  # None: home/data
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at: float | None = None
        self.ready_seconds: float | None = None  # spawn until the ready line, last start
        self._log_offset = 0

    # ---- addresses and files

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def transport_address(self) -> str:
        return f"127.0.0.1:{self.transport_port}"

    @property
    def launcher_log(self) -> Path:
        """The launcher's standard output and error (ready/stopped lines, JVM crashes)."""
        return self.home / "logs" / "launcher.out"

    @property
    def log(self) -> Path:
        """OpenSearch's own log."""
        return self.home / "logs" / f"{self.name}.log"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def rss_bytes(self) -> int | None:
        """Resident memory of the JVM now (from /proc), or None if it is not running."""
        if not self.running:
            return None
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        return int(match.group(1)) * 1024 if match else None

    def log_tail(self, lines: int = 40) -> str:
        parts = []
        for path in (self.launcher_log, self.log):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path}\n" + "\n".join(text))
        return "\n".join(parts)

    # ---- lifecycle

    def command(self) -> list[str]:
        args = [
            "--home", str(self.home),
            "--cluster-name", self.cluster_name,
            "--node-name", self.name,
            "--http-port", str(self.http_port),
            "--transport-port", str(self.transport_port),
        ]
        if self.seed_hosts:
            args += ["--seed-hosts", ",".join(self.seed_hosts)]
        if self.initial_cluster_manager_nodes:
            args += ["--initial-cluster-manager-nodes", ",".join(self.initial_cluster_manager_nodes)]
        if self.plugins is not None:
            args += ["--plugins", ",".join(self.plugins)]
        if self.data_dir is not None:
            args += ["--setting", f"path.data={self.data_dir}"]
        for key, value in self.settings.items():
            if isinstance(value, bool):
                text = str(value).lower()
            elif isinstance(value, (list, tuple)):
                text = ",".join(map(str, value))
            else:
                text = str(value)
            args += ["--setting", f"{key}={text}"]
        return java_command(self.home, self.heap, self.java, self.fast_startup) + args

    def spawn(self) -> None:
        """Launches the JVM without waiting (see :meth:`wait_ready`)."""
        if self.running:
            raise NodeError(f"{self.name} is already running (pid {self.pid})")
        build()
        (self.home / "logs").mkdir(parents=True, exist_ok=True)
        command = self.command()
        with open(self.launcher_log, "ab") as out:
            out.write(f"=== {time.strftime('%Y-%m-%dT%H:%M:%S')} start {self.name}\n".encode())
            self._log_offset = out.tell()
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=self.home,
                # Only preexec_fn can set PR_SET_PDEATHSIG; it runs nothing but setsid and prctl.
                # The signal follows the *thread* that spawned the JVM: start nodes from the main
                # thread (the fixtures do), not from a thread that ends before the node should.
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - see above
            )
        self.started_at = time.monotonic()
        self.ready_seconds = None
        _LIVE.add(self)

    def wait_ready(self, timeout: float = 120.0) -> Node:
        """Waits for the launcher's ready line (HTTP bound, node started)."""
        assert self.process is not None and self.started_at is not None
        deadline = time.monotonic() + timeout
        while True:
            with open(self.launcher_log, "rb") as f:
                f.seek(self._log_offset)
                text = f.read().decode(errors="replace")
            if READY_RE.search(text):
                self.ready_seconds = time.monotonic() - self.started_at
                return self
            if self.process.poll() is not None:
                _LIVE.discard(self)
                raise NodeError(f"{self.name} exited with {self.process.returncode} before it was ready\n"
                                + self.log_tail())
            if time.monotonic() > deadline:
                raise NodeError(f"{self.name} not ready after {timeout:.0f}s\n" + self.log_tail())
            time.sleep(0.1)

    def start(self, *, wait: bool = True, timeout: float = 120.0) -> Node:
        """Starts the node (again, on the same path.data after a stop or kill)."""
        self.spawn()
        return self.wait_ready(timeout) if wait else self

    def stop(self, timeout: float = 60.0) -> int | None:
        """SIGTERM: the node closes cleanly; SIGKILL if it has not exited after ``timeout``."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        _LIVE.discard(self)
        return self.process.returncode

    def kill(self) -> int | None:
        """SIGKILL the JVM: a crash, nothing is closed or flushed."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        _LIVE.discard(self)
        return self.process.returncode

    # ---- HTTP

    def request(self, method: str, path: str, body: object | None = None, timeout: float = 30.0
                ) -> tuple[int, object]:
        """A JSON request to this node (stdlib only): (status, decoded body)."""
        return _request(method, self.url + path, body, timeout)

    def health(self, wait_for_status: str | None = None, wait_for_nodes: int | None = None,
               timeout: float = 60.0) -> dict:
        query = [f"timeout={int(timeout)}s"]
        if wait_for_status:
            query.append(f"wait_for_status={wait_for_status}")
        if wait_for_nodes:
            query.append(f"wait_for_nodes={wait_for_nodes}")
        _, body = self.request("GET", "/_cluster/health?" + "&".join(query), timeout=timeout + 10)
        return body if isinstance(body, dict) else {"error": body}

    def __enter__(self) -> Node:
        if not self.running:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.running else "stopped"
        return f"<Node {self.name} {self.url} {state}>"


def _wait_for_status(nodes: Iterable[Node], status: str, n: int | None, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        for node in nodes:
            if not node.running:
                continue
            remaining = max(1.0, deadline - time.monotonic())
            try:
                health = node.health(status, n, timeout=min(remaining, 30.0))
            except OSError as err:  # connection refused, reset, timeout
                last = err
                continue
            last = health
            if health.get("timed_out") is False and "status" in health:
                return health
        time.sleep(0.2)
    raise NodeError(f"cluster not {status} ({n} nodes) after {timeout:.0f}s; last answer: {last}")


def start_node(
    home: Path | str,
    *,
    name: str = "node-0",
    cluster_name: str = "sohoa-test",
    heap: str = DEFAULT_HEAP,
    settings: Mapping[str, object] | None = None,
    timeout: float = 120.0,
    java: str | None = None,
    fast_startup: bool = True,
    plugins: Sequence[str] | None = None,
    data_dir: Path | str | None = None,
) -> Node:
    """A started single-node cluster (discovery.type=single-node) on free loopback ports.

    ``plugins`` names the modules and plugins to load (default: all the launcher knows,
    ``ALL_PLUGINS``); leave ``analysis-icu`` out for a node like a stock OpenSearch image.
    ``data_dir`` moves path.data out of ``home`` (e.g. onto tmpfs: see ``ram_dir``).
    """
    node = Node(home, name=name, cluster_name=cluster_name, heap=heap, settings=settings, java=java,
                fast_startup=fast_startup, plugins=plugins, data_dir=data_dir)
    node.start(timeout=timeout)
    try:
        _wait_for_status([node], "yellow", 1, timeout)
    except Exception:
        node.kill()
        raise
    return node
