"""Several nodes of one cluster on loopback, all cluster-manager-eligible data nodes: started
together, waited for, stopped or killed one by one for the failure tests."""

from __future__ import annotations

import signal
from collections.abc import Iterator, Mapping
from pathlib import Path

from tests.opensearch_node._jvm import DEFAULT_HEAP
from tests.opensearch_node._node import Node, NodeError, _wait_for_status, free_port


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
