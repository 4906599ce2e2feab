"""Real OpenSearch 2.19 nodes for the test suite, built from Maven Central jars.

No OpenSearch distribution can be installed here, but the server and its modules are published
as jars. ``pom.xml`` beside this file lists them; ``Launcher.java`` starts a node from them in
one JVM (a ``Node`` subclass given its plugins as classes, as OpenSearch's own MockNode does).

    from tests import opensearch_node as osn

    osn.build()                                   # once; later calls return at once
    node = osn.start_node(tmp_path / "os")        # single-node, waits until it serves
    node.url                                      # http://127.0.0.1:PORT
    node.kill(); node.start(); node.stop()        # SIGKILL, back on the same data dir, SIGTERM

    cluster = osn.start_cluster(tmp_path / "c", n=3)
    cluster.url, cluster.urls, cluster.nodes[1].kill(), cluster.wait_for_status("green")

Everything built or downloaded goes under ``.cache/`` at the repository root (gitignored):
``.cache/m2`` is the Maven repository (the jars), ``.cache/opensearch-node/`` the launcher jar
and the runtime classpath. A build whose inputs (pom.xml, the Java sources) did not change is
not run again; a changed one is first tried with ``mvn -o``, so it needs no network as long as
the dependencies did not change.

The JVM is ``$SOHOA_OPENSEARCH_JAVA_HOME/bin/java``, else ``$JAVA_HOME/bin/java``, else ``java``
on PATH (Java 17 here; Temurin 25 works too). Only the standard library is used, so the
module also serves scripts (``python -m tests.opensearch_node --help``).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

__all__ = [
    "ALL_PLUGINS",
    "BuildError",
    "Cluster",
    "Node",
    "NodeError",
    "build",
    "classpath",
    "free_port",
    "java_command",
    "ram_dir",
    "start_cluster",
    "start_node",
]

PROJECT_DIR = Path(__file__).resolve().parent
REPO_ROOT = PROJECT_DIR.parents[1]
CACHE_DIR = Path(os.environ.get("SOHOA_CACHE_DIR", REPO_ROOT / ".cache"))
MAVEN_REPO = CACHE_DIR / "m2"
BUILD_DIR = CACHE_DIR / "opensearch-node"
LAUNCHER_CLASS = "sohoa.osnode.Launcher"
OPENSEARCH_VERSION = "2.19.6"

DEFAULT_HEAP = "512m"
# What Launcher.PLUGIN_CLASSES can load, by the names OpenSearch's distribution uses.
ALL_PLUGINS = ("transport-netty4", "analysis-common", "lang-painless", "reindex", "mapper-extras", "analysis-icu")
READY_RE = re.compile(r"^osnode ready node=(\S+) http=(\S+) transport=(\S+) pid=(\d+)", re.M)


class BuildError(RuntimeError):
    """Maven could not build the launcher (the message carries Maven's output)."""


class NodeError(RuntimeError):
    """A node did not start, or did not reach the wanted state in time."""


# --------------------------------------------------------------------------------------------
# build


def _inputs_digest() -> str:
    digest = hashlib.sha256()
    files = [PROJECT_DIR / "pom.xml", *sorted((PROJECT_DIR / "src").rglob("*"))]
    for path in files:
        if path.is_file():
            digest.update(str(path.relative_to(PROJECT_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _java_home() -> Path | None:
    home = os.environ.get("SOHOA_OPENSEARCH_JAVA_HOME") or os.environ.get("JAVA_HOME")
    return Path(home) if home else None


def _java_binary() -> str:
    home = _java_home()
    if home is not None:
        return str(home / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise BuildError("no java: install a JDK 17 (Debian: openjdk-17-jdk-headless) or set JAVA_HOME")
    return found


def classpath() -> str:
    """The launcher's runtime classpath (after :func:`build`)."""
    return os.pathsep.join([str(BUILD_DIR / "opensearch-node-launcher.jar"), str(BUILD_DIR / "lib" / "*")])


def _built(digest: str) -> bool:
    stamp = BUILD_DIR / "build.stamp"
    return (
        stamp.is_file()
        and stamp.read_text().strip() == digest
        and (BUILD_DIR / "opensearch-node-launcher.jar").is_file()
        and any((BUILD_DIR / "lib").glob("opensearch-*.jar"))
    )


def build(*, force: bool = False, offline: bool | None = None, quiet: bool = True) -> Path:
    """Builds the launcher into ``.cache/opensearch-node`` unless it is already built.

    Idempotent and safe to call from several processes at once (a file lock serialises them).
    ``offline=None`` tries ``mvn -o`` first when a Maven repository is cached and falls back to
    the network; ``offline=True`` never goes online; ``offline=False`` always may.
    Returns the build directory.
    """
    digest = _inputs_digest()
    if not force and _built(digest):
        return BUILD_DIR
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / "opensearch-node.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and _built(digest):
            return BUILD_DIR
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BuildError("no mvn: install Maven (Debian: maven) to build the OpenSearch launcher")
        work = CACHE_DIR / "opensearch-node-build"
        shutil.rmtree(work, ignore_errors=True)
        command = [mvn, "-B", "-f", str(PROJECT_DIR / "pom.xml"), f"-Dmaven.repo.local={MAVEN_REPO}",
                   f"-Dosnode.build.dir={work}", "package"]
        if quiet:
            command.insert(1, "-q")
        else:
            command.insert(1, "-ntp")  # progress bars of downloads would flood a log
        env = dict(os.environ)
        if _java_home() is not None:
            env["JAVA_HOME"] = str(_java_home())
        attempts = [True, False] if offline is None and MAVEN_REPO.is_dir() else [bool(offline)]
        output = ""
        for attempt_offline in attempts:
            run = command[:1] + (["-o"] if attempt_offline else []) + command[1:]
            sink = subprocess.PIPE if quiet else None  # not quiet: Maven prints as it goes
            proc = subprocess.run(run, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                  text=True, stdin=subprocess.DEVNULL)
            output = proc.stdout or "(Maven's output is above)"
            if proc.returncode == 0:
                break
        else:
            raise BuildError(f"{' '.join(run)} failed:\n{output[-6000:]}")
        # Swap the result in whole, so a reader never sees half a classpath.
        staged = CACHE_DIR / "opensearch-node.new"
        shutil.rmtree(staged, ignore_errors=True)
        (staged / "lib").mkdir(parents=True)
        shutil.copy2(work / "opensearch-node-launcher.jar", staged)
        for jar in (work / "lib").glob("*.jar"):
            shutil.copy2(jar, staged / "lib")
        (staged / "build.stamp").write_text(digest + "\n")
        old = CACHE_DIR / "opensearch-node.old"
        shutil.rmtree(old, ignore_errors=True)
        if BUILD_DIR.exists():
            BUILD_DIR.rename(old)
        staged.rename(BUILD_DIR)
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        return BUILD_DIR


# --------------------------------------------------------------------------------------------
# nodes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@functools.cache
def _java_major(java: str) -> int:
    out = subprocess.run([java, "-version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True).stdout
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def java_command(home: Path, heap: str = DEFAULT_HEAP, java: str | None = None,
                 fast_startup: bool = True) -> list[str]:
    """The JVM and its options for a node whose path.home is ``home``.

    These are the parts of OpenSearch's jvm.options that matter outside its Bootstrap: fixed
    heap, Netty without Unsafe tricks or direct arenas (their memory is not under -Xmx), log4j
    kept alive until the node has closed (the launcher shuts it down itself), a private tmpdir.
    ``fast_startup`` stops the JIT at C1 (-XX:TieredStopAtLevel=1): on this 2-core machine a
    3-node cluster is up in ~6 s instead of ~13 s, at the cost of slower steady-state code, so
    turn it off for anything that measures OpenSearch's speed.
    """
    java = java or _java_binary()
    major = _java_major(java)
    tmp = home / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    return [
        java,
        f"-Xms{heap}", f"-Xmx{heap}", "-Xss1m",
        "-XX:+UseG1GC",
        *(["-XX:TieredStopAtLevel=1"] if fast_startup else []),
        "-XX:-OmitStackTraceInFastThrow",
        f"-XX:ErrorFile={home / 'logs' / 'hs_err_pid%p.log'}",
        "-Dfile.encoding=UTF-8",
        "-Djava.awt.headless=true",
        f"-Djava.io.tmpdir={tmp}",
        # date formats as the distribution has them (COMPAT is gone from Java 23 on)
        "-Djava.locale.providers=" + ("SPI,CLDR" if major >= 23 else "SPI,COMPAT"),
        "-Djna.nosys=true",
        # Lucene's MMapDirectory/madvise use java.lang.foreign on Java 21+ (quiet the warning)
        "--enable-native-access=ALL-UNNAMED",
        "-Dlog4j.shutdownHookEnabled=false",
        "-Dlog4j2.disable.jmx=true",
        "-Dio.netty.noUnsafe=true",
        "-Dio.netty.noKeySetOptimization=true",
        "-Dio.netty.recycler.maxCapacityPerThread=0",
        "-Dio.netty.allocator.numDirectArenas=0",
        "-Dopensearch.set.netty.runtime.available.processors=false",
        "-cp", classpath(),
        LAUNCHER_CLASS,
    ]


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


def _die_with_parent() -> None:  # runs in the child before exec
    os.setsid()
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


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


class Cluster:
    """N nodes of one cluster, each in ``base/<name>``; all cluster-manager-eligible data nodes."""

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes

    @property
    def url(self) -> str:
        """The URL of the first running node."""
        for node in self.nodes:
            if node.running:
                return node.url
        raise NodeError("no node of the cluster is running")

    @property
    def urls(self) -> list[str]:
        """Every node's URL (for a client that should fail over)."""
        return [node.url for node in self.nodes]

    def start(self, timeout: float = 180.0) -> Cluster:
        """Starts every stopped node at once, then waits until all have joined (yellow or better)."""
        for node in self.nodes:
            if not node.running:
                node.spawn()
        for node in self.nodes:
            node.wait_ready(timeout)
        self.wait_for_status("yellow", timeout=timeout)
        return self

    def wait_for_status(self, status: str = "green", nodes: int | None = None, timeout: float = 120.0) -> dict:
        """Waits until the cluster is ``status`` or better with ``nodes`` nodes (default: the running ones)."""
        wanted = nodes if nodes is not None else sum(node.running for node in self.nodes)
        return _wait_for_status(self.nodes, status, wanted, timeout)

    def stop(self) -> None:
        for node in self.nodes:
            if node.running:
                node.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        for node in self.nodes:
            node.stop()

    def kill(self) -> None:
        for node in self.nodes:
            node.kill()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __getitem__(self, index: int) -> Node:
        return self.nodes[index]


def start_cluster(
    base: Path | str,
    n: int = 3,
    *,
    cluster_name: str = "sohoa-test-cluster",
    heap: str = DEFAULT_HEAP,
    settings: Mapping[str, object] | None = None,
    timeout: float = 180.0,
    java: str | None = None,
    fast_startup: bool = True,
    data_root: Path | str | None = None,
) -> Cluster:
    """A started cluster of ``n`` nodes on free loopback ports, bootstrapped with all of them as
    initial cluster managers; returns once every node has joined and health is yellow or better.
    ``data_root``: each node's path.data is ``data_root/<name>`` instead of ``base/<name>/data``."""
    base = Path(base)
    names = [f"node-{i}" for i in range(n)]
    transport_ports = [free_port() for _ in names]
    seeds = [f"127.0.0.1:{port}" for port in transport_ports]
    nodes = [
        Node(base / name, name=name, cluster_name=cluster_name, transport_port=port,
             seed_hosts=seeds, initial_cluster_manager_nodes=names, heap=heap, settings=settings,
             java=java, fast_startup=fast_startup,
             data_dir=None if data_root is None else Path(data_root) / name)
        for name, port in zip(names, transport_ports, strict=True)
    ]
    cluster = Cluster(nodes)
    try:
        cluster.start(timeout=timeout)
    except Exception:
        cluster.kill()
        raise
    return cluster


def _main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.opensearch_node",
                                     description="Build the OpenSearch launcher and/or run nodes.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build into .cache/opensearch-node (no-op when up to date)")
    b.add_argument("--force", action="store_true")
    b.add_argument("--offline", action="store_true", help="mvn -o: fail rather than download")
    r = sub.add_parser("run", help="start N nodes, print their URLs, run until Ctrl-C")
    r.add_argument("-n", type=int, default=1)
    r.add_argument("--dir", help="base directory (default: a new temporary one)")
    r.add_argument("--heap", default=DEFAULT_HEAP)
    args = parser.parse_args(argv)

    if args.cmd == "build":
        if not args.force and _built(_inputs_digest()):
            print(f"{BUILD_DIR} is up to date (OpenSearch {OPENSEARCH_VERSION})")
            return 0
        t0 = time.monotonic()
        path = build(force=args.force, offline=True if args.offline else None, quiet=False)
        print(f"built {path} in {time.monotonic() - t0:.1f}s")
        return 0
    base = Path(args.dir or tempfile.mkdtemp(prefix="osnode-"))
    t0 = time.monotonic()
    nodes = [start_node(base, heap=args.heap)] if args.n == 1 else start_cluster(base, args.n, heap=args.heap).nodes
    print(f"{len(nodes)} node(s) up in {time.monotonic() - t0:.1f}s under {base}")
    for node in nodes:
        print(f"  {node.name} {node.url} pid={node.pid} rss={(node.rss_bytes() or 0) / 2**20:.0f}MiB")
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.sigwait({signal.SIGINT, signal.SIGTERM})
    for node in nodes:
        node.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_main())
