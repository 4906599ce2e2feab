"""python -m tests.opensearch_node {build,run}: build the launcher, or run nodes by hand until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tests.opensearch_node._build import BUILD_DIR, OPENSEARCH_VERSION, _built, _inputs_digest, build
from tests.opensearch_node._cluster import start_cluster
from tests.opensearch_node._jvm import DEFAULT_HEAP
from tests.opensearch_node._node import start_node


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
